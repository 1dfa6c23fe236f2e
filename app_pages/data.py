"""Data page: MNIST as the network gets it: four arrays, every digit, label counts, pixels and one-hot labels."""

import altair as alt
import pandas as pd
import streamlit as st

from app_pages.colours import BLUE, ORANGE, text_colour
from app_pages.shared import full_mnist, show_error
from digitlab.config import CLASS_NAMES
from digitlab.data import DataError
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

BAR_COLOUR, HOT_COLOUR = BLUE, ORANGE
SPLIT_TITLES = {"train": "Training set", "test": "Test set"}
PER_DIGIT = 12
PIXEL_STEP = 27  # px per pixel in the grid of numbers: room for "255" at NUMBER_SIZE
NUMBER_SIZE = 12  # px: the smallest text a projector still shows legibly
# The grey level from which black numbers contrast more than white ones (WCAG), for the grid's cells
DARK_TEXT_FROM = next(v for v in range(256) if text_colour(f"#{v:02x}{v:02x}{v:02x}") == "#000000")


@st.cache_resource(show_spinner="Loading MNIST…")
def lesson_data():
    """Full MNIST when it can be had, else the test set bundled in data/."""
    return load_lesson_data(full_mnist())


@st.cache_data
def cached_array_table(source: str):
    return array_table(lesson_data().arrays)


@st.cache_data
def cached_mosaic(source: str, split: str, seed: int):
    images, labels = lesson_data().split(split)
    picture = mosaic(images, samples_per_digit(labels, PER_DIGIT, seed))
    return enlarge(picture, 2 * picture.shape[1])


