"""What several pages share: cached networks, the class's collection, the teacher key, errors, charts, and
session-state names.

Altair and pandas are imported only inside the functions that need them: the Draw page's first run,
which must put the canvas on screen fast, needs neither.
"""

import functools
import gc
import hashlib
import json
import logging
import os
import re
import secrets
import threading

import numpy as np
import streamlit as st

from app_pages.colours import BLUE, GREY, ORANGE, RUN_COLOURS
from digitlab.backend import import_keras
from digitlab.config import CLASS_NAMES, DEFAULT_CLASS, model_path, modified_time, onnx_path
from digitlab.data import Mnist, download_or_none
from digitlab.inference import Network, load_network
from digitlab.metrics import history_points
from digitlab.report import Report
from digitlab.teacher import configured_key, key_matches
from digitlab.verdict import DigitJudge, load_judge

CANVAS_KEY = "canvas"  # the Draw page's canvas widget (a save gives the next canvas a key of its own: canvas_key)
CANVAS_GENERATION = "canvas_generation"  # session state: how many times the canvas was cleared (a save clears it)
CLEAR = "Clear the canvas"  # the Draw page's button (the browser tests and benchmarks press it too)
NO_ANSWER = "—"  # the Draw page's Prediction while nothing is drawn (the tests wait for it after a clear)
CURRENT_INPUT = "current_input"  # session state: the 28 x 28 input now on the Draw page (None when nothing is drawn)
SESSION_NETWORK = "session_network"  # session state: the Network trained on the Train page (this session only)
WINNER_COLOUR, OTHER_COLOUR = ORANGE, GREY
TRAIN_COLOUR, TEST_COLOUR = BLUE, ORANGE
PREVIEW_SIZE = 168  # px: a 28 x 28 input shown 6 times as wide
OWN_DRAWINGS = "own_drawings"  # session state: ids of the drawings this session saved (its author may delete them)
TEACHER = "teacher"  # session state: the class whose teacher key (or the server's) was typed in this session
CLASS_CODE = "class_code"  # session state: the code of the class this session is in (DEFAULT_CLASS: none)
CLASS_NAME = "class_name"  # session state: that class's name, read once when it was joined (names never change)
# A person saves a digit every few seconds at most. Counted per address (see visitor): a class behind one
# router shares one, so a server reached that way needs DIGITLAB_SAVES_PER_ADDRESS raised to the class's.
SAVES_PER_MINUTE = int(os.environ.get("DIGITLAB_SAVES_PER_ADDRESS", "12"))
BROWSER_COOKIE = "digitlab_browser"  # a random id this browser keeps across reloads and tabs (see browser_id)
BROWSER = "browser_id"  # session state: that id, once known or made

log = logging.getLogger("digitlab.pages")


# One live region for the whole page, outside Streamlit's elements, so that it outlives reruns: a region made
# afresh with each answer is often not read out. Each answer's text is put into it.
ANNOUNCER = """<script>
(() => {
  let region = document.getElementById("digitlab-live");
  if (!region) {
    region = Object.assign(document.createElement("div"), {id: "digitlab-live"});
    region.setAttribute("role", "status");
    region.setAttribute("aria-live", "polite");
    region.style.cssText = "position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)";
    document.body.appendChild(region);
  }
  region.textContent = TEXT;
})();
</script>"""


def announce(text: str) -> None:
    """Tells screen readers `text` (the answer after each stroke, say), without showing anything."""
    st.html(ANNOUNCER.replace("TEXT", json.dumps(text)), unsafe_allow_javascript=True)


# Sets the browser's id once, for a year, on this site only: a reload or a new tab sends it back to the server
# (st.context.cookies), so that a browser stays who it was (the starter of a training, a member of a class).
SET_BROWSER_COOKIE = """<script>
document.cookie = "NAME=" + VALUE + "; path=/; max-age=31536000; SameSite=Strict";
</script>"""


def browser_id() -> str:
    """This browser's id: random, kept in a cookie, so the same across reloads, pages and tabs. It names who
    started a training, and counts who joined a class; it unlocks nothing else."""
    sent = st.context.cookies.get(BROWSER_COOKIE)
    known = st.session_state.get(BROWSER) or sent
    if not isinstance(known, str) or not re.fullmatch(r"[0-9a-f]{32}", known):
        known = secrets.token_hex(16)
    st.session_state[BROWSER] = known
    return known


