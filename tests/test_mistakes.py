"""The Mistakes page's computations (digitlab.mistakes) and the page itself under AppTest."""

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app_pages.colours import COUNT_SCALE, contrast, count_colours, text_colour
from digitlab.config import available_networks, model_path, report_path
from digitlab.inference import load_network
from digitlab.mistakes import (
    Predictions,
    answers_on_test_set,
    cell,
    confusion_matrix,
    confusion_table,
    misclassified,
    mistake_bins,
    predict,
    predictions_path,
    save_predictions,
    saved_predictions,
    worst_confusions,
)
from digitlab.report import Report
from digitlab.test_set import load_test_set
from support import ROOT

APP = str(ROOT / "app.py")
PAGE = "app_pages/mistakes.py"


@pytest.fixture
def toy():
    """Six images: two 3s read right, a 3 read as 5 (90 %), two 5s read as 3 (60 % and 99 %), a 5 read right."""
    return Predictions(
        labels=np.array([3, 3, 3, 5, 5, 5]),
        predicted=np.array([3, 3, 5, 3, 3, 5]),
        confidence=np.array([0.9, 0.8, 0.9, 0.6, 0.99, 0.7]),
    )


def test_confusion_matrix_counts_true_rows_and_predicted_columns(toy):
    matrix = confusion_matrix(toy.labels, toy.predicted)
    assert matrix.shape == (10, 10) and matrix.sum() == 6
    assert matrix[3, 3] == 2 and matrix[3, 5] == 1 and matrix[5, 3] == 2 and matrix[5, 5] == 1
    assert np.trace(matrix) == 3 and toy.accuracy == 0.5


def test_confusion_table_is_long_form_with_row_shares(toy):
    table = confusion_table(confusion_matrix(toy.labels, toy.predicted))
    assert len(table) == 100 and set(table.columns) >= {"true", "predicted", "count", "share", "correct"}
    row = table[table["true"] == "5"]
    assert row["share"].sum() == pytest.approx(1)
    assert row.loc[row["predicted"] == "3", "share"].item() == pytest.approx(2 / 3)
    assert table["correct"].sum() == 10
    assert table[table["true"] == "0"]["share"].sum() == 0  # an empty row: no division by zero


def test_cells_and_mistakes_come_most_confident_first(toy):
    assert cell(toy, 5, 3).tolist() == [4, 3]
    assert cell(toy, 3, 3).tolist() == [0, 1]
    assert cell(toy, 7, 1).tolist() == []
    assert misclassified(toy).tolist() == [4, 2, 3]
    assert worst_confusions(confusion_matrix(toy.labels, toy.predicted), top=5) == [(5, 3, 2), (3, 5, 1)]


def test_predictions_on_real_test_digits_do_not_depend_on_the_batch(dense_network, mnist_small):
    images, labels = mnist_small.x_test[:300], mnist_small.y_test[:300]
    whole, batched = predict(dense_network, images, labels), predict(dense_network, images, labels, batch=7)
    assert np.array_equal(whole.predicted, batched.predicted)
    assert np.allclose(whole.confidence, batched.confidence, atol=1e-6)
    assert whole.accuracy > 0.9 and ((whole.confidence > 0.1) & (whole.confidence <= 1)).all()


def test_page_shows_the_matrix_and_the_digits_of_a_chosen_cell():
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page(PAGE).run()
    assert not at.exception and not at.error
    assert len(at.get("vega_lite_chart")) == 1
    at.selectbox(key="mistakes_true").select("4")
    at.selectbox(key="mistakes_predicted").select("9").run()
    assert not at.exception
    assert any(header.value.startswith("4s read as 9:") for header in at.subheader)


def test_page_without_networks_says_how_to_train_one(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITLAB_MODEL_DIR", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert any("python train.py" in error.value for error in at.error)


@pytest.mark.parametrize("largest, steps", [(1, 1), (2, 2), (4, 4), (5, 5), (16, 6), (100, 7), (1200, 7)])
def test_mistake_colours_split_every_count_from_1_to_the_largest(largest, steps):
    """As many colours as there are counts, up to the scale's seven; every count in exactly one range."""
    bins = mistake_bins(largest, len(COUNT_SCALE))
    assert len(bins) == steps and bins[0][0] == 1 and bins[-1][1] == largest
    assert all(high + 1 == low for (_, high), (low, _) in zip(bins, bins[1:]))


def test_rare_mistakes_and_common_mix_ups_never_share_a_colour_and_numbers_stay_readable():
    counts = np.array([1000, 1, 2, 3, 5, 8, 13, 0])
    correct = np.array([True] + [False] * 7)
    labels, fills = count_colours(counts, correct, "#5f5f5f")
    assert fills[0] == "#5f5f5f" and labels[0] == ""  # the right answers apart, whatever their count
    assert len(set(fills[1:7])) == 6 and labels[-1] == ""  # six counts, six colours; an empty cell has none
    for fill in fills:
        assert contrast(fill, text_colour(fill)) >= 4.5  # WCAG AA for the number written in the cell


@pytest.mark.parametrize("name", available_networks())
def test_each_committed_network_keeps_its_own_answers_on_the_test_set(name):
    """train.py keeps them; a network trained again without them would be caught here (and be slow to open)."""
    images, labels = load_test_set()
    kept = saved_predictions(predictions_path(name), Report.load(report_path(name)).weights_sha256, labels)
    assert kept is not None
    computed = predict(load_network(model_path(name)), images[:500], labels[:500])
    assert (kept.predicted[:500] == computed.predicted).mean() > 0.998
    assert np.allclose(kept.confidence[:500], computed.confidence, atol=1e-4)


@pytest.mark.parametrize("spoil", ["other weights", "other labels", "damaged file", "no file"])
def test_answers_kept_for_other_weights_or_labels_are_not_used(tmp_path, toy, spoil):
    path = tmp_path / "dense.test.npz"
    save_predictions(toy, path, "weights-a")
    assert saved_predictions(path, "weights-a", toy.labels) is not None
    weights, labels = "weights-a", toy.labels
    if spoil == "other weights":
        weights = "weights-b"
    elif spoil == "other labels":
        labels = toy.labels[::-1]
    elif spoil == "damaged file":
        path.write_bytes(path.read_bytes()[:100])
    else:
        path.unlink()
    assert saved_predictions(path, weights, labels) is None


def test_without_kept_answers_the_network_reads_the_test_set_itself(tmp_path, dense_network, mnist_small):
    images, labels = mnist_small.x_test[:200], mnist_small.y_test[:200]
    answers = answers_on_test_set(dense_network, images, labels, folder=tmp_path)
    assert np.array_equal(answers.predicted, predict(dense_network, images, labels).predicted)


def test_the_committed_network_s_mistakes_take_at_least_five_colours():
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page(PAGE).run()
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    scales = [
        layer["encoding"]["color"]["scale"]
        for layer in spec["layer"]
        if "scale" in layer["encoding"].get("color", {}) and layer["encoding"]["color"].get("field") == "level"
    ]
    assert len(scales) == 1 and len(set(scales[0]["range"])) >= 5
