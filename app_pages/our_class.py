"""Our class page: the digits the class saved from the Draw page — a real test set from real people."""

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from app_pages.colours import BLUE, GREEN, ORANGE, PINK
from app_pages.room import room_view, students_link
from app_pages.shared import (
    OWN_DRAWINGS,
    class_collection,
    current_class,
    current_class_name,
    emptied,
    is_teacher,
    network,
    open_new_class,
    plain,
    show_error,
    teacher_key_form,
    teacher_key_set,
    typed,
)
from digitlab.classes import MAX_NAME
from digitlab.config import CLASS_NAMES, NETWORK_NAMES, available_networks
from digitlab.metrics import accuracy_per_digit
from digitlab.model_errors import ModelError
from digitlab.store_errors import StoreError
from digitlab.teacher import KEY_VARIABLE, SECRET_NAME, configured_key
from digitlab.words import count, with_article

COLOURS = [ORANGE, BLUE, GREEN, PINK]
GRID_COLUMNS = 8
SHOWN = 96  # drawings on the page at most, newest first
JUST_OPENED = "just_opened_class"  # session state: the class this session has just opened (its key not yet kept)
REVEAL_KEY = "reveal_class_key"  # session state: the class whose new key the teacher asked to see
ROOM_TOGGLE = "show_room"  # the toggle that turns the page into the room view
SERVER_KEY_FIELD = "server_key_field"  # the server's key's field, emptied once used
LIVE_SECONDS = 1  # how often the page asks the store whether drawings came or went