def keep_browser_id() -> None:
    """Called by the router on every run: until the browser sends its id back, the sidebar (where the
    script's empty element moves nothing the visitor uses) sets the cookie. Every run, not once, so that
    the page keeps the same elements from run to run."""
    known = browser_id()
    if st.context.cookies.get(BROWSER_COOKIE) != known:
        script = SET_BROWSER_COOKIE.replace("NAME", BROWSER_COOKIE).replace("VALUE", json.dumps(known))
        st.sidebar.html(script, unsafe_allow_javascript=True)


TRUSTED_PROXIES_VARIABLE = "DIGITLAB_TRUSTED_PROXIES"  # addresses of proxies whose X-Forwarded-For is believed


def visitor() -> str:
    """Who is asking, for limits that a new tab or a script's fresh sessions must not reset: a hash of the
    address the request came from. Behind a proxy this server trusts (one on this machine, as deploy/ runs
    nginx, or one named in DIGITLAB_TRUSTED_PROXIES), the address the proxy saw, which it put last in
    X-Forwarded-For; anyone may write the rest of that header. A visitor on this machine itself, with no proxy
    between (the teacher at the server), is told apart by the browser's id instead."""
    peer = _text(st.context.ip_address) or None  # None on this machine (Streamlit's loopback)
    trusted = peer is None or peer in os.environ.get(TRUSTED_PROXIES_VARIABLE, "").replace(",", " ").split()
    forwarded = _text(st.context.headers.get("X-Forwarded-For")).split(",")[-1].strip() if trusted else ""
    address = forwarded or peer
    if address is None or address in ("127.0.0.1", "::1"):
        address = f"this machine, browser {browser_id()}"
    return hashlib.sha256(address.encode()).hexdigest()


def _text(value) -> str:
    """A request's value as text ("" if absent: outside a browser's request, as in AppTest, there is none)."""
    return value if isinstance(value, str) else ""


def canvas_key(session_state=None) -> str:
    """The Draw page's canvas widget key now: a fresh one after each save, which gives an empty canvas."""
    state = st.session_state if session_state is None else session_state
    generation = state[CANVAS_GENERATION] if CANVAS_GENERATION in state else 0
    return CANVAS_KEY if generation == 0 else f"{CANVAS_KEY}-{generation}"


def show_error(error: Exception, visitor: str | None = None) -> None:
    """One short message for the visitor, without server paths; the details go to the server's log."""
    log.warning("%s: %s", type(error).__name__, error)
    st.error(getattr(error, "visitor", None) or visitor or str(error))


def current_class() -> str:
    """The code of this session's class (digitlab.classes), DEFAULT_CLASS if it joined none."""
    return st.session_state.get(CLASS_CODE, DEFAULT_CLASS)


def teacher_key_set() -> bool:
    """Whether a key can unlock this session's class: the server's key, or, in a class with a code, its own."""
    return current_class() != DEFAULT_CLASS or configured_key(st.secrets) is not None


def is_teacher() -> bool:
    """Whether this session typed the key of the class it is in now (the server's key counts for every class)."""
    return st.session_state.get(TEACHER) == current_class() and teacher_key_set()


def attempt(kind: str, check, refusal: str) -> str | None:
    """None if `check()` holds; else why not: `refusal`, or how long to wait. Wrong tries of a `kind` ("code",
    "key") are counted in the store per visitor and for the whole server (digitlab.tries), so that neither a new
    tab nor a school's other processes reset them."""
    from digitlab.database import default_url
    from digitlab.tries import right_try, take_try

    url = default_url()
    wait, try_id = take_try(url, kind, visitor())
    if wait is not None:
        return f"Too many tries. Wait {wait} s."
    if not check():
        return refusal
    right_try(url, try_id)
    return None


def try_key(given: str, check, refusal: str) -> str | None:
    """None if `check(given)` holds; else why not (see attempt)."""
    return attempt("key", lambda: check(given), refusal)


