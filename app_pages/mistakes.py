"""Mistakes page: where each trained network goes wrong on the 10 000 MNIST test digits, and what they look like."""

import altair as alt
import streamlit as st

from app_pages.colours import DARK_GREY, ORANGE, count_colours, text_colour
from app_pages.shared import network, show_error
from digitlab.config import (
    CLASS_NAMES,
    NETWORK_NAMES,
    NETWORK_TITLES,
    SEED_NETWORK,
    available_networks,
    model_path,
    modified_time,
)
from digitlab.data import DataError
from digitlab.images import enlarge
from digitlab.mistakes import (
    answers_on_test_set,
    cell,
    confusion_matrix,
    confusion_table,
    misclassified,
    worst_confusions,
)
from digitlab.model_errors import ModelError
from digitlab.test_set import load_test_set

RIGHT_COLOUR, SELECTED_COLOUR = DARK_GREY, ORANGE  # grey for right answers, orange to mark the chosen cell
NUMBER_SIZE = "width < 420 ? 10 : 14"  # px, by the chart's width: "1026" fits a cell on a phone, reads on a projector
THUMBNAIL = 84  # px: each 28 x 28 digit shown 3 times as wide
TRUE_KEY, PREDICTED_KEY = "mistakes_true", "mistakes_predicted"


@st.cache_resource(show_spinner="Loading the test set…")
def test_set():
    return load_test_set()


@st.cache_resource(show_spinner="Reading the 10 000 test digits with this network (once per network)…")
def cached_predictions(path: str, name: str, modified: float | None):
    """Kept beside the network by train.py, else computed; once per file version either way."""
    images, labels = test_set()
    return answers_on_test_set(network(name), images, labels)


def predictions_of(name: str):
    path = model_path(name)
    return cached_predictions(str(path), name, modified_time(path))


def heatmap(table, title: str) -> alt.LayerChart:
    """Rows: the true digit; columns: the network's answer. Right answers in grey, mistakes in shades of blue by
    how many, empty cells left blank, and the chosen cell (from a click or the select boxes) outlined in orange."""
    order = list(CLASS_NAMES)
    levels = table.loc[~table["correct"] & (table["count"] > 0)].drop_duplicates("level").sort_values("count")
    base = alt.Chart(table, title=title).encode(
        x=alt.X(
            "predicted:N",
            sort=order,
            title="the network's answer",
            axis=alt.Axis(labelAngle=0, orient="top", labelFontSize=14),
        ),
        y=alt.Y("true:N", sort=order, title="the true digit", axis=alt.Axis(labelFontSize=14)),
        tooltip=[
            alt.Tooltip("true:N", title="true digit"),
            alt.Tooltip("predicted:N", title="read as"),
            alt.Tooltip("count:Q", title="images"),
            alt.Tooltip("share:Q", title="of this digit", format=".1%"),
        ],
    )
    cells = (
        base.mark_rect()
        .encode(
            color=alt.when("datum.correct")
            .then(alt.value(RIGHT_COLOUR))
            .otherwise(
                alt.Color(
                    "level:N",
                    title="mistakes",
                    sort=list(levels["level"]),
                    scale=alt.Scale(domain=list(levels["level"]), range=list(levels["fill"])),
                    legend=alt.Legend(orient="bottom", direction="horizontal"),
                )
            ),
            stroke=alt.when("datum.chosen").then(alt.value(SELECTED_COLOUR)).otherwise(alt.value("transparent")),
            strokeWidth=alt.when("datum.chosen").then(alt.value(4)).otherwise(alt.value(0)),
        )
        .add_params(alt.selection_point(name="cell", fields=["true", "predicted"], on="click"))
        .transform_filter("datum.correct || datum.count > 0 || datum.chosen")
    )
    numbers = (
        base.mark_text(fontSize=alt.expr(NUMBER_SIZE))
        .encode(
            text=alt.Text("count:Q"),
            color=alt.Color("ink:N", scale=None),
        )
        .transform_filter("datum.count > 0")
    )
    return alt.layer(cells, numbers).properties(height=440)


def coloured(table, true: str, read: str):
    """Adds each cell's colour (the right answers apart, the mistakes on a scale of their own), its text colour
    (black or white, whichever reads better on it), and which cell is chosen."""
    levels, fills = count_colours(table["count"], table["correct"], RIGHT_COLOUR)
    return table.assign(
        level=levels,
        fill=fills,
        ink=[text_colour(fill) for fill in fills],
        chosen=(table["true"] == true) & (table["predicted"] == read),
    )