def accuracy(images: np.ndarray, labels: np.ndarray) -> None:
    per_digit, columns = [], st.columns(max(1, len(available_networks())) + 1)
    columns[0].metric("Drawings", f"{len(labels):,}")
    for column, name in zip(columns[1:], available_networks()):
        try:
            predicted = network(name).probabilities(images).argmax(axis=1)
        except ModelError as error:
            with column:
                show_error(error)
            continue
        column.metric(
            NETWORK_NAMES[name].capitalize(),
            f"{(predicted == labels).mean():.1%}",
            help="Share of the class's drawings read right.",
        )
        per_digit.append(accuracy_per_digit(labels, predicted).assign(network=NETWORK_NAMES[name].capitalize()))
    if not per_digit:
        return
    chart = (
        alt.Chart(pd.concat(per_digit), title="Share read right, digit by digit")
        .mark_bar()
        .encode(
            x=alt.X("digit:N", axis=alt.Axis(labelAngle=0)),
            xOffset="network:N",
            y=alt.Y("accuracy:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
            color=alt.Color(
                "network:N", scale=alt.Scale(range=COLOURS), legend=alt.Legend(orient="bottom", title=None)
            ),
            tooltip=["network", "digit", "count", alt.Tooltip("accuracy:Q", format=".0%")],
        )
        .properties(height=260)
    )
    st.altair_chart(chart, width="stretch")
    st.caption(
        "Where a bar is low, the network has trouble with how *we* write that digit — often a style "
        "MNIST's writers rarely used, such as a crossed 7 or a 1 with a long flag."
    )


def grid(saved) -> None:
    shown_digits = st.pills(
        "Show",
        CLASS_NAMES,
        selection_mode="multi",
        key="class_digits",
        help="Pick digits to see only those; none picked shows all.",
    )
    chosen = [d for d in reversed(saved) if not shown_digits or CLASS_NAMES[d.label] in shown_digits]
    st.caption(
        f"{count(len(chosen), 'drawing')}, newest first, as the network sees them (28 × 28)"
        + (f"; the {SHOWN} newest are shown." if len(chosen) > SHOWN else ".")
    )
    for row_start in range(0, min(len(chosen), SHOWN), GRID_COLUMNS):
        for column, drawing in zip(st.columns(GRID_COLUMNS), chosen[row_start : row_start + GRID_COLUMNS]):
            read = "" if drawing.predicted is None else f", read {drawing.predicted}"
            column.image(
                drawing.pixels,
                caption=f"#{drawing.id}: {with_article(drawing.label)}{read}",
                width="stretch",
                alt=f"Drawing {drawing.id}, labelled {drawing.label}{read}",
            )


def act(action, *args) -> bool:
    """Runs a change to the collection; False (with the message shown) if the store refused it."""
    try:
        action(*args)
    except StoreError as error:
        show_error(error)
        return False
    return True


def delete_form(saved, mine: set[int], everyone: bool) -> None:
    """Delete one drawing: the teacher any, a visitor only the ones this session saved."""
    choices = sorted((d.id for d in saved if everyone or d.id in mine), reverse=True)
    if not choices:
        st.caption("Drawings you save in this visit can be deleted here; the others only by the teacher.")
        return
    by_id = {d.id: d for d in saved}
    with st.form("delete", border=False):
        victim = st.selectbox(
            "A drawing with a wrong label" if everyone else "One of your drawings",
            choices,
            format_func=lambda i: f"#{i}: labelled {by_id[i].label}",
        )
        if st.form_submit_button("Delete it", icon=":material/delete:") and act(class_collection().delete, victim):
            mine.discard(victim)
            st.rerun()


def teacher_tools(saved, code: str) -> None:
    """Export and clear: only once the teacher key was typed in this session. The export is made when it is
    downloaded, after the page's run: it is given the class's code now (see class_collection)."""
    export_column, clear_column = st.columns(2)
    export_column.download_button(
        "Download as .npz (Keras's MNIST layout)",
        lambda: class_collection(code).export_npz(),
        file_name=f"our-class-digits-{code or 'shared'}.npz",
        mime="application/octet-stream",
        icon=":material/download:",
        on_click="ignore",
        help="x_test and y_test hold the drawings; load with numpy.load.",
    )
    if not saved:
        return
    with clear_column.form("clear", border=False):
        sure = st.checkbox(f"Yes, delete all {count(len(saved), 'drawing')}")
        if st.form_submit_button("Delete all", icon=":material/delete_forever:"):
            if not sure:
                st.warning("Tick the box first: nothing was deleted.")
            elif act(class_collection(code).clear):
                st.rerun()


@st.fragment
def open_class_form() -> None:
    """A teacher opens a class of their own with the server's key: its code for the students, its key for them.
    A fragment, like unlock_form: a try of a key reruns the form, not the page with every drawing."""
    with st.expander("Open a new class (for teachers)", icon=":material/add_circle:"):
        if not configured_key(st.secrets):
            st.caption(f"Opening classes needs the server's teacher key, and none is set ({KEY_VARIABLE}).")
            return
        with st.form("open_class", border=False, clear_on_submit=True):  # the server's key leaves the page
            name = st.text_input("The class's name", max_chars=MAX_NAME, placeholder="Year 9, Tuesday")
            st.text_input("The server's teacher key", type="password", key=SERVER_KEY_FIELD)
            if not st.form_submit_button("Open the class", icon=":material/add_circle:", **emptied(SERVER_KEY_FIELD)):
                return
            key = typed(SERVER_KEY_FIELD)
        try:
            opened = open_new_class(name, key)
        except StoreError as error:
            show_error(error)
            return
        if isinstance(opened, str):
            st.error(opened)
            return
    st.session_state[JUST_OPENED] = opened
    st.rerun()  # the whole app in the new class, the sidebar too


def just_opened(opened) -> None:
    """The new class's code and link for the students; its key only if the teacher asks, never on the projector
    by surprise, and only until the teacher says it is kept: it is never shown again."""
    st.success(
        f"**{plain(opened.name)}** is open, and this browser is in it as its teacher. Students join with the code "
        f"**{opened.code}** or with the link below; **Show the class to the room** puts both on the screen, large, "
        "with a QR code."
    )
    st.code(students_link(opened.code), language=None)
    st.markdown(
        "**The class's teacher key** exports and deletes this class's drawings, so it is not on the screen. "
        "Keep it now: it cannot be shown again."
    )
    download_column, show_column, done_column = st.columns(3)
    download_column.download_button(
        "Download the key (.txt)",
        f"Digit Lab class: {opened.name}\nCode: {opened.code}\nTeacher key: {opened.key}\n",
        file_name=f"digitlab-class-{opened.code}-key.txt",
        mime="text/plain",
        icon=":material/key:",
        on_click="ignore",
    )
    revealing = st.session_state.get(REVEAL_KEY) == opened.code
    if show_column.button("Hide the key" if revealing else "Show the key", icon=":material/visibility:"):
        st.session_state[REVEAL_KEY] = None if revealing else opened.code
        st.rerun()
    if done_column.button("I have kept the key", icon=":material/check:"):
        del st.session_state[JUST_OPENED]
        st.session_state.pop(REVEAL_KEY, None)
        st.rerun()
    if revealing:
        st.warning("Is this page off the projector? Everyone who reads the key can delete the class's drawings.")
        st.code(opened.key, language=None)


@st.fragment
def unlock_form() -> None:
    """The teacher key, tried in a fragment: a wrong try (or a guesser's thousand) reruns the form alone, never
    the page that reads every drawing; the right one reruns the whole page, unlocked."""
    if not teacher_key_set():
        st.info(
            f"Exporting the class's drawings and deleting other people's need a teacher key, and none is set "
            f'on this server. Whoever runs it can set one: `{SECRET_NAME} = "…"` in .streamlit/secrets.toml, '
            f"or {KEY_VARIABLE}.",
            icon=":material/lock:",
        )
        return
    teacher_key_form("unlock", "Unlock", "Export and delete any drawing.")


@st.fragment(run_every=LIVE_SECONDS)
def follow(code: str, shown: tuple[int, int]) -> None:
    """Draws the whole page again when the class's drawings change: one small query each time (see version)."""
    try:
        now = class_collection(code).version()
    except StoreError:
        return  # the page stays as it is until the store answers again
    if now != shown:
        st.rerun(scope="app")


code, class_title = current_class(), current_class_name()
st.title(f"{plain(class_title)}: our digits" if class_title else "Our class's digits")
if class_title and st.toggle("Show the class to the room", key=ROOM_TOGGLE, help="Its code, link and QR code, large"):
    room_view(code, class_title)
    st.stop()
opened = st.session_state.get(JUST_OPENED)
if opened is not None and opened.code == code:
    just_opened(opened)
st.caption(
    "Every drawing saved with “Save to our class” on the Draw page, with the digit its author meant. "
    "Nobody's handwriting here was in MNIST: this is a real test set, made by real people."
)

try:
    saved = class_collection(code).drawings()
except StoreError as error:
    show_error(error)
    st.stop()
follow(code, (len(saved), saved[-1].id if saved else 0))  # the version these drawings are (see version)
mine = st.session_state.setdefault(OWN_DRAWINGS, set())
teacher = is_teacher()

if saved:
    st.subheader("How well do the networks read us?")
    accuracy(np.stack([d.pixels for d in saved]), np.array([d.label for d in saved]))
    st.subheader("The drawings")
    grid(saved)
else:
    st.info("No drawings yet. On the Draw page, draw a digit, check the label and press **Save to our class**.")

st.subheader("Keep it or fix it")
if saved:
    delete_form(saved, mine, everyone=teacher)
if teacher:
    teacher_tools(saved, code)
else:
    unlock_form()
open_class_form()
