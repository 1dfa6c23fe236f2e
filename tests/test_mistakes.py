"""The Mistakes page's computations (digitlab.mistakes) and the page itself under AppTest."""

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from digitlab.mistakes import (Predictions, cell, confusion_matrix, confusion_table, misclassified, predict,
                               worst_confusions)

APP = str(ROOT / "app.py")
PAGE = "app_pages/mistakes.py"


@pytest.fixture
def toy():
    """Six images: two 3s read right, a 3 read as 5 (90 %), two 5s read as 3 (60 % and 99 %), a 5 read right."""
    return Predictions(labels=np.array([3, 3, 3, 5, 5, 5]), predicted=np.array([3, 3, 5, 3, 3, 5]),
                       confidence=np.array([0.9, 0.8, 0.9, 0.6, 0.99, 0.7]))


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
