"""Draw page: a canvas, what the network sees, and how sure it is of each digit."""

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st
from PIL import Image
from streamlit_drawable_canvas import st_canvas

from digitlab.config import CANVAS_SIZE, CLASS_NAMES, DEFAULT_BRUSH, DEFAULT_NETWORK, IMAGE_SIZE, model_path, modified_time
from digitlab.inference import ModelError, load_network
from digitlab.preprocess import to_mnist

WINNER_COLOUR, OTHER_COLOUR = "#E69F00", "#8C8C8C"  # orange and grey: distinct for colour-blind viewers too
PREVIEW_SIZE = 168


@st.cache_resource(show_spinner="Loading the network…")
def cached_network(path: str, name: str, modified: float | None):
    """Loaded once per file version: retraining while the app runs takes effect on the next rerun."""
    return load_network(path, name)


def probability_chart(probabilities: np.ndarray) -> alt.Chart:
    winner = int(probabilities.argmax()) if probabilities.any() else -1
    table = pd.DataFrame({
        "digit": list(CLASS_NAMES),
        "probability": probabilities,
        "answer": ["the network's answer" if d == winner else "other digits" for d in range(len(CLASS_NAMES))],
    })
    bars = alt.Chart(table, title="How sure the network is of each digit").mark_bar().encode(
        x=alt.X("digit:N", sort=list(CLASS_NAMES), axis=alt.Axis(labelAngle=0, title="digit")),
        y=alt.Y("probability:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%", title="probability")),
        color=alt.Color("answer:N", scale=alt.Scale(domain=["the network's answer", "other digits"],
                                                    range=[WINNER_COLOUR, OTHER_COLOUR]), legend=None),
        tooltip=["digit", alt.Tooltip("probability:Q", format=".1%")],
    )
    labels = bars.mark_text(dy=-8).encode(text=alt.Text("probability:Q", format=".0%"), color=alt.value("#888"))
    return (bars + labels).properties(height=260)


def enlarged(x: np.ndarray | None) -> Image.Image:
    pixels = np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.uint8) if x is None else (x * 255).astype(np.uint8)
    return Image.fromarray(pixels).resize((PREVIEW_SIZE, PREVIEW_SIZE), Image.Resampling.NEAREST)


st.title("Draw a digit")
st.caption("Draw one digit, 0 to 9, with the mouse or a finger. The network answers after every stroke.")

with st.sidebar:
    brush = st.slider("Brush width (px)", 6, 40, DEFAULT_BRUSH, help="MNIST's strokes match about 18 px here.")

try:
    network = cached_network(str(path := model_path(DEFAULT_NETWORK)), DEFAULT_NETWORK, modified_time(path))
except ModelError as error:
    st.error(f"The network could not be loaded. {error}")
    st.stop()

canvas_column, answer_column = st.columns([3, 2])
with canvas_column:
    canvas = st_canvas(stroke_width=brush, stroke_color="#FFFFFF", background_color="#000000",
                       height=CANVAS_SIZE, width=CANVAS_SIZE, drawing_mode="freedraw",
                       return_image_data=True, key="canvas")
    st.caption("↶ undoes a stroke, 🗑 clears the canvas.")

drawing = canvas.image_data
x = to_mnist(drawing) if drawing is not None else None
probabilities = network.probabilities(x[None])[0] if x is not None else np.zeros(len(CLASS_NAMES))

with answer_column:
    if x is None:
        st.metric("Prediction", "—", help="Nothing drawn yet.")
        st.info("Draw a digit on the black square.")
    else:
        digit = int(probabilities.argmax())
        st.metric("Prediction", CLASS_NAMES[digit], delta=f"{probabilities[digit]:.1%} sure", delta_color="off")
    st.image(enlarged(x), caption="What the network sees: your drawing cropped, scaled to 20 px, "
                                  "centred on 28 × 28 pixels, just like MNIST's digits.")

st.altair_chart(probability_chart(probabilities), width="stretch")