def try_teacher_key(given: str) -> str | None:
    """Unlocks the teacher's actions on this session's class if `given` is its key or the server's; else why not."""
    code = current_class()

    def matches(key: str) -> bool:
        from digitlab.classes import class_key_matches
        from digitlab.database import default_url

        return key_matches(key, configured_key(st.secrets)) or (
            code != DEFAULT_CLASS and class_key_matches(default_url(), code, key)
        )

    refused = try_key(given, matches, "That is not the teacher key.")
    if refused is None:
        st.session_state[TEACHER] = code
    return refused


def emptied(field: str) -> dict:
    """A form's submit button's options that move what was typed in `field` (a key) out of it as the form is sent:
    the field is empty again at once, so neither the page nor its eye button shows the key afterwards. typed()
    gives it to the run that handles the form."""

    def move() -> None:
        st.session_state[f"{field}_sent"] = st.session_state.get(field, "")
        st.session_state[field] = ""

    return {"on_click": move}


def typed(field: str) -> str:
    """What was typed in `field` when its form was sent (see emptied); asked once, it is forgotten."""
    return st.session_state.pop(f"{field}_sent", "")


def teacher_key_form(name: str, button: str, help: str) -> None:
    """The teacher key's field and its button, for a page's teacher actions: the key leaves the field as the form
    is sent (emptied), is tried (try_teacher_key), and once it is right the whole page runs again, unlocked."""
    field = f"{name}_key_field"
    with st.form(name, border=False, enter_to_submit=True, clear_on_submit=True):
        st.text_input("Teacher key", type="password", help=help, key=field)
        if st.form_submit_button(button, icon=":material/lock_open:", **emptied(field)):
            refused = try_teacher_key(typed(field))
            if refused:
                st.error(refused)
            else:
                st.rerun()


def open_new_class(name: str, server_key: str):
    """A new class (digitlab.classes.OpenedClass) if `server_key` is the server's teacher key, with this session
    in it as its teacher; else why not."""
    from digitlab.classes import open_class
    from digitlab.database import default_url

    expected = configured_key(st.secrets)
    refused = try_key(server_key, lambda key: key_matches(key, expected), "That is not the server's teacher key.")
    if refused:
        return refused
    opened = open_class(default_url(), name)
    enter_class(opened.code, opened.name, student=False)
    st.session_state[TEACHER] = opened.code
    return opened


def join_class(code: str) -> str | None:
    """Puts this session in the class with that code; None, or why not. Any teacher rights it had are left
    behind with its old class."""
    from digitlab.classes import class_name, normal_code
    from digitlab.database import default_url

    normal, found = normal_code(code), []

    def known() -> bool:
        found.append(class_name(default_url(), normal) if normal else None)
        return found[-1] is not None

    wrong = f"There is no class with the code {code.strip()[:12]!r}. Check it with your teacher."
    refused = attempt("code", known, wrong)  # codes are few among many: guessing must be slow
    if refused is None:
        enter_class(normal, found[-1])
    return refused


def enter_class(code: str, name: str, student: bool = True) -> None:
    """This session is in that class from now on, and a student's browser counts as joined; what it saved
    before, it saved elsewhere."""
    from digitlab.classes import add_member
    from digitlab.database import default_url

    st.session_state[CLASS_CODE], st.session_state[CLASS_NAME] = code, name
    st.session_state.pop(OWN_DRAWINGS, None)
    if student:
        add_member(default_url(), code, browser_id())


def plain(text: str) -> str:
    """`text` as it is, in a Streamlit markdown string: a class named "[x](http://…)" stays those characters."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~$<>:])", r"\\\1", text)


def current_class_name() -> str | None:
    """The name of this session's class (None in the default class); no query: every page's sidebar shows it."""
    return st.session_state.get(CLASS_NAME) if current_class() != DEFAULT_CLASS else None


def leave_class() -> None:
    """Back to the server's default class."""
    for name in (CLASS_CODE, CLASS_NAME, OWN_DRAWINGS):
        st.session_state.pop(name, None)


# The networks are kept here, in the process, not in Streamlit's caches: any visitor's browser can ask the
# server to empty those ("clear_cache"), and reloading every network each time would slow the whole class.
_networks: dict[str, tuple[tuple, Network]] = {}  # name: (the version of its files, the network)
_loading = threading.Lock()


