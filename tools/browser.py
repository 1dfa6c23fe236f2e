"""Driving the app in a real browser: a Streamlit server on loopback, Chromium's flags, and mouse/touch drawing.

Shared by the browser tests (through pytest-playwright, which launches Chromium with launch_options()) and
the benchmarks in tools/ (which launch it themselves, with the same options). Playwright objects are passed in,
never imported here, so that importing this module works (and the tests can skip cleanly) without Playwright.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

from digitlab.config import CANVAS_SIZE, PROJECT_DIR

CHROMIUM = os.environ.get("DIGITLAB_CHROMIUM", "/usr/bin/chromium")  # Debian's package; never a downloaded browser
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

CANVAS = "canvas.upper-canvas"  # fabric.js's input layer (inside the component's open shadow root)
CANVAS_RESET = "Reset canvas & history"  # the component's own button (the app hides it for its own, shared.CLEAR)
INK_LAYER = "canvas.dc-canvas.lower-canvas"  # where fabric.js renders the finished strokes (the background is apart)
MOUSE_STEP = 10.0  # px at most between mouse moves: a brisk hand, at 60 events a second
MOUSE_TOLERANCE = 0.5  # px: pen points closer than this to the line through their neighbours are not needed

# Installed before any page script. Counts Streamlit's script runs from its websocket messages (each run
# begins with a ForwardMsg new_session, field 4, and ends with script_finished, field 6: a status varint),
# and times "pointer up -> watched element's text changed" and "pointer up -> run over" for the benchmark.
# (The stApp element's data-test-script-state attribute is no count: a quick run can skip "running".)
INSTRUMENT = r"""
(() => {
  const dl = window.__digitlab = {started: 0, finished: 0, upAt: null, target: null, before: null,
                                  upToChange: [], upToFinish: []};
  const text = () => { const e = dl.target && document.querySelector(dl.target); return e ? e.innerText : null; };
  dl.idle = () => { const a = document.querySelector('[data-testid="stApp"]');
                    return dl.started === dl.finished && !!a
                           && a.getAttribute('data-test-script-state') === 'notRunning'; };
  const topLevelFields = bytes => {  // protobuf: the top-level field numbers and, for varints, their values
    const fields = []; let i = 0;
    const varint = () => { let v = 0, shift = 0, b;
                           do { b = bytes[i++]; v += (b & 127) * 2 ** shift; shift += 7; } while (b & 128);
                           return v; };
    while (i < bytes.length) {
      const key = varint(), field = Math.floor(key / 8), wire = key & 7;
      if (wire === 0) fields.push([field, varint()]);
      else if (wire === 2) { const n = varint(); i += n; fields.push([field, null]); }
      else if (wire === 1) { i += 8; fields.push([field, null]); }
      else if (wire === 5) { i += 4; fields.push([field, null]); }
      else break;
    }
    return fields;
  };
  const onMessage = event => {
    if (!(event.data instanceof ArrayBuffer)) return;
    for (const [field, value] of topLevelFields(new Uint8Array(event.data))) {
      if (field === 4) dl.started++;  // new_session: a run begins
      if (field === 6 && value !== 2) {  // script_finished, unless cut short for another run (2)
        dl.finished = dl.started;
        if (dl.upAt !== null) { dl.upToFinish.push(performance.now() - dl.upAt); dl.upAt = null; }
      }
    }
  };
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) { super(...args); this.addEventListener('message', onMessage); }
  };
  new MutationObserver(() => {
    if (dl.before !== null && text() !== dl.before) {
      dl.upToChange.push(performance.now() - dl.upAtForChange); dl.before = null;
    }
  }).observe(document, {subtree: true, childList: true, characterData: true});
  const up = () => { dl.upAt = dl.upAtForChange = performance.now(); dl.before = dl.target ? text() : null; };
  for (const type of ['mouseup', 'touchend']) window.addEventListener(type, up, true);
  dl.watch = selector => { dl.target = selector; dl.upToChange = []; dl.upToFinish = []; };
})();
"""


def launch_options(*extra_args: str) -> dict:
    """Playwright's chromium.launch() options for Debian's Chromium: the tests' (conftest.py) and the benchmarks'."""
    return {"executable_path": CHROMIUM, "args": [*CHROMIUM_ARGS, *extra_args]}


def browser_missing() -> list[str]:
    """Why the browser tests cannot run here (empty if they can): no Chromium, or no playwright package."""
    import importlib.util

    return [
        why
        for lacking, why in [
            (not Path(CHROMIUM).is_file(), f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
            (importlib.util.find_spec("playwright") is None, "no playwright package (pip install playwright)"),
        ]
        if lacking
    ]


def latency_stats(milliseconds) -> dict:
    """Count, median (p50), p95, min, max and mean of a list of latencies in ms, rounded to 0.1 ms."""
    values = np.asarray(milliseconds, dtype=float)
    if not len(values):
        return {"n": 0}
    return {
        "n": int(len(values)),
        "p50_ms": round(float(np.median(values)), 1),
        "p95_ms": round(float(np.percentile(values, 95)), 1),
        "min_ms": round(float(values.min()), 1),
        "max_ms": round(float(values.max()), 1),
        "mean_ms": round(float(values.mean()), 1),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StreamlitServer:
    """`streamlit run <script>` on 127.0.0.1 and a free port, as a context manager that always stops it."""

    def __init__(
        self,
        script: str | Path,
        port: int | None = None,
        cwd: str | Path = PROJECT_DIR,
        env: dict[str, str] | None = None,
        cpus: set[int] | None = None,
    ):
        """cpus: the CPUs the server may run on (all, if None)."""
        self.script, self.cwd, self.env, self.cpus = str(script), Path(cwd), env or {}, cpus
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.process: subprocess.Popen | None = None
        self.started_at: float | None = None
        self._log = tempfile.TemporaryFile(mode="w+")

    def start(self) -> "StreamlitServer":
        env = dict(os.environ, PYTHONUNBUFFERED="1", **self.env)
        self.started_at = time.perf_counter()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                self.script,
                "--server.headless",
                "true",
                "--server.address",
                "127.0.0.1",
                "--server.port",
                str(self.port),
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=self.cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=(lambda: os.sched_setaffinity(0, self.cpus)) if self.cpus else None,
        )
        return self

    def log(self) -> str:
        self._log.seek(0)
        return self._log.read()

    def wait_until_up(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited with code {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "_stcore/health", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"streamlit did not answer on {self.url} within {timeout:.0f} s:\n{self.log()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()

    def __enter__(self) -> "StreamlitServer":
        try:
            self.start().wait_until_up()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def simplify(stroke: np.ndarray, tolerance: float = MOUSE_TOLERANCE) -> np.ndarray:
    """Ramer-Douglas-Peucker: drop the points within `tolerance` px of the polyline through the rest."""
    if len(stroke) < 3:
        return stroke
    a, b = stroke[0], stroke[-1]
    d = b - a
    length = np.hypot(*d)
    rel = stroke - a
    far = np.abs(d[0] * rel[:, 1] - d[1] * rel[:, 0]) / length if length > 0 else np.hypot(rel[:, 0], rel[:, 1])
    k = int(far.argmax())
    if far[k] <= tolerance:
        return stroke[[0, -1]]
    return np.concatenate([simplify(stroke[: k + 1], tolerance)[:-1], simplify(stroke[k:], tolerance)])


def densify(stroke: np.ndarray, step: float = MOUSE_STEP) -> np.ndarray:
    """Points added along long segments so that no move is longer than `step` px."""
    out = [stroke[0]]
    for a, b in zip(stroke[:-1], stroke[1:]):
        n = max(1, int(np.ceil(np.linalg.norm(b - a) / step)))
        out.extend(a + (b - a) * k / n for k in range(1, n + 1))
    return np.asarray(out, dtype=np.float64)


def mouse_path(stroke: np.ndarray) -> np.ndarray:
    """Where the pointer goes for one stroke (canvas px): the pen's shape, at most MOUSE_STEP px per move."""
    return densify(simplify(np.asarray(stroke, dtype=np.float64)))