def counts_chart(counts: pd.DataFrame, title: str) -> alt.Chart:
    bars = (
        alt.Chart(counts, title=title)
        .mark_bar(color=BAR_COLOUR)
        .encode(
            x=alt.X("digit:N", sort=list(CLASS_NAMES), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("images:Q", title="images"),
            tooltip=["digit", alt.Tooltip("images:Q", format=","), alt.Tooltip("share:Q", format=".1%")],
        )
    )
    labels = bars.mark_text(dy=-8, color="#888").encode(text=alt.Text("images:Q", format=","))
    return (bars + labels).properties(height=260)


def pixel_chart(image) -> alt.LayerChart:
    """The 28 x 28 grid of numbers, each cell shaded with its own grey: the picture and its numbers at once."""
    base = alt.Chart(pixel_table(image)).encode(
        x=alt.X("column:O", axis=alt.Axis(orient="top", labelAngle=0, labelFontSize=NUMBER_SIZE, title="column")),
        y=alt.Y("row:O", axis=alt.Axis(labelFontSize=NUMBER_SIZE, title="row")),
        tooltip=["row", "column", "value"],
    )
    cells = base.mark_rect().encode(
        color=alt.Color("value:Q", scale=alt.Scale(domain=[0, 255], range=["#000", "#fff"]), legend=None)
    )
    numbers = base.mark_text(fontSize=NUMBER_SIZE).encode(
        text="value:Q",
        color=alt.when(alt.datum.value >= DARK_TEXT_FROM).then(alt.value("#000")).otherwise(alt.value("#fff")),
    )
    return alt.layer(cells, numbers).properties(width=alt.Step(PIXEL_STEP), height=alt.Step(PIXEL_STEP))


def one_hot_table(label: int):
    table = pd.DataFrame([one_hot(label).astype(int)], columns=list(CLASS_NAMES), index=["one-hot"])
    return table.style.map(lambda v: f"background-color: {HOT_COLOUR}; color: #000" if v else "")


st.title("The data: MNIST")
st.caption(
    "70 000 handwritten digits, 28 × 28 pixels each, written by American high-school students and "
    "census employees. Every network in this app learnt from them."
)

try:
    data = lesson_data()
except DataError as error:
    show_error(error, "No MNIST data could be loaded on this server.")
    st.stop()

if data.complete:
    st.success(
        f"Loaded the full MNIST with `{data.source}`: the same call as in the lecture's code.",
        icon=":material/check_circle:",
    )
else:
    st.warning(
        f"The full MNIST could not be downloaded (no internet connection?), so this page shows "
        f"{data.source}: the same 10 000 test images Keras would give. The 60 000 training images look "
        "just the same: `x_train` has shape (60000, 28, 28) and dtype uint8, `y_train` shape (60000,).",
        icon=":material/inventory_2:",
    )

st.header("Four arrays")
st.code("(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()", language="python")
st.dataframe(cached_array_table(data.source), hide_index=True, width="stretch")
st.markdown(
    "Images are whole numbers from 0 (background) to 255 (full ink), stored as `uint8`: one byte each. "
    "The labels are the digits as integers. The network learns from the **training** pair only; the "
    "**test** pair is kept apart to find out how it does on handwriting it has never seen."
)

split = (
    st.segmented_control(
        "Which images", data.splits, default=data.splits[0], format_func=SPLIT_TITLES.get, key="data_split"
    )
    if data.complete
    else "test"
)
split = split or data.splits[0]  # clicking the selected option again clears it
images, labels = data.split(split)

st.header("What the digits look like")
seed = st.session_state.setdefault("data_seed", 0)
if st.button("Other samples", icon=":material/casino:", help="Draw another random dozen of each digit."):
    seed = st.session_state["data_seed"] = seed + 1
st.image(
    cached_mosaic(data.source, split, seed),
    alt=f"A grid of handwritten digits: {PER_DIGIT} of each, 0 to 9",
    caption=f"{PER_DIGIT} random images of each digit from the {SPLIT_TITLES[split].lower()}, "
    "one row per digit, 0 to 9.",
)
st.markdown(
    "Look along a row: the same digit comes slanted, thick, thin, open or closed. The network has to learn "
    "what all the 4s share. Some are hard even for people, which is why no network reaches 100 % on the "
    "test set."
)

st.header("How many of each digit")
st.altair_chart(
    counts_chart(label_counts(labels), f"Images per digit in the {SPLIT_TITLES[split].lower()}"), width="stretch"
)
st.caption(
    "Each digit has about a tenth of the images (1s a little more, 5s a little fewer). With classes this "
    "balanced, accuracy is a fair score: a network cannot do well by always answering the commonest digit."
)

st.header("One image, as the network gets it")
index = st.number_input(
    f"Image number (0 to {len(images) - 1:,})",
    0,
    len(images) - 1,
    0,
    key="data_index",
    help="Type any number or use the arrows; x[i] is the i-th image.",
)
numbers_column, picture_column = st.columns([4, 1])
with numbers_column:
    # 28 columns of readable numbers are wider than a phone: there, the grid scrolls sideways rather than being cut
    st.html("<style>.st-key-pixel_grid { overflow-x: auto; }</style>")
    with st.container(key="pixel_grid"):
        st.altair_chart(pixel_chart(images[index]), width="content")
    st.caption(f"`x_{split}[{index}]`: 28 rows × 28 columns of pixel values, each cell shaded by its own value.")
with picture_column:
    st.image(
        enlarge(images[index], 6 * images.shape[2]),
        caption="The same 784 numbers drawn as a picture.",
        alt=f"The handwritten {labels[index]} these numbers make",
    )
st.markdown(
    "To a person this is a digit; to the network it is **784 numbers**. The seed network flattens them "
    "into one row and divides by 255, so that each pixel becomes a number between 0 and 1."
)

st.header("Its label, two ways")
label = int(labels[index])
label_column, hot_column = st.columns([1, 4])
label_column.metric(f"y_{split}[{index}]", label, help="The label as an integer, as stored in the file.")
with hot_column:
    st.dataframe(one_hot_table(label), width="stretch")
    st.caption(f"`keras.utils.to_categorical({label}, 10)`: ten numbers, a 1 in place {label}, 0 elsewhere.")
st.markdown(
    "The network answers with ten probabilities, one per digit. Training compares them with the **one-hot** "
    "label: the answer it should have given, 100 % on the right digit and 0 % on all others."
)
