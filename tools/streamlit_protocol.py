"""A student without a browser: a client that speaks Streamlit's websocket protocol to the app as its Draw
page does, for the benchmarks (tools.classroom_load, tools.server_cost).

- DrawingSession: what every measured session keeps (digits drawn and read right, latencies, errors) and
  its one step, one_digit: reset the canvas, draw a digit stroke by stroke, count it; the browser
  sessions of tools.classroom_load are DrawingSessions too, so both kinds are counted alike;
- ProtocolSession: the DrawingSession that speaks the protocol;
- the canvas component's value for a drawing (canvas_value), with the PNG the component sends, rendered
  beforehand for each pen sample and stroke (render_pngs), so that no timing includes making it.
"""

import asyncio
import base64
import io
import json
import time
import urllib.request

import numpy as np

from app_pages.colours import INK, PAPER
from digitlab.config import CANVAS_SIZE, DEFAULT_BRUSH
from digitlab.pen import canvas_strokes


def describe(error: BaseException) -> str:
    """An error in one line: its type and the first line of its message, cut to 200 characters."""
    lines = str(error).splitlines()
    return f"{type(error).__name__}: {lines[0][:200] if lines else ''}"


class DrawingSession:
    """One student's session: what it drew, what it was shown, how long it waited, what went wrong.

    A kind of session implements reset (an empty canvas), draw (the strokes, each one's rerun waited for;
    returns the answer shown, ms to the last stroke's run over, ms to the Prediction's change or None),
    check_exceptions, recover (after an error) and close."""

    def __init__(self, name: str):
        self.name = name
        self.run_over: list[float] = []  # ms, the last stroke -> its run over
        self.metric_change: list[float] = []  # ms, the last stroke -> the Prediction metric changed
        self.errors: list[str] = []
        self.drawn = self.right = self.late = 0

    async def one_digit(
        self, strokes, label: int, url: str, timeout_ms: float, record: bool = True, sample: int | None = None
    ) -> None:
        """Resets the canvas and draws the digit (`sample`: its index in the pen sample); with `record`,
        counts it. An error (a timeout, a crash, an exception shown) is counted, the session recovered, and
        the session carries on: a wrong answer is no error."""
        try:
            await self.reset(timeout_ms)
            shown, finish, change = await self.draw(strokes, timeout_ms, sample)
            await self.check_exceptions()
        except Exception as error:
            self.errors.append(describe(error))
            try:
                await self.recover(url, timeout_ms)
            except Exception as again:
                self.errors.append(f"recovery failed: {describe(again)}")
            return
        if record:
            self.drawn += 1
            self.right += shown == str(label)
            self.run_over.append(finish)
            if change is not None:
                self.metric_change.append(change)