def network(name: str) -> Network:
    """A trained network, loaded once per version of its files: a retrained network, or one given its .onnx
    (train.py --onnx-only), takes effect on the next rerun. Raises ModelError (with the command that fixes it)
    if it is missing or broken."""
    path = model_path(name)
    version = (str(path), modified_time(path), modified_time(onnx_path(name)))
    kept = _networks.get(name)
    if kept is None or kept[0] != version:
        with _loading, st.spinner("Loading the network…"):
            kept = _networks.get(name)
            if kept is None or kept[0] != version:
                kept = _networks[name] = (version, load_network(str(path), name))
                gc.freeze()  # it lives as long as the server: keep the collector from walking it after every run
    return kept[1]


def tensorflow_loaded() -> None:
    """Waits for TensorFlow (imported once per server, in seconds), behind a spinner: for the pages that
    train or look inside Keras models. The Draw page never needs it."""
    with st.spinner("Loading TensorFlow (once per server, a few seconds)…"):
        import_keras()


@st.cache_resource(show_spinner="Loading MNIST…")
def full_mnist() -> Mnist | None:
    """Loaded once per server, for the Data and Train pages alike: the Keras way (one 11 MB download, then
    ~/.keras/datasets), or None offline."""
    return download_or_none()


@functools.cache
def digit_judge() -> DigitJudge | None:
    """The detector that tells a digit from anything else (digitlab.verdict), read once per process and kept
    out of Streamlit's caches, as the networks are. None, and a line in the log, if it cannot be read: the Draw
    page then reads every drawing as a digit, as it used to."""
    try:
        return load_judge()
    except (OSError, ValueError, KeyError) as error:
        log.warning("No digit-or-not detector: %s: %s", type(error).__name__, error)
        return None


def class_collection(code: str | None = None):
    """The collection (a digitlab.collection.ClassCollection) of class `code`, by default this session's, in the
    store that $DIGITLAB_CLASS_DB names. Whatever runs after the page (a download, a thread) must be given the
    code read while the page ran: outside the page's run there is no session to read it from. Imported here,
    not with the module: SQLAlchemy's import would slow the Draw page's first run, which needs the store only
    when a drawing is saved."""
    from digitlab.collection import ClassCollection

    return ClassCollection(class_code=current_class() if code is None else code)


def probability_chart(probabilities: np.ndarray, title: str) -> dict:
    """The ten probabilities as bars, the winner in its own colour, as a Vega-Lite spec for st.vega_lite_chart.

    A plain spec rather than Altair: it is drawn after every stroke, and Altair's validation would cost
    more than reading the digit. The ten rows sit in each layer, not at the top: Streamlit converts
    top-level data to an Arrow table through pandas, which costs more than the rest of the chart."""
    winner = int(probabilities.argmax()) if probabilities.any() else -1
    values = [
        {"digit": name, "probability": float(p), "answer": "the network's answer" if d == winner else "other digits"}
        for d, (name, p) in enumerate(zip(CLASS_NAMES, probabilities))
    ]
    position = {
        "x": {
            "field": "digit",
            "type": "nominal",
            "sort": list(CLASS_NAMES),
            "axis": {"labelAngle": 0, "title": "digit"},
        },
        "y": {
            "field": "probability",
            "type": "quantitative",
            "scale": {"domain": [0, 1]},
            "axis": {"format": "%", "title": "probability"},
        },
    }
    colour = {
        "field": "answer",
        "type": "nominal",
        "legend": None,
        "scale": {"domain": ["the network's answer", "other digits"], "range": [WINNER_COLOUR, OTHER_COLOUR]},
    }
    return {
        "title": title,
        "height": 200,
        "layer": [
            {
                "data": {"values": values},
                "mark": "bar",
                "encoding": {
                    **position,
                    "color": colour,
                    "tooltip": [
                        {"field": "digit", "type": "nominal"},
                        {"field": "probability", "type": "quantitative", "format": ".1%"},
                    ],
                },
            },
            {
                "data": {"values": values},
                "mark": {"type": "text", "dy": -8, "color": "#888"},
                "encoding": {**position, "text": {"field": "probability", "type": "quantitative", "format": ".0%"}},
            },
        ],
    }


