"""Inside the network: what each layer makes of the current drawing, on the way to the answer."""

import numpy as np
import streamlit as st

from app_pages.shared import CURRENT_INPUT, PREVIEW_SIZE, network, probability_chart, show_error, tensorflow_loaded
from digitlab.config import CLASS_NAMES, NETWORK_TITLES, SEED_NETWORK, available_networks
from digitlab.data import DataError
from digitlab.ensemble import CONVNET_VIEWS, describe
from digitlab.images import enlarge
from digitlab.inside import (
    diverging_rgb,
    feature_map_grid,
    hidden_as_image,
    input_weights,
    layer_views,
    strongest_units,
    view_readings,
)
from digitlab.model_errors import ModelError
from digitlab.test_set import load_test_set

VIEWS = (
    "**This network reads every drawing {} times**: as it is, {}. Its answer is the average of these readings: "
    "several slightly different looks make fewer mistakes than one. The layers above are its reading of the drawing "
    "as it is."
).format(len(CONVNET_VIEWS) + 1, ", ".join(describe(view) for view in CONVNET_VIEWS))


@st.cache_data(show_spinner=False)
def test_digits() -> tuple[np.ndarray, np.ndarray]:
    return load_test_set()


def chosen_input() -> np.ndarray | None:
    """The drawing on the Draw page, or else an MNIST test digit the user picks."""
    drawn = st.session_state.get(CURRENT_INPUT)
    if drawn is not None:
        st.caption("Your drawing from the Draw page. Draw another there and come back to see it here.")
        return drawn
    try:
        images, labels = test_digits()
    except DataError as error:
        show_error(error, "Draw a digit on the Draw page first: MNIST's test digits are missing on this server.")
        return None
    index = st.number_input(
        "Nothing drawn yet, so here is one of MNIST's test digits: number",
        0,
        len(images) - 1,
        0,
        help="Or draw a digit on the Draw page and come back.",
    )
    st.caption(f"Test digit {index}: a {labels[index]}.")
    return images[index].astype(np.float32) / 255


def show_dense(reader, views) -> None:
    hidden = views[0].output
    st.subheader(f"2 · The hidden layer: {len(hidden)} numbers")
    left, right = st.columns([1, 2])
    left.image(
        enlarge(hidden_as_image(hidden), 320),
        alt="The hidden units' activations as a grid of squares",
        caption=f"The {len(hidden)} hidden units, 32 to a row; "
        "bright = strongly active. Most stay dark: each unit answers only to certain shapes.",
    )
    with right:
        units = strongest_units(hidden)
        st.markdown(
            "**What the most active units look for.** Each unit weighs every pixel: "
            "orange pixels raise it when inked, blue ones lower it."
        )
        for column, unit, weights in zip(st.columns(len(units)), units, input_weights(reader, units)):
            column.image(
                enlarge(diverging_rgb(weights), 84),
                caption=f"unit {unit}: {hidden[unit]:.1f}",
                alt=f"The weights of hidden unit {unit}, as a picture",
            )
    st.caption(
        "This is already a new *representation* of your digit: not pixels any more, but how strongly "
        "each of 512 learnt shape-detectors responds."
    )


def show_convolutions(views) -> None:
    step = 2
    for view in views:
        if view.output.ndim == 3 and view.kind.startswith("Conv"):
            height, width, channels = view.output.shape
            st.subheader(f"{step} · {view.kind} `{view.name}`: {channels} feature maps of {height} × {width}")
            shown = min(channels, 32)
            st.image(
                enlarge(feature_map_grid(view.output, columns=16, count=shown), 720),
                alt=f"{shown} feature maps of layer {view.name}, side by side",
                caption=f"{shown} of its {channels} maps. Each map is one filter slid over the picture from "
                "the layer before: bright where it found its pattern (an edge, a curve, a stroke end).",
            )
            step += 1
        elif view.output.ndim == 1 and view.kind == "Dense" and len(view.output) > len(CLASS_NAMES):
            st.subheader(f"{step} · Dense `{view.name}`: {len(view.output)} numbers")
            st.image(
                enlarge(hidden_as_image(view.output, 32), 320),
                alt=f"The {len(view.output)} numbers as a grid",
                caption="All the maps boiled down to a list of numbers that the last layer turns into the answer.",
            )
            step += 1
    st.caption("Deeper maps are smaller and less like the picture: they say *what* is there more than *where*.")


st.title("Inside the network")
st.markdown(
    "A network is a chain of layers. Each one turns what it receives into a new representation, "
    "**increasingly different from the original image and increasingly informative about the final "
    "result**. Stacking many such layers is the *deep* in deep learning."
)

trained = available_networks() or [SEED_NETWORK]
chosen = st.radio("Network", trained, format_func=NETWORK_TITLES.get, horizontal=True, key="inside_network")
try:
    reader = network(chosen)
except ModelError as error:
    show_error(error)
    st.stop()

x = chosen_input()
if x is None:
    st.stop()

st.subheader("1 · The input: 28 × 28 = 784 numbers")
st.image(
    enlarge(x, PREVIEW_SIZE),
    caption="Pixel values from 0 (black) to 1 (white ink): all the network ever gets.",
    alt="The input: the digit as 28 × 28 pixels",
)

tensorflow_loaded()  # the layers' outputs come from the Keras model
try:
    views = layer_views(reader, x)
    if type(reader.model.layers[0]).__name__ == "Dense":
        show_dense(reader, views)
    else:
        show_convolutions(views)
except ModelError as error:
    show_error(error)
    st.stop()

probabilities = views[-1].output
st.subheader("Last · The output: 10 probabilities")
st.vega_lite_chart(
    probability_chart(
        probabilities, f"The answer: {CLASS_NAMES[int(probabilities.argmax())]}, {probabilities.max():.0%} sure"
    ),
    width="stretch",
)
st.caption("The last layer's softmax turns its ten scores into probabilities that add up to 1.")
if views[-1].kind == "Average":
    st.markdown(VIEWS)
    readings = view_readings(reader, x)
    for column, (view, image, reading) in zip(st.columns(len(readings)), readings):
        seen = describe(view)
        column.image(
            enlarge(image, 160),
            caption=f"{seen.capitalize()}: {CLASS_NAMES[int(reading.argmax())]}, {reading.max():.0%} sure",
            alt=f"The input {seen}",
        )
