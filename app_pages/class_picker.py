"""The class this session is in, in the sidebar of every page: join one with its code (or a link ?class=CODE),
or leave it. Called by the router (app.py) before the page runs, so that the page already works in that class."""

import streamlit as st

from app_pages.shared import current_class, current_class_name, join_class, leave_class, plain, show_error
from digitlab.store_errors import StoreError

LINK_PARAMETER = "class"  # ?class=CODE joins a class: the link a teacher shares
JOINED_FROM_LINK = "joined_from_link"  # session state: the link's code, once it was tried


def join_from_link() -> None:
    """Joins the class of the link's ?class=CODE, once per code (so "Leave" is not undone by the next rerun)."""
    code = st.query_params.get(LINK_PARAMETER)
    if not code or st.session_state.get(JOINED_FROM_LINK) == code:
        return
    st.session_state[JOINED_FROM_LINK] = code
    refused = join_class(code)
    if refused:
        st.sidebar.error(refused)


def class_sidebar() -> None:
    try:
        join_from_link()
    except StoreError as error:
        with st.sidebar:
            show_error(error)
    code, name = current_class(), current_class_name()
    with st.sidebar:
        if name is not None:
            st.markdown(f"**Class:** {plain(name)}  \ncode **{code}**")
            if st.button("Leave this class", icon=":material/logout:"):
                leave_class()
                st.rerun()
            return
        with st.form("join_class", border=False, enter_to_submit=True):
            given = st.text_input("Class code", max_chars=12, help="Your teacher gives it: 6 letters and digits.")
            if st.form_submit_button("Join the class", icon=":material/group_add:") and given.strip():
                try:
                    refused = join_class(given)
                except StoreError as error:
                    refused = str(error)
                if refused:
                    st.error(refused)
                else:
                    st.rerun()
