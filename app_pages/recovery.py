"""Every page comes back by itself when the server process behind it dies and the browser reconnects to another.

The other process has none of the dead one's sessions: it makes a new, empty one, which knows none of the page's
fragments, and ignores the reruns of a fragment it does not know (the Draw page's strokes). Streamlit's browser
side asks for a whole rerun on reconnecting only if the page's last run was a fragment's, or if the page has a
fragment that reruns on a timer: a page whose last run was a whole one (just opened, or just saved) would wait
forever. A timed fragment on every page makes every reconnect rerun the page whole, with the widgets' values the
browser holds (the drawing on the canvas, the choices in the sidebar) and its address (so the class, from
?class=CODE): the page answers again at once, nothing reloaded, the drawing kept.

No script in the page and nothing of Streamlit's insides: only st.fragment's public run_every. Its own reruns,
empty, are rare: the timer only has to exist.
"""

import streamlit as st

TIMER = "1h"  # any interval makes a reconnect rerun the page; a long one costs the server next to nothing


@st.fragment(run_every=TIMER)
def _rerun_whole_on_reconnect() -> None:
    """Shows nothing: it is there for its timer."""


def recover_after_failover() -> None:
    """Called by the router (app.py) on every run, before the page, so that every page has the timer, whatever
    the page then does (st.stop included). In the sidebar, where an empty element moves nothing."""
    with st.sidebar:
        _rerun_whole_on_reconnect()