class ProtocolSession(DrawingSession):
    """A student without a browser: speaks Streamlit's websocket protocol as the page does (a BackMsg
    rerun_script carrying the canvas's value, the same JSON with a PNG data URL that the component sends
    after each stroke, naming the canvas's fragment as the page does) and reads the ForwardMsgs back:
    new_session, the Prediction metric's element, exception elements, script_finished. It fetches each
    run's image as the page would. What it costs the server is what a browser costs it; what it costs this
    machine is a fraction of a browser's rendering. Latencies run from sending a stroke's value: to the
    Prediction metric's element (metric_change) and to the end of the run (run_over); the browser's
    debounce and rendering are not in them."""

    def __init__(self, name: str, url: str, query: str = ""):
        """url: the app's; query: the page's query string (class=CODE: a class's link)."""
        super().__init__(name)
        self.url, self.query = url, query
        self.cookies: dict[str, str] = {}  # as a browser keeps them: a proxy's route (deploy/nginx.conf.template)
        self.sidebar: list[str] = []  # the markdown texts in the sidebar, as of the last run
        self.ws = None
        self.closed: BaseException | None = None  # why the connection ended, once it has
        self.canvas_id = self.canvas_fragment = None
        self.drawn_strokes = 0
        self.finished = asyncio.Event()
        self.sent_at = self.metric_at = self.finished_at = 0.0
        self.metric = None
        self.exceptions: list[str] = []
        self.images: list[str] = []
        self.reader = None

    async def connect(self, timeout_ms: float) -> None:
        """Loads the page (as a browser does first: a proxy in front sets its cookie then), then opens the
        websocket with the page's cookies and runs the script once."""
        import websockets

        await asyncio.to_thread(self._fetch, self.url + (f"?{self.query}" if self.query else ""))
        self.ws = await websockets.connect(
            self.url.replace("http://", "ws://") + "_stcore/stream",
            subprotocols=["streamlit"],
            origin=self.url.rstrip("/"),
            max_size=2**24,
            open_timeout=timeout_ms / 1000,
            additional_headers=self._cookie_header(),
            ping_interval=None,  # a browser sends no pings (the server pings it); a busy server is no dead one
        )
        self.closed = None
        self.reader = asyncio.create_task(self._read())
        await self.rerun(None, timeout_ms)
        if self.canvas_id is None:
            raise RuntimeError("the first run showed no canvas")

    async def _read(self) -> None:
        """Takes in the server's messages until the connection ends; then any waiter is woken, and told why."""
        try:
            await self._take_all()
        except Exception as error:
            self.closed = error
        finally:
            self.closed = self.closed or ConnectionError("the server closed the connection")
            self.finished.set()  # whoever waits for a run learns it at once

    async def _take_all(self) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        async for data in self.ws:
            if isinstance(data, str):
                continue
            now = time.perf_counter()
            msg = ForwardMsg()
            msg.ParseFromString(data)
            kind = msg.WhichOneof("type")
            if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                which = element.WhichOneof("type")
                if which == "metric" and "Prediction" in element.metric.label:
                    self.metric, self.metric_at = element.metric.body, now
                elif which == "bidi_component" and element.bidi_component.id.endswith("-canvas"):
                    self.canvas_id, self.canvas_fragment = element.bidi_component.id, msg.delta.fragment_id
                elif which == "exception":
                    self.exceptions.append(element.exception.message[:200])
                elif which == "imgs":
                    self.images.extend(image.url for image in element.imgs.imgs)
                elif which == "markdown" and len(msg.metadata.delta_path) and msg.metadata.delta_path[0] == 1:
                    self.sidebar.append(element.markdown.body)  # delta_path[0]: 0 the main area, 1 the sidebar
            elif kind == "script_finished" and msg.script_finished != 2:  # 2: cut short for a newer run
                self.finished_at = now
                self.finished.set()

    async def rerun(self, canvas_value: str | None, timeout_ms: float) -> None:
        """Sends a rerun (with the canvas's value, if given) and waits for that run to end."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        msg = BackMsg()
        state = msg.rerun_script
        state.context_info.timezone = "UTC"
        state.context_info.locale = "en-US"
        state.context_info.url = self.url
        state.query_string = self.query
        if canvas_value is not None:
            state.fragment_id = self.canvas_fragment  # as the page does: a widget in a fragment reruns only it
            widget = state.widget_states.widgets.add()
            widget.id = self.canvas_id
            widget.json_value = canvas_value
        self.finished.clear()
        self.metric = None
        self.images.clear()
        self.sidebar.clear()
        self.sent_at = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        await asyncio.wait_for(self.finished.wait(), timeout_ms / 1000)
        if self.closed:
            raise ConnectionError(describe(self.closed))
        for url in self.images:  # the page fetches the run's picture ("what the network sees")
            await asyncio.to_thread(self._fetch, self.url.rstrip("/") + url)
        if self.exceptions:
            raise RuntimeError(f"exception element: {self.exceptions[-1]!r}")

    async def reset(self, timeout_ms: float) -> None:
        if self.drawn_strokes:
            await self.rerun(canvas_value([], []), timeout_ms)
            self.drawn_strokes = 0

    async def draw(
        self, strokes: list[np.ndarray], timeout_ms: float, sample: int | None = None
    ) -> tuple[str | None, float, float]:
        for k in range(len(strokes)):
            await self.rerun(canvas_value(strokes[: k + 1], rendered(sample, k)), timeout_ms)
            self.drawn_strokes = k + 1
        return self.metric, (self.finished_at - self.sent_at) * 1000, (self.metric_at - self.sent_at) * 1000

    async def check_exceptions(self) -> None:
        pass  # rerun raises on exception elements

    async def recover(self, url: str, timeout_ms: float) -> None:
        """After an error: a new connection (a reloaded page)."""
        await self.close()
        self.exceptions.clear()
        self.drawn_strokes = 0
        await self.connect(timeout_ms)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()

    def _fetch(self, url: str) -> None:
        """GET with this session's cookies, keeping those the answer sets."""
        request = urllib.request.Request(url, headers=self._cookie_header())
        with urllib.request.urlopen(request, timeout=30) as answer:
            answer.read()
            for header in answer.headers.get_all("Set-Cookie") or []:
                name, _, value = header.split(";", 1)[0].partition("=")
                self.cookies[name.strip()] = value.strip()

    def _cookie_header(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}


PNGS: dict[tuple[int, int], str] = {}  # (pen sample, strokes drawn - 1) -> the canvas's PNG data URL


def png_data_url(image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def render_pngs(pen) -> None:
    """Every sample's drawing after each of its strokes, as the canvas would send it (made before the load)."""
    from PIL import Image

    for i in range(len(pen)):
        strokes = pen.strokes(i)
        for k in range(len(strokes)):
            PNGS[i, k] = png_data_url(Image.fromarray(canvas_pixels(strokes, k + 1)))
    PNGS[-1, -1] = png_data_url(Image.new("RGBA", (CANVAS_SIZE, CANVAS_SIZE), (0, 0, 0, 255)))


def rendered(sample: int | None, k: int) -> str:
    return PNGS[sample, k]


def canvas_pixels(strokes, count: int) -> np.ndarray:
    """The canvas after the first `count` strokes of a digit placed as the browser sessions draw it
    (digitlab.pen.render_strokes's drawing, but stopping after `count` strokes)."""
    from PIL import Image, ImageDraw

    from digitlab.config import DEFAULT_BRUSH

    big = 4
    image = Image.new("L", (CANVAS_SIZE * big, CANVAS_SIZE * big), 0)
    draw = ImageDraw.Draw(image)
    radius = DEFAULT_BRUSH * big / 2
    for stroke in canvas_strokes(strokes)[:count]:
        xy = stroke * big
        if len(xy) > 1:
            draw.line([tuple(q) for q in xy], fill=255, width=round(DEFAULT_BRUSH * big), joint="curve")
        for x, y in (xy[0], xy[-1]) if len(xy) > 1 else xy:
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
    gray = np.asarray(image.reduce(big))
    return np.dstack([gray, gray, gray, np.full_like(gray, 255)])


def canvas_value(strokes: list[np.ndarray], png: str | list) -> str:
    """The canvas component's value: fabric.js's paths (one per stroke) and the PNG."""
    if not strokes:
        png = PNGS[-1, -1]
    objects = [
        {
            "type": "Path",
            "stroke": INK,
            "strokeWidth": DEFAULT_BRUSH,
            "strokeLineCap": "round",
            "path": [["M", *map(float, stroke[0])]] + [["L", *map(float, q)] for q in stroke[1:]],
        }
        for stroke in strokes
    ]
    return json.dumps({"drawing": {"raw": {"version": "7.4.0", "objects": objects, "background": PAPER}, "data": png}})
