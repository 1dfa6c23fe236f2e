"""What a teacher shows the room: the class's link (the address students can open, digitlab.room), and a view for
the projector with the class's name, its code large enough to read from the back, the link and its QR code, and
how many have joined and drawn so far, kept live."""

import html

import streamlit as st

from app_pages.shared import class_collection, plain
from digitlab.classes import member_count
from digitlab.database import default_url
from digitlab.room import app_address, class_link, local_only, network_link, qr_png
from digitlab.store_errors import StoreError
from digitlab.words import count

ROOM_SECONDS = 3  # how often the room view's counts are read again
CODE_PX = 160  # the code's height on the projector: readable from the back of a classroom


def students_link(code: str) -> str:
    """The link for the students, said on the page; if it only works on this machine, the page says so and
    gives the machine's network address instead."""
    address = app_address(st.context.url, st.context.headers, base_path=st.get_option("server.baseUrlPath") or "")
    if local_only(address):
        other = network_link(address)
        st.warning(
            f"{plain(address)} opens only on this computer, not on the students' devices."
            + (f" On the same network they can use {plain(other)}." if other else "")
            + " Whoever runs the server can set DIGITLAB_PUBLIC_URL to the address students use.",
            icon=":material/wifi_off:",
        )
        address = other or address
    return class_link(address, code)


def room_view(code: str, name: str) -> None:
    """The class for the projector: what a student needs to join, read from across the room."""
    link = students_link(code)
    words, picture = st.columns([3, 2], vertical_alignment="center")
    with words:
        st.html(
            f'<div style="font-size:2.5rem;font-weight:600">{html.escape(name)}</div>'
            '<div style="font-size:1.6rem">Join with the code</div>'
            f'<div style="font-size:{CODE_PX}px;font-weight:700;letter-spacing:0.08em;line-height:1.1;'
            f'font-family:monospace" aria-label="Class code {" ".join(code)}">{code}</div>'
            f'<div style="font-size:1.6rem;word-break:break-all">or open {html.escape(link)}</div>'
        )
        room_counts(code)
    picture.image(qr_png(link), width="stretch", alt=f"QR code of the class's link, {link}")


@st.fragment(run_every=ROOM_SECONDS)
def room_counts(code: str) -> None:
    try:
        joined, (drawn, _) = member_count(default_url(), code), class_collection(code).version()
    except StoreError:
        return  # the counts wait for the store; the code and link stay on screen
    st.html(f'<div style="font-size:2rem">{count(joined, "student")} joined · {count(drawn, "drawing")} saved</div>')
