"""Draw page: draw (or upload) a digit, see what the network sees, and how sure it is of each digit."""

import hashlib

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from app_pages.canvas import canvas_options
from app_pages.shared import (
    CANVAS_GENERATION,
    CLEAR,
    CURRENT_INPUT,
    NO_ANSWER,
    OWN_DRAWINGS,
    PREVIEW_SIZE,
    SAVES_PER_MINUTE,
    SESSION_NETWORK,
    announce,
    browser_id,
    canvas_key,
    class_collection,
    current_class_name,
    digit_judge,
    network,
    plain,
    probability_chart,
    show_error,
    visitor,
)
from digitlab.config import (
    BRUSH_RANGE,
    CANVAS_SIZE,
    CLASS_NAMES,
    DEFAULT_BRUSH,
    NETWORK_NAMES,
    NETWORK_TITLES,
    SEED_NETWORK,
    available_networks,
    model_path,
)
from digitlab.images import CANVAS_UNREADABLE, SUFFIXES, ImageError, canvas_picture, enlarge
from digitlab.model_errors import ModelError, missing_network
from digitlab.preprocess import to_mnist
from digitlab.store_errors import AlreadySaved, StoreError
from digitlab.verdict import NOT_A_DIGIT, Verdict
from digitlab.words import count, with_article

DRAW, UPLOAD = ":material/draw: Draw", ":material/photo_camera: Upload a photo"
EXPERIMENT = "experiment"  # the Network option trained on the Train page
# For a projector: less empty space around the page (at 1024 px the canvas needs it), and an answer readable
# from the back of the room.
LAYOUT = """<style>
[data-testid="stMainBlockContainer"] { padding: 2.5rem 2rem 4rem; }
[data-testid="stMetricValue"] { font-size: 4.5rem; line-height: 1.1; font-weight: 600; }
.st-key-clear_canvas button { min-height: 44px; }
</style>"""
# The canvas's toolbar lives in the component's shadow DOM, which the page's CSS cannot reach: this puts a
# style into it. The toolbar then sits under the canvas, always visible (on touch screens it stayed hidden),
# with finger-sized buttons (44 px); its Edit toggle is gone, since in that mode a stroke drags the whole
# drawing away while the answer still shows the old one, and so is its "send" button, which every stroke
# already does. Its reset gives way to the page's own Clear (see clear_canvas).
CANVAS_TOOLBAR = """<script>
(() => {
  if (window.__digitlabToolbar) return;
  window.__digitlabToolbar = true;
  const css = `
    .dc-toolbar { opacity: 1 !important; position: static !important; padding: .5rem 0 0 0 !important; }
    .dc-icon-button { min-width: 44px !important; min-height: 44px !important; }
    .dc-icon-button svg { width: 24px; height: 24px; }
    button[aria-label="Edit"], button[aria-label="Update the app with this drawing"], .dc-toolbar-separator,
    button[aria-label="Reset canvas & history"], .dc-toolbar-contextual { display: none !important; }`;
  const restyle = () => {
    for (const host of document.querySelectorAll("*")) {
      const root = host.shadowRoot;
      if (root && root.querySelector(".dc-toolbar") && !root.getElementById("digitlab-toolbar")) {
        root.appendChild(Object.assign(document.createElement("style"), {id: "digitlab-toolbar", textContent: css}));
      }
    }
  };
  restyle();
  setInterval(restyle, 200);
})();
</script>"""
SOFTMAX_MUST_CHOOSE = (
    "The ten bars always add up to 100 %: the network ends in a softmax, which shares all of its "
    "certainty out among the ten digits, so it must choose one even for a drawing that is none of "
    "them. That is why a second network decides first whether there is a digit at all."
)
KEPT = "kept_drawing"  # session state: the canvas's (fabric.js objects, input, pixels), to draw it again on return
SHOWN_AGAIN = "drawing_shown_again"  # session state: what the canvas now on the page was made with
SAVED_NOTE = "saved_note"  # session state: what the last save stored, told after the canvas is cleared


def clear_canvas() -> None:
    """A new, empty canvas. The component's own reset is hidden: on a canvas drawn again from a kept
    drawing, it goes back to that drawing, so a student could not clear it."""
    st.session_state[CANVAS_GENERATION] = st.session_state.get(CANVAS_GENERATION, 0) + 1
    st.session_state[KEPT] = None


