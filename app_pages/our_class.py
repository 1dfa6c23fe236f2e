"""Our class page: the digits the class saved from the Draw page — a real test set from real people."""

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from app_pages.shared import class_collection, network
from digitlab.config import CLASS_NAMES, NETWORK_TITLES, available_networks
from digitlab.inference import ModelError
from digitlab.metrics import accuracy_per_digit

COLOURS = ["#E69F00", "#0072B2", "#009E73", "#CC79A7"]  # Okabe-Ito: distinct for colour-blind viewers
GRID_COLUMNS = 8


st.title("Our class's digits")
st.caption("Every drawing saved with “Save to our class” on the Draw page, with the digit its author meant. "
           "Nobody's handwriting here was in MNIST: this is a real test set, made by real people.")

collection = class_collection()
saved = collection.drawings()
if not saved:
    st.info("No drawings yet. On the Draw page, draw a digit, check the label and press **Save to our class**.")
    st.caption(f"The collection is kept in `{collection.path}`.")
    st.stop()

images = np.stack([d.pixels for d in saved])
labels = np.array([d.label for d in saved])

st.subheader("How well do the networks read us?")
per_digit, columns = [], st.columns(max(1, len(available_networks())) + 1)
columns[0].metric("Drawings", f"{len(saved):,}")
for column, name in zip(columns[1:], available_networks()):
    try:
        predicted = network(name).probabilities(images).argmax(axis=1)
    except ModelError as error:
        column.error(str(error))
        continue
    column.metric(NETWORK_TITLES[name], f"{(predicted == labels).mean():.1%}", help="Share of the class's drawings read right.")
    per_digit.append(accuracy_per_digit(labels, predicted).assign(network=NETWORK_TITLES[name]))
if per_digit:
    table = pd.concat(per_digit)
    chart = alt.Chart(table, title="Share read right, digit by digit").mark_bar().encode(
        x=alt.X("digit:N", axis=alt.Axis(labelAngle=0)), xOffset="network:N",
        y=alt.Y("accuracy:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        color=alt.Color("network:N", scale=alt.Scale(range=COLOURS), legend=alt.Legend(orient="bottom", title=None)),
        tooltip=["network", "digit", "count", alt.Tooltip("accuracy:Q", format=".0%")],
    ).properties(height=260)
    st.altair_chart(chart, width="stretch")
    st.caption("Where a bar is low, the network has trouble with how *we* write that digit — often a style "
               "MNIST's writers rarely used, such as a crossed 7 or a 1 with a long flag.")

st.subheader("The drawings")
shown_digits = st.pills("Show", CLASS_NAMES, selection_mode="multi", key="class_digits",
                        help="Pick digits to see only those; none picked shows all.")
chosen = [d for d in reversed(saved) if not shown_digits or CLASS_NAMES[d.label] in shown_digits]
st.caption(f"{len(chosen)} drawing(s), newest first, as the network sees them (28 × 28).")
for row_start in range(0, min(len(chosen), 96), GRID_COLUMNS):
    for column, drawing in zip(st.columns(GRID_COLUMNS), chosen[row_start:row_start + GRID_COLUMNS]):
        read = "" if drawing.predicted is None else f", read {drawing.predicted}"
        column.image(drawing.pixels, caption=f"#{drawing.id}: a {drawing.label}{read}", width="stretch")

st.subheader("Keep it or fix it")
export_column, delete_column = st.columns(2)
export_column.download_button("Download as .npz (Keras's MNIST layout)", collection.export_npz(),
                              file_name="our-class-digits.npz", mime="application/octet-stream", icon=":material/download:",
                              help="x_test and y_test hold the drawings; load with numpy.load.")
with delete_column.form("delete", border=False):
    by_id = {d.id: d for d in saved}
    victim = st.selectbox("A drawing with a wrong label", sorted(by_id, reverse=True),
                          format_func=lambda i: f"#{i}: labelled {by_id[i].label}")
    if st.form_submit_button("Delete it", icon=":material/delete:"):
        collection.delete(victim)
        st.rerun()
