"""The training report (digitlab/report.py): what train.py writes is what the pages read back, and a report
that the pages could not read is refused when it is loaded, with what is wrong in it."""

import json
from dataclasses import replace

import pytest

from digitlab.config import report_path
from digitlab.model_errors import ModelError
from digitlab.report import Recipe, Report

EPOCHS = [
    {"epoch": 1, "train_accuracy": 0.9, "train_loss": 0.3, "test_accuracy": 0.88, "test_loss": 0.4},
    {"epoch": 2, "train_accuracy": 0.97, "train_loss": 0.1, "test_accuracy": 0.9, "test_loss": 0.35, "seconds": 2.0},
]
RUN = Report.of_training(
    "dense", Recipe(layers=["Dense(512, relu)"], epochs=2, training_images=1000, test_images=500), EPOCHS,
    parameters=407_050, seconds=4.2,
)  # fmt: skip


def saved(tmp_path, written: dict):
    path = tmp_path / "dense.json"
    path.write_text(json.dumps(written))
    return path


def test_a_report_round_trips_and_its_scores_are_its_last_epoch_s(tmp_path):
    written = RUN.to_dict()
    assert written["test_accuracy"] == 0.9 and written["train_loss"] == 0.1 and "title" not in written
    loaded = Report.load(saved(tmp_path, {**written, "weights_sha256": "ab" * 32}))
    assert loaded == replace(RUN, weights_sha256="ab" * 32)
    assert loaded.gap_points == pytest.approx(7.0) and loaded.recipe.layer_names == "Dense(512, relu)"
    assert loaded.recipe.scored_images == 1000 and loaded.recipe.epochs_planned == 2


def test_the_scores_written_are_derived_and_never_read_back(tmp_path):
    loaded = Report.load(saved(tmp_path, {**RUN.to_dict(), "test_accuracy": 0.1}))
    assert loaded.test_accuracy == 0.9


def test_fields_a_newer_train_py_may_add_are_ignored(tmp_path):
    written = RUN.to_dict()
    written["recipe"]["warmup"] = 3
    assert Report.load(saved(tmp_path, {**written, "carbon_grams": 1.5})) == RUN


@pytest.mark.parametrize(
    "change, named",
    [
        (lambda r: r.pop("history"), "history"),
        (lambda r: r.update(history=[]), "history (empty)"),
        (lambda r: r["history"][0].pop("test_loss"), "history.test_loss"),
        (lambda r: r["history"][1].update(epoch="2"), "history.epoch"),
        (lambda r: r["recipe"].pop("training_images"), "recipe.training_images"),
        (lambda r: r["recipe"].update(epochs=True), "recipe.epochs"),
        (lambda r: r.update(parameters=4.5), "parameters"),
        (lambda r: r.update(recipe="dense"), "recipe"),
    ],
    ids=["no history", "no epochs", "an epoch without a score", "an epoch number as text", "no image count",
         "a boolean for a number", "a fraction of a weight", "a recipe that is a word"],
)  # fmt: skip
def test_a_report_the_pages_could_not_read_is_refused_naming_what_is_wrong(tmp_path, change, named):
    written = RUN.to_dict()
    change(written)
    with pytest.raises(ModelError, match="python train.py") as refused:
        Report.load(saved(tmp_path, written))
    assert named in str(refused.value) and str(tmp_path) not in refused.value.visitor


@pytest.mark.parametrize("content", ["", "{", "[1, 2]", "null"], ids=["empty", "cut short", "a list", "null"])
def test_a_file_that_is_no_report_is_refused(tmp_path, content):
    (path := tmp_path / "dense.json").write_text(content)
    with pytest.raises(ModelError, match="training report"):
        Report.load(path)


@pytest.mark.parametrize("name", ["dense", "cnn"])
def test_the_committed_reports_load(name):
    report = Report.load(report_path(name))
    assert report.network == name and report.weights_sha256 and report.test_accuracy > 0.97
