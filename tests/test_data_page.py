"""The Data page: the bundled test set, the offline fallback, the lesson's tables and pictures, and the page itself."""

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import digitlab.data
from digitlab.data import DataError
from digitlab.experiments import experiment_data
from digitlab.explore import (
    array_table,
    label_counts,
    load_lesson_data,
    mosaic,
    one_hot,
    pixel_table,
    samples_per_digit,
)
from digitlab.images import enlarge
from digitlab.test_set import BUNDLED_TEST_SET, load_test_set
from support import ROOT

APP = str(ROOT / "app.py")
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]  # MNIST's published test-set class counts


@pytest.fixture
def offline(monkeypatch):
    """As on a fresh clone without internet: Keras's download fails."""

    def no_download():
        raise DataError("Could not download MNIST (offline, in this test).")

    monkeypatch.setattr(digitlab.data, "_download", no_download)
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


def test_bundled_test_set_is_the_whole_mnist_test_set():
    images, labels = load_test_set()
    assert images.shape == (10_000, 28, 28) and images.dtype == np.uint8 and labels.dtype == np.uint8
    assert np.bincount(labels).tolist() == TEST_COUNTS
    assert BUNDLED_TEST_SET.stat().st_size < 3_000_000


def test_bundled_test_set_starts_like_the_test_samples(mnist_small):
    images, labels = load_test_set()
    assert np.array_equal(images[:1000], mnist_small.x_test) and np.array_equal(labels[:1000], mnist_small.y_test)


def test_a_missing_or_broken_test_set_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="make_bundled_test_set"):
        load_test_set(tmp_path / "nothing.npz")
    np.savez(tmp_path / "wrong.npz", x_test=np.zeros((3, 28, 28), np.uint8))
    with pytest.raises(DataError, match="make_bundled_test_set"):
        load_test_set(tmp_path / "wrong.npz")


def test_offline_the_lesson_falls_back_to_the_bundled_test_set(offline):
    data = load_lesson_data(digitlab.data.download_or_none())
    assert not data.complete and data.splits == ["test"] and "bundled" in data.source
    assert data.split("test")[0].shape == (10_000, 28, 28)


def test_offline_experiments_train_and_test_on_separate_halves(offline):
    data = experiment_data(digitlab.data.download_or_none())
    assert len(data.x_pool) == len(data.x_test) == 5_000 and "bundled" in data.source
    pool = {image.tobytes() for image in data.x_pool}
    assert not any(image.tobytes() in pool for image in data.x_test[:500])
    assert data.training_set(1_000)[0].shape == (1_000, 28, 28) and len(data.training_set(60_000)[0]) == 5_000


def test_lesson_tables_and_pictures(mnist_small):
    arrays = {"x_test": mnist_small.x_test, "y_test": mnist_small.y_test}
    table = array_table(arrays)
    assert table["shape"].tolist() == ["(1000, 28, 28)", "(1000,)"] and table["dtype"].tolist() == ["uint8", "uint8"]
    counts = label_counts(mnist_small.y_test)
    assert counts["images"].sum() == 1000 and counts["share"].sum() == pytest.approx(1)
    indices = samples_per_digit(mnist_small.y_test, 5, seed=1)
    assert indices.shape == (10, 5) and (mnist_small.y_test[indices] == np.arange(10)[:, None]).all()
    assert np.array_equal(indices, samples_per_digit(mnist_small.y_test, 5, seed=1))
    picture = mosaic(mnist_small.x_test, indices, gap=2)
    assert picture.shape == (10 * 30 - 2, 5 * 30 - 2)
    assert np.array_equal(picture[:28, :28], mnist_small.x_test[indices[0, 0]])
    pixels = pixel_table(mnist_small.x_test[0])
    assert len(pixels) == 784
    assert pixels.loc[(pixels["row"] == 7) & (pixels["column"] == 9), "value"].item() == mnist_small.x_test[0][7, 9]
    assert one_hot(3).tolist() == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    big = np.asarray(enlarge(mnist_small.x_test[0], 84))
    assert big.shape == (84, 84) and np.array_equal(big[::3, ::3], mnist_small.x_test[0])  # crisp 3 x 3 blocks
    assert np.array_equal(big[1::3, 2::3], mnist_small.x_test[0])


def test_page_runs_offline_and_says_where_its_data_comes_from(offline):
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("app_pages/data.py").run()
    assert not at.exception and not at.error
    assert any("could not be downloaded" in warning.value for warning in at.warning)
    at.number_input(key="data_index").set_value(7).run()
    assert not at.exception
    assert at.metric[0].label == "y_test[7]" and at.metric[0].value == str(load_test_set()[1][7])


def test_the_pixel_grid_s_numbers_are_projector_sized_and_contrast_with_their_cells(offline):
    """Issue #14: at least 12 px, black on light cells and white on dark ones (WCAG AA, 4.5:1, for every grey)."""
    import json

    from app_pages.colours import contrast

    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("app_pages/data.py").run()
    grid = next(
        json.loads(chart.proto.spec)
        for chart in at.get("arrow_vega_lite_chart") + at.get("vega_lite_chart")
        if '"row"' in chart.proto.spec
    )
    text = next(layer for layer in grid["layer"] if layer["mark"]["type"] == "text")
    assert text["mark"]["fontSize"] >= 12
    threshold = text["encoding"]["color"]["condition"][0]["test"]
    dark_from = int(threshold.split(">=")[1].strip(" )"))
    for value in range(256):
        grey = f"#{value:02x}{value:02x}{value:02x}"
        assert contrast(grey, "#000000" if value >= dark_from else "#ffffff") >= 4.5, value
