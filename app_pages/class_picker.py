"""The class this session is in, in the sidebar of every page: join one with its code (or a link ?class=CODE),
or leave it. Called by the router (app.py) before the page runs, so that the page already works in that class.

The class is kept in the address too (?class=CODE on every page): a reload, a page change, the back button or a
copied link then lands in the same class, which session state alone would forget on a reload. Leaving is the
only way out, and it takes the code out of the address."""

import streamlit as st

from app_pages.shared import (
    current_class,
    current_class_name,
    join_class,
    keep_browser_id,
    leave_class,
    plain,
    show_error,
)
from digitlab.config import DEFAULT_CLASS
from digitlab.room import CLASS_PARAMETER
from digitlab.store_errors import StoreError

JOINED_FROM_LINK = "joined_from_link"  # session state: the address's code, once it was tried


def join_from_address() -> None:
    """Joins the class of the address's ?class=CODE, once per code (a wrong code is said once, not every rerun)."""
    code = st.query_params.get(CLASS_PARAMETER)
    if not code or code == current_class() or st.session_state.get(JOINED_FROM_LINK) == code:
        return
    st.session_state[JOINED_FROM_LINK] = code
    refused = join_class(code)
    if refused:
        st.sidebar.error(plain(refused))


def keep_in_address() -> None:
    """?class=CODE in the address while the session is in a class: a page change drops it, so every run puts
    it back."""
    code = current_class()
    if code != DEFAULT_CLASS and st.query_params.get(CLASS_PARAMETER) != code:
        st.query_params[CLASS_PARAMETER] = code


def leave() -> None:
    leave_class()
    st.query_params.pop(CLASS_PARAMETER, None)


def class_sidebar() -> None:
    keep_browser_id()
    try:
        join_from_address()
    except StoreError as error:
        with st.sidebar:
            show_error(error)
    keep_in_address()
    code, name = current_class(), current_class_name()
    with st.sidebar:
        if name is not None:
            st.subheader(f":material/groups: {plain(name)}", anchor=False)
            st.caption(f"Class code **{code}**. What you save goes to this class.")
            st.button("Leave this class", icon=":material/logout:", on_click=leave)
            return
        st.caption("You are in no class: what you save goes to this server's shared collection.")
        with st.form("join_class", border=False, enter_to_submit=True, clear_on_submit=True):
            given = st.text_input("Class code", max_chars=12, help="Your teacher gives it: 6 letters and digits.")
            if st.form_submit_button("Join the class", icon=":material/group_add:") and given.strip():
                try:
                    refused = join_class(given)
                except StoreError as error:
                    refused = str(error)
                if refused:
                    st.error(plain(refused))
                else:
                    st.rerun()