def drawn_input(brush: int) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The canvas's drawing as the network's input, and as the canvas's pixels.

    The drawing is kept for the session: a canvas that comes back (after another page) is drawn again from
    its strokes, and until its next stroke its last reading stands.

    The canvas's value is whatever the browser (or a script posing as one) sent: its picture is read by
    images.canvas_picture, which checks it before decoding, never by the component, which would decode any
    picture whole. A value the component itself cannot take apart gets the same message."""
    key = canvas_key()
    if key not in st.session_state:  # the canvas is being put on the page: after another page, or a save
        st.session_state[SHOWN_AGAIN] = st.session_state.get(KEPT)
    again = st.session_state.get(SHOWN_AGAIN)
    try:
        canvas = st_canvas(**canvas_options(brush), initial_drawing=again[0] if again else None, key=key)
    except (AttributeError, KeyError, TypeError, ValueError):  # a value of the wrong shape: on the page already
        canvas = None
    st.button(CLEAR, icon=":material/delete:", key="clear_canvas", on_click=clear_canvas)
    try:
        if canvas is None:
            raise ImageError(CANVAS_UNREADABLE)
        drawing = canvas_picture(st.session_state.get(key), CANVAS_SIZE, CANVAS_SIZE)
    except ImageError as error:
        st.error(str(error))
        return None, None
    if drawing is None:  # no stroke since the canvas was put on the page
        return (again[1], again[2]) if again else (None, None)
    x = to_mnist(drawing)
    st.session_state[KEPT] = (canvas.json_data, x, drawing) if x is not None else None
    return x, drawing


def uploaded_input():
    """An uploaded photo's digit as the network's input, and the photo (decoded, at most 2048 px a side).

    The file's name is never shown: the uploader shows it as plain text, and anywhere else Streamlit would
    read it as Markdown."""
    upload = st.file_uploader(
        "A digit written on paper, photographed or scanned",
        type=list(SUFFIXES),
        help="One digit per picture, dark on light or light on dark. Crop it close for the best reading.",
    )
    if upload is None:
        return None, None
    from digitlab.photo import read_photo  # here: OpenCV is slow to import, and drawing needs none

    try:
        with st.spinner("Opening the photo…"):  # at most two photos are opened at once on the server
            x, image = read_photo(upload.getvalue())  # on paper: lighting, printed lines, the desk
    except ImageError as error:
        st.error(str(error))
        return None, None
    st.image(
        image, caption=f"The photo, {image.width} × {image.height} px", width=CANVAS_SIZE, alt="The uploaded photo"
    )
    return x, image


def save_form(x: np.ndarray, predicted: int, network_name: str, picture, new_canvas: bool) -> None:
    """'Save to our class': the drawing joins the class's own test set, with the digit its author chose.

    The choice starts empty, and empties again after each save: filled in with the network's answer, a
    careless Save would record the network's guess as the truth, and flatter it on the Our class page."""
    with st.form("save", border=False, enter_to_submit=False, clear_on_submit=True):
        label_column, button_column = st.columns([1, 1], vertical_alignment="bottom")
        label = label_column.selectbox(
            "I meant",
            CLASS_NAMES,
            index=None,
            placeholder="the digit you drew",
            help="The digit you meant to draw: it becomes this drawing's label.",
        )
        if button_column.form_submit_button("Save to our class", icon=":material/save:"):
            if label is None:
                st.warning("First choose the digit you meant.")
            else:
                save(x, int(label), predicted, network_name, picture, new_canvas)


def save(x: np.ndarray, label: int, predicted: int, network_name: str, picture, new_canvas: bool) -> None:
    """Saves once per drawing: its token (this browser and its pixels) is stored with it, so a second click, a
    double click, or a retry after a server process died mid-save, on any process, stores nothing more. At most
    SAVES_PER_MINUTE saves a minute are stored per visitor (see visitor), however many tabs it opens."""
    token = hashlib.sha256(browser_id().encode() + np.ascontiguousarray(x).tobytes()).hexdigest()
    collection, class_title = class_collection(), current_class_name()
    try:
        drawing_id = collection.save(
            x, label, predicted, network_name, picture, token=token, visitor=visitor(), per_minute=SAVES_PER_MINUTE
        )
        total = len(collection)
    except AlreadySaved as already:
        st.info(f"This drawing is already saved, as drawing #{already.drawing_id}.")
        return
    except StoreError as error:
        show_error(error)
        st.caption("Your drawing is still here: press Save again in a moment.")
        return
    st.session_state.setdefault(OWN_DRAWINGS, set()).add(drawing_id)
    where = f"in {plain(class_title)}" if class_title else "in the server's shared collection (you are in no class)"
    st.session_state[SAVED_NOTE] = f"Saved as {with_article(label)} {where}: it now holds {count(total, 'drawing')}."
    if new_canvas:  # a clean canvas for the next digit
        clear_canvas()
    st.rerun()  # the whole page: a save can come from a run of the whole page as well as of the fragment


def refusal(verdict: Verdict) -> None:
    """Not a digit: said plainly, in the Prediction's place, with why."""
    st.metric(
        "Prediction",
        "Not a digit",
        delta=verdict.reason[:1].upper() + verdict.reason[1:],
        delta_color="off",
        delta_arrow="off",
        help="A second network, trained on digits and on things that are not digits, "
        "decides first whether there is a digit to read.",
    )


