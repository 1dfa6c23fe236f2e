"""The link a class's students open, and its QR code for the room.

The link must be the address the *students* use, which is not always the one the teacher's browser shows:
behind a school's proxy the app sees its own host and port, and a teacher browsing on the server machine sees
127.0.0.1. So the link comes, in this order, from DIGITLAB_PUBLIC_URL (what whoever runs the server says the
students use), from the proxy's X-Forwarded-Host and X-Forwarded-Proto, or from the address the browser used.
It always lands on the app's first page (Draw), whatever page the teacher is on.

An address only this machine can open (localhost, 127.x) is no use to a room: `local_only` says so, and
`network_link` offers the machine's address on the local network instead, as `streamlit run` prints it.
"""

import io
import ipaddress
import os
import re
import socket
from urllib.parse import urlsplit

import segno

PUBLIC_URL_VARIABLE = "DIGITLAB_PUBLIC_URL"
CLASS_PARAMETER = "class"  # ?class=CODE: the link's class, and the address of every page of a session in one
HOST = re.compile(r"[A-Za-z0-9.\-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")  # a host[:port], nothing else


def app_address(browser_url: str | None, headers=None, public_url: str | None = None, base_path: str = "") -> str:
    """The app's address for students, ending in "/": its first page.

    browser_url: the address the teacher's browser used (any page of the app); headers: the request's headers
    (a mapping); public_url: DIGITLAB_PUBLIC_URL's value, which wins when it is set; base_path: the folder the
    server serves the app under (Streamlit's server.baseUrlPath), if any."""
    public_url = os.environ.get(PUBLIC_URL_VARIABLE) if public_url is None else public_url
    if public_url and public_url.strip():
        return public_url.strip().split("?")[0].rstrip("/") + "/"
    seen = urlsplit(browser_url or "http://localhost:8501/")
    headers = headers or {}
    host = _first(headers.get("X-Forwarded-Host")) or seen.netloc
    scheme = _first(headers.get("X-Forwarded-Proto")) or seen.scheme or "http"
    if not HOST.fullmatch(host) or scheme not in ("http", "https"):  # a forged header: keep what the browser used
        host, scheme = seen.netloc, seen.scheme or "http"
    folder = "/".join(part for part in base_path.split("/") if part)
    return f"{scheme}://{host}/" + (f"{folder}/" if folder else "")


def class_link(address: str, code: str) -> str:
    """The link that puts a student in the class `code`, on the Draw page."""
    return f"{address}?{CLASS_PARAMETER}={code}"


def local_only(address: str) -> bool:
    """Whether only this machine can open `address` (localhost, 127.x, ::1): no student's device can."""
    host = urlsplit(address).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def network_link(address: str) -> str | None:
    """`address` with its host replaced by this machine's address on the local network, or None if it has none."""
    ip = network_ip()
    if ip is None:
        return None
    seen = urlsplit(address)
    port = f":{seen.port}" if seen.port else ""
    return f"{seen.scheme}://{ip}{port}{seen.path or '/'}"


def network_ip() -> str | None:
    """This machine's address on its network: the one its packets to the outside would leave from (a UDP
    "connection" sends nothing; it only asks the system for a route)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 80))  # TEST-NET-1: never reached, only routed
            ip = probe.getsockname()[0]
        except OSError:
            return None
    return None if ipaddress.ip_address(ip).is_loopback or ip == "0.0.0.0" else ip


def qr_png(link: str, scale: int = 12) -> bytes:
    """The link as a QR code (a PNG, black on white, with the standard quiet zone), to show the room."""
    buffer = io.BytesIO()
    segno.make(link, error="m", micro=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def _first(value: str | None) -> str:
    """The first of a proxy header's comma-separated values (each proxy on the way adds one)."""
    return (value or "").split(",")[0].strip()