def pick_cell_from_chart(chart_key: str) -> None:
    """A click on the heatmap sets the two select boxes, so that mouse and keyboard choose the same cell."""
    points = st.session_state[chart_key].selection.get("cell") or []
    if points:
        st.session_state[TRUE_KEY] = str(points[0]["true"])
        st.session_state[PREDICTED_KEY] = str(points[0]["predicted"])


def gallery(images, indices, captions, labels) -> None:
    if len(indices):
        st.image(
            [enlarge(images[i], THUMBNAIL) for i in indices],
            caption=captions,
            alt=[f"A handwritten {labels[i]}, {caption}" for i, caption in zip(indices, captions)],
        )


st.title("Mistakes: where the network goes wrong")
st.caption(
    "Every trained network reads the 10 000 MNIST test digits, which it never saw while learning. "
    "Which digits does it mix up, and would you have done better?"
)

trained = available_networks()
if not trained:
    st.error(f"No trained network yet. Create one with: python train.py   (it trains {NETWORK_NAMES[SEED_NETWORK]})")
    st.stop()
name = st.radio("Network", trained, format_func=NETWORK_TITLES.get, horizontal=True, key="mistakes_network")

try:
    images, labels = test_set()
    predictions = predictions_of(name)
except (DataError, ModelError) as error:
    show_error(error, "MNIST's test digits are missing on this server, so there are no mistakes to show.")
    st.stop()

matrix = confusion_matrix(predictions.labels, predictions.predicted)
wrong = misclassified(predictions)
right_column, wrong_column, worst_column = st.columns(3)
right_column.metric("Test accuracy", f"{predictions.accuracy:.2%}", help="Share of the 10 000 test digits read right.")
wrong_column.metric("Mistakes", f"{len(wrong):,} of {len(labels):,}")
worst = worst_confusions(matrix, top=1)
if worst:
    true, read, count = worst[0]
    worst_column.metric(
        "Most common mix-up", f"{true} read as {read}", delta=f"{count} times", delta_color="off", delta_arrow="off"
    )

st.header("The confusion matrix")
if TRUE_KEY not in st.session_state:  # start on the commonest mix-up
    first = worst[0] if worst else (0, 0)
    st.session_state[TRUE_KEY], st.session_state[PREDICTED_KEY] = str(first[0]), str(first[1])
chart_key = f"confusion_{name}"
table = coloured(confusion_table(matrix), st.session_state[TRUE_KEY], st.session_state[PREDICTED_KEY])
st.altair_chart(
    heatmap(table, f"How {NETWORK_NAMES[name]} reads each test digit"),
    on_select=lambda: pick_cell_from_chart(chart_key),
    selection_mode="cell",
    key=chart_key,
    width="stretch",
)
st.caption(
    "Each row is one true digit, each column the network's answer; the number is how many test images fall "
    "there. The grey diagonal holds the right answers. Every blue cell is a kind of mistake: the darker, "
    "the more often it happens. Mistakes have a colour scale of their own, so that a rare mistake and a common "
    "mix-up never look alike."
)
st.markdown(
    "A network's mistakes are not random: they gather in a few cells, between digits that share strokes, "
    "such as 4 and 9, 3 and 5, or 7 and 2. **Click a cell**, or choose it below, to see those digits."
)

true_column, predicted_column = st.columns(2)
true = int(true_column.selectbox("True digit", CLASS_NAMES, key=TRUE_KEY))
read = int(predicted_column.selectbox("Read as", CLASS_NAMES, key=PREDICTED_KEY))
chosen = cell(predictions, true, read)
verb = "read correctly" if true == read else f"read as {read}"
st.subheader(f"{true}s {verb}: {len(chosen):,} test images")
if len(chosen) == 0:
    st.info(f"The network never read a test {true} as a {read}.")
shown = chosen[:48]
gallery(images, shown, [f"read as {read}, {predictions.confidence[i]:.0%} sure" for i in shown], labels)
if len(chosen) > len(shown):
    st.caption(f"The {len(shown)} the network was surest of, out of {len(chosen):,}.")

st.header("The most confident mistakes")
count = st.select_slider("How many to show", [24, 48, 96, 192], value=24, key="mistakes_count")
shown = wrong[:count]
gallery(
    images, shown, [f"{labels[i]} → {predictions.predicted[i]}, {predictions.confidence[i]:.0%}" for i in shown], labels
)
st.caption("Under each digit: its true label → the network's answer, and how sure the network was.")
st.markdown(
    "These are the test digits the network got wrong **while most sure of itself**. Many are badly written, "
    "cut off, or even mislabelled in MNIST; a few are plain errors that a person would not make. A high "
    "confidence is not a guarantee: the network is sure of its answer, not necessarily right."
)