def answer(probabilities: np.ndarray, subject: str) -> None:
    """The Prediction: the digit, large enough to read from the back of a classroom, and how sure."""
    digit = int(probabilities.argmax())
    st.metric(
        "Prediction",
        CLASS_NAMES[digit],
        delta=f"{probabilities[digit]:.0%} sure",
        delta_color="off",
        delta_arrow="off",
        help=f"What {subject} reads.",
    )


def others(x: np.ndarray, chosen: str, trained: list[str]) -> None:
    """What the other trained network reads in the same drawing."""
    for other in (name for name in trained if name != chosen):
        try:
            second = network(other).probabilities(x[None])[0]
        except ModelError:  # the chosen network's own error is the one shown
            continue
        st.caption(
            f"{NETWORK_NAMES[other].capitalize()} reads **{CLASS_NAMES[int(second.argmax())]}** "
            f"({second.max():.0%} sure)."
        )


@st.fragment
def read_and_answer(source: str, brush: int, chosen: str, trained: list[str], experiment, subject: str) -> None:
    """The input, what the network sees, its answer and the chart.

    A fragment: a stroke reruns only this part of the page, not the navigation, sidebar and title, so
    each answer costs the server less work; with a classroom on one server, that work is the latency.
    """
    if note := st.session_state.pop(SAVED_NOTE, None):
        st.toast(note, icon=":material/save:")
    input_column, answer_column = st.columns(2, gap="medium")  # stacked on a phone: the answer right below
    with input_column:
        try:
            x, picture = uploaded_input() if source == UPLOAD else drawn_input(brush)
        except ValueError as error:  # an image of a shape no digit comes in
            st.error(f"This image cannot be read as a digit ({error}).")
            x, picture = None, None
    st.session_state[CURRENT_INPUT] = x

    # The network is loaded once there is something to read: its .onnx file into ONNX Runtime, without
    # TensorFlow (digitlab.onnx_reader), so the first run only shows the canvas.
    try:
        reader = None if x is None else experiment if chosen == EXPERIMENT else network(chosen)
        probabilities = reader.probabilities(x[None])[0] if reader else np.zeros(len(CLASS_NAMES))
    except ModelError as error:
        show_error(error)
        return

    judge = None if x is None else digit_judge()
    refused = judge is not None and (verdict := judge.verdict(x, probabilities)).kind == NOT_A_DIGIT
    with answer_column:
        digit = int(probabilities.argmax())
        announce(
            ""
            if x is None
            else f"Not a digit: {verdict.reason}"
            if refused
            else f"Prediction: {digit}, {probabilities[digit]:.0%} sure"
        )
        if x is None:
            st.metric("Prediction", NO_ANSWER, help="Nothing to read yet.")
        elif refused:
            refusal(verdict)
        else:
            answer(probabilities, subject)
        st.vega_lite_chart(
            probability_chart(
                probabilities, "If it had to choose a digit" if refused else "How sure it is of each digit"
            ),
            width="stretch",
        )
        if refused:
            st.caption(SOFTMAX_MUST_CHOOSE)
        if x is None:
            st.info("Draw a digit on the black square." if source != UPLOAD else "Upload a picture of one digit.")
        else:
            others(x, chosen, trained)
            save_form(x, digit, chosen, picture, new_canvas=source != UPLOAD)
        st.image(
            enlarge(x, PREVIEW_SIZE),
            alt="What the network sees: the digit as 28 × 28 pixels",
            caption="What the network sees: the ink cropped, scaled to 20 px and centred on 28 × 28 pixels, "
            "just as MNIST's digits were made.",
        )


st.html(LAYOUT)
st.html(CANVAS_TOOLBAR, unsafe_allow_javascript=True)
st.title("Draw a digit")
st.caption("Draw one digit, 0 to 9, with the mouse or a finger: the network answers after every stroke.")

trained = available_networks() or [SEED_NETWORK]
experiment = st.session_state.get(SESSION_NETWORK)  # trained on the Train page, for this session only
titles = dict(NETWORK_TITLES, **({EXPERIMENT: f"Your experiment ({experiment.report.title})"} if experiment else {}))
with st.sidebar:
    chosen = st.radio(
        "Network",
        trained + ([EXPERIMENT] if experiment else []),
        format_func=titles.get,
        key="network",
        help="Switch to compare how two networks read the same drawing.",
    )
    brush = st.slider(
        "Brush width (px)", *BRUSH_RANGE, DEFAULT_BRUSH, help=f"MNIST's strokes match about {DEFAULT_BRUSH} px here."
    )
subject = "your experiment" if chosen == EXPERIMENT else NETWORK_NAMES[chosen]  # for sentences

if chosen != EXPERIMENT and not model_path(chosen).is_file():
    show_error(missing_network(model_path(chosen)))
    st.stop()

source = st.segmented_control("Input", [DRAW, UPLOAD], default=DRAW, key="source", label_visibility="collapsed")
read_and_answer(source, brush, chosen, trained, experiment, subject)
