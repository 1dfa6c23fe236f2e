"""Overfitting page: training accuracy against test accuracy, from the seed network's training report."""

import pandas as pd
import streamlit as st

from app_pages.shared import history_chart, show_error
from digitlab.config import NETWORK_NAMES, SEED_NETWORK, available_networks, modified_time, report_path
from digitlab.inference import ModelError, read_report
from digitlab.metrics import accuracy_gap_points



@st.cache_data
def cached_report(path: str, modified: float | None) -> dict:
    return read_report(path)


st.title("Overfitting: why the test score is lower")

try:
    report = cached_report(str(path := report_path(SEED_NETWORK)), modified_time(path))
except ModelError as error:
    show_error(error)
    st.stop()

recipe = report["recipe"]
st.caption(f"The seed network ({' → '.join(recipe['layers'])}), trained {recipe['epochs']} epochs on "
           f"{recipe['training_images']:,} MNIST images and tested on {recipe['test_images']:,} it never saw.")

train_column, test_column, gap_column = st.columns(3)
train_column.metric("Training accuracy", f"{report['train_accuracy']:.1%}", help="On the 60 000 images it learnt from.")
test_column.metric("Test accuracy", f"{report['test_accuracy']:.1%}", help="On 10 000 new images.")
gap_column.metric("Gap", f"{accuracy_gap_points(report):.1f} points", help="Training minus test accuracy.")

accuracy_tab, loss_tab = st.tabs(["Accuracy per epoch", "Loss per epoch"])
accuracy_tab.vega_lite_chart(history_chart(report["history"], "accuracy", "Accuracy after each epoch", recipe["epochs"]),
                             width="stretch")
loss_tab.vega_lite_chart(history_chart(report["history"], "loss", "Loss after each epoch (lower is better)",
                                       recipe["epochs"]), width="stretch")
st.caption("Both measured on the whole training set and the whole test set at the end of each epoch.")

st.subheader("What this shows")
st.markdown(f"""
**Overfitting** is when a model does better on the examples it learnt from than on new ones.
Here the network gets **{report['train_accuracy']:.1%}** of its training images right but
**{report['test_accuracy']:.1%}** of the test images: a gap of {accuracy_gap_points(report):.1f} points.

**Why is the test score lower?** Training adjusts the network's {report['parameters']:,} weights to fit
the training images as closely as it can. Part of what it learns is general (what makes a 7 a 7), and part
is particular to those 60 000 images: their quirks, even their mistakes. The particular part does not help on
new handwriting, so the test score is the honest one: it is what to expect on digits the network has never
seen — like yours.

**Watch the curves.** Each epoch is one pass over the training images. The training curve keeps climbing;
the test curve climbs more slowly and flattens. Train long enough and the test curve stops improving or even
falls while the training curve still rises: the network memorises instead of learning.

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
    compared.append({"network": NETWORK_NAMES[name].capitalize(), "training accuracy": other["train_accuracy"],
                     "test accuracy": other["test_accuracy"], "gap (points)": accuracy_gap_points(other),
                     "weights": other["parameters"], "epochs": other["recipe"]["epochs"],
                     "training time (s)": other["seconds"]})
    scored = other["recipe"].get("scored_train_images", other["recipe"]["training_images"])
    if scored < other["recipe"]["training_images"]:
        notes.append(f"{NETWORK_NAMES[name].capitalize()}'s training accuracy is measured on {scored:,} of its "
                     f"training images, which saves training time.")
    if "unaveraged_test_accuracy" in (last := other["history"][-1]):
        notes.append(f"{NETWORK_NAMES[name].capitalize()}'s saved weights are the average of its last training "
                     f"steps, which smooths out each step's noise: {other['test_accuracy']:.2%} on the test set, "
                     f"against {last['unaveraged_test_accuracy']:.2%} with the last step's own weights.")
if len(compared) > 1:
    st.subheader("Both networks compared")
    st.dataframe(pd.DataFrame(compared), hide_index=True, column_config={
        "training accuracy": st.column_config.NumberColumn(format="percent"),
        "test accuracy": st.column_config.NumberColumn(format="percent"),
        "gap (points)": st.column_config.NumberColumn(format="%.2f"),
    })
    st.caption("The convnet sees the picture as a picture (neighbouring pixels together) and was trained on "
               "shifted, rotated, thickened and distorted copies of the digits: it is harder to memorise, so "
               "its gap is smaller, and it reads new handwriting better. " + " ".join(notes))