def page_points(page, stroke: np.ndarray, selector: str = CANVAS, canvas_size: int = CANVAS_SIZE) -> np.ndarray:
    """Canvas pixels -> the page's viewport coordinates (CSS px), after scrolling the canvas into view."""
    canvas = page.locator(selector)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    return np.asarray([box["x"], box["y"]]) + stroke * (box["width"] / canvas_size)


def mouse_stroke(page, stroke: np.ndarray) -> None:
    """One stroke with the mouse: press at the first point, move through the others, release."""
    points = page_points(page, mouse_path(stroke))
    page.mouse.move(*points[0])
    page.mouse.down()
    for x, y in points[1:] if len(points) > 1 else points + 1:  # a dot still needs a small move
        page.mouse.move(x, y)
    page.mouse.up()


def touch_stroke(page, cdp, stroke: np.ndarray) -> None:
    """One stroke with a finger, through CDP's Input.dispatchTouchEvent."""
    points = page_points(page, mouse_path(stroke))
    cdp.send(
        "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": points[0][0], "y": points[0][1]}]}
    )
    for x, y in points[1:] if len(points) > 1 else points + 1:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def open_instrumented_page(
    new_context, url: str, timeout_ms: float = 60_000, wait_for: str | None = None, **context_options
):
    """A new browser context on `url` with INSTRUMENT installed, once the canvas (or else a title containing
    `wait_for`) is visible and the first run over. The default timeout is generous: the first page load of a
    server imports TensorFlow. new_context: browser.new_context, or pytest-playwright's fixture of that name
    (which traces the context and closes it after the test)."""
    context = new_context(**{"viewport": {"width": 1280, "height": 900}, **context_options})
    context.add_init_script(INSTRUMENT)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    shown = page.locator(CANVAS) if wait_for is None else page.get_by_role("heading", level=1, name=wait_for)
    shown.wait_for(state="visible", timeout=timeout_ms)
    wait_until_idle(page, timeout=timeout_ms)
    return page


def runs_started(page) -> int:
    return page.evaluate("window.__digitlab.started")


def wait_for_run_after(page, started: int, timeout: float = 30_000) -> None:
    """Wait until a script run that began after `started` runs had begun is over and the page shows its end."""
    try:
        page.wait_for_function(
            "s => window.__digitlab.started > s && window.__digitlab.idle()", arg=started, timeout=timeout
        )
    except Exception as error:  # say where it stuck: no new run, or a run whose end never came
        state = page.evaluate("""() => ({started: window.__digitlab.started, finished: window.__digitlab.finished,
            script: document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state')})""")
        raise AssertionError(f"no finished run after run {started}: {state}") from error


def wait_until_idle(page, timeout: float = 60_000) -> None:
    page.wait_for_function("() => window.__digitlab.idle()", timeout=timeout)


def ink_pixels(page, selector: str = INK_LAYER) -> int:
    """Pixels of the finished drawing brighter than mid-grey, read from fabric.js's lower canvas."""
    return page.locator(selector).evaluate(
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                  let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] > 127) n++; return n; }"""
    )