def history_chart(
    history: list[dict], measure: str, title: str, epochs: int, values: tuple[float, float] | None = None
) -> dict:
    """One measure's training and test curves, on an axis of `epochs` epochs (and of `values`, if given, so that
    charts side by side share their scale), as a Vega-Lite spec.

    A plain spec, like probability_chart's: the Train page redraws it every second while a training runs,
    and building it with Altair and pandas held the server (and everyone's drawing) for tens of ms each time."""
    points = [point for point in history_points(history) if point["measure"] == measure]
    return {
        "title": title,
        "height": 320,
        "data": {"values": points},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {**EPOCH_AXIS, "scale": {"domain": [1, max(2, epochs)]}},
            "y": _value_axis(measure, values),
            "color": {
                "field": "set",
                "type": "nominal",
                "legend": {"title": None, "orient": "bottom"},
                "scale": {"domain": ["training", "test"], "range": [TRAIN_COLOUR, TEST_COLOUR]},
            },
            "strokeDash": {"field": "set", "type": "nominal", "legend": None},
            "tooltip": [{"field": "set", "type": "nominal"}, *_point_tooltip(measure)],
        },
    }


EPOCH_AXIS = {"field": "epoch", "type": "quantitative", "axis": {"tickMinStep": 1}}


def _value_axis(measure: str, values: tuple[float, float] | None = None) -> dict:
    """The y axis of an accuracy (in %) or a loss: zoomed to the curves, unless `values` fixes its range."""
    return {
        "field": "value",
        "type": "quantitative",
        "title": measure,
        "scale": {"zero": False} if values is None else {"domain": list(values), "nice": False},
        "axis": {"format": "%" if measure == "accuracy" else ".2f"},
    }


def _point_tooltip(measure: str) -> list[dict]:
    return [
        {"field": "epoch", "type": "quantitative"},
        {"field": "value", "type": "quantitative", "format": ".2%" if measure == "accuracy" else ".4f"},
    ]


def runs_chart(runs: list[tuple[str, list[dict]]], measure: str, title: str) -> dict:
    """Several trainings' curves of one measure, one colour per run (named in the legend), training solid and
    test dashed, as a Vega-Lite spec like history_chart's."""
    points = [
        {**point, "run": name}
        for name, history in runs
        for point in history_points(history)
        if point["measure"] == measure
    ]
    return {
        "title": title,
        "height": 360,
        "data": {"values": points},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": EPOCH_AXIS,
            "y": _value_axis(measure),
            "color": {
                "field": "run",
                "type": "nominal",
                "sort": [name for name, _ in runs],
                "scale": {"range": list(RUN_COLOURS)},
                "legend": {"title": None, "orient": "bottom", "direction": "vertical", "labelLimit": 0},
            },
            "strokeDash": {
                "field": "set",
                "type": "nominal",
                "sort": ["training", "test"],
                "legend": {"title": "curve", "orient": "bottom"},
            },
            "detail": {"field": "set", "type": "nominal"},
            "tooltip": [
                {"field": "run", "type": "nominal"},
                {"field": "set", "type": "nominal"},
                *_point_tooltip(measure),
            ],
        },
    }


def scores_and_curves(report: Report, scales: dict | None = None) -> None:
    """A training's scores (training, test, the gap) and its curves of accuracy and loss, in tabs.

    `scales`: the charts' value ranges per measure, so that runs side by side share them."""
    recipe = report.recipe
    train_column, test_column, gap_column = st.columns(3)
    train_column.metric(
        "Training",
        f"{report.train_accuracy:.1%}",
        help=f"Accuracy on the {recipe.training_images:,} images it learns from.",
    )
    test_column.metric(
        "Test", f"{report.test_accuracy:.1%}", help=f"Accuracy on {recipe.test_images:,} images it never learns from."
    )
    gap_column.metric(
        "Gap",
        f"{report.gap_points:.1f}",
        help="Training minus test accuracy, in percentage points: what it learnt that does not carry "
        "over to new images.",
    )
    accuracy_tab, loss_tab = st.tabs(["Accuracy per epoch", "Loss per epoch"])
    for tab, measure, title in (
        (accuracy_tab, "accuracy", "Accuracy after each epoch"),
        (loss_tab, "loss", "Loss after each epoch (lower is better)"),
    ):
        tab.vega_lite_chart(
            history_chart(report.history, measure, title, recipe.epochs_planned, (scales or {}).get(measure)),
            width="stretch",
        )
