"""Overfitting page: training against test accuracy, in a recorded run that overfits beside the seed network's own."""

import numpy as np
import pandas as pd
import streamlit as st

from app_pages.shared import scores_and_curves, show_error
from digitlab.config import NETWORK_NAMES, OVERFIT_RUN, SEED_NETWORK, available_networks, modified_time, report_path
from digitlab.metrics import overfitting_turn
from digitlab.model_errors import ModelError
from digitlab.report import Report
from digitlab.words import count


@st.cache_data
def cached_report(path: str, modified: float | None) -> Report:
    return Report.load(path)


def run_view(report: Report, heading: str, scales: dict) -> None:
    """One recorded training: its three scores and its curves, accuracy and loss, on the shared `scales`."""
    recipe = report.recipe
    st.subheader(heading)
    st.caption(
        f"{recipe.layer_names}, {count(recipe.epochs, 'epoch')} on "
        f"{recipe.training_images:,} MNIST images, tested on {recipe.test_images:,} it never saw."
    )
    scores_and_curves(report, scales)


def shared_scales(*reports: Report) -> dict:
    """One scale per measure for every run shown, so that a small gap looks small beside a large one."""

    def values(measure):
        return [
            epoch[f"{split}_{measure}"] for report in reports for epoch in report.history for split in ("train", "test")
        ]

    lowest = min(values("accuracy"))
    return {"accuracy": (np.floor(lowest * 20) / 20, 1.0), "loss": (0.0, float(np.ceil(max(values("loss")) * 10) / 10))}


st.title("Overfitting: why the test score is lower")
st.caption(
    "The same network trained twice: once long on few images, once briefly on many. Both curves are "
    "measured on the training images and on the test images at the end of each epoch."
)

try:
    report = cached_report(str(path := report_path(SEED_NETWORK)), modified_time(path))
    overfit = cached_report(str(OVERFIT_RUN), modified_time(OVERFIT_RUN))
except ModelError as error:
    show_error(error)
    st.stop()

overfit_column, seed_column = st.columns(2, gap="large")  # stacked on a phone
scales = shared_scales(overfit, report)
with overfit_column:
    run_view(
        overfit,
        f"{overfit.recipe.training_images:,} images, {overfit.recipe.epochs} epochs: it memorises",
        scales,
    )
with seed_column:
    run_view(
        report,
        f"{report.recipe.training_images:,} images, {report.recipe.epochs} epochs: {NETWORK_NAMES[SEED_NETWORK]}",
        scales,
    )
st.page_link(
    "app_pages/train.py",
    label="Make a network overfit yourself, live, on the Train page",
    icon=":material/model_training:",
)

turn = overfitting_turn(overfit.history)
small = overfit.recipe.training_images
learnt = (
    f"By epoch {turn['learnt_epoch']} the network gets "
    f"{overfit.history[turn['learnt_epoch'] - 1]['train_accuracy']:.0%} of its {small:,} training images "
    f"right, and {overfit.train_accuracy:.0%} at the end."
    if turn["learnt_epoch"]
    else f"The network ends up getting {overfit.train_accuracy:.0%} of its {small:,} training images right."
)
st.subheader("What this shows")
st.markdown(f"""
**Overfitting** is when a model does better on the examples it learnt from than on new ones.

**Watch the curves on the left.** Each epoch is one pass over the training images. {learnt}
The test accuracy is {(turn["test_then"] or overfit.history[0]["test_accuracy"]):.1%} then, and
{turn["test_last"]:.1%} after {overfit.recipe.epochs} epochs: it has **stopped rising**, a gap of
{overfit.gap_points:.0f} points. The test **loss** is lowest at epoch {turn["lowest_test_loss_epoch"]}
and then climbs: the network grows ever surer of its answers on new digits, wrong ones included. From there on it
memorises its {small:,} images instead of learning what makes a 7 a 7.

**Why is the test score lower?** Training adjusts the network's {report.parameters:,} weights to fit the
training images as closely as it can. Part of what it learns is general, and part is particular to those images:
their quirks, even their mistakes. The particular part does not help on new handwriting, so the test score is the
honest one: it is what to expect on digits the network has never seen, like yours.

**On the right**, the same network learns from {report.recipe.training_images:,} images for
{report.recipe.epochs} epochs: there is far more to learn and far less to memorise, so both curves rise
together and the gap is {report.gap_points:.1f} points.

**What narrows the gap:**
- **more training data**, so there are fewer quirks to memorise and more of the general shape;
- **stopping earlier**, when the test score stops improving;
- **a smaller network**, with fewer weights to memorise with;
- **regularisation** such as *dropout* (randomly silencing units while training) or weight penalties;
- **data augmentation**: slightly shifted, rotated or thickened copies of the training images.
""")

compared, notes = [], []
for name in available_networks():
    try:
        other = cached_report(str(path := report_path(name)), modified_time(path))
    except ModelError:
        continue
    compared.append(
        {
            "network": NETWORK_NAMES[name].capitalize(),
            "training accuracy": other.train_accuracy,
            "test accuracy": other.test_accuracy,
            "gap (points)": other.gap_points,
            "weights": other.parameters,
            "epochs": other.recipe.epochs,
            "training time (s)": other.seconds,
        }
    )
    scored = other.recipe.scored_images
    if scored < other.recipe.training_images:
        notes.append(
            f"{NETWORK_NAMES[name].capitalize()}'s training accuracy is measured on {scored:,} of its "
            f"training images, which saves training time."
        )
    if "unaveraged_test_accuracy" in (last := other.history[-1]):
        notes.append(
            f"{NETWORK_NAMES[name].capitalize()}'s saved weights are the average of its last training "
            f"steps, which smooths out each step's noise: {other.test_accuracy:.2%} on the test set, "
            f"against {last['unaveraged_test_accuracy']:.2%} with the last step's own weights."
        )
if len(compared) > 1:
    st.subheader("Both networks compared")
    st.dataframe(
        pd.DataFrame(compared),
        hide_index=True,
        column_config={
            "training accuracy": st.column_config.NumberColumn(format="percent"),
            "test accuracy": st.column_config.NumberColumn(format="percent"),
            "gap (points)": st.column_config.NumberColumn(format="%.2f"),
        },
    )
    st.caption(
        "The convnet sees the picture as a picture (neighbouring pixels together) and was trained on "
        "shifted, rotated, thickened and distorted copies of the digits: it is harder to memorise, so "
        "its gap is smaller, and it reads new handwriting better. " + " ".join(notes)
    )
