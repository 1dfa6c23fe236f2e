"""Where a cold start's seconds go: a timeline of `streamlit run` -> usable canvas (a diagnosis, not a test).

    python -m tools.browser_coldstart [--trials 3] [--app NAME=PATH ...]

For the app and for tools/minimal_canvas_app.py (Streamlit and the canvas alone), or the --app scripts
given (e.g. a variant of app.py, placed beside symlinks to app_pages/ and digitlab/), each trial launches a
fresh server on 127.0.0.1 with PYTHONPROFILEIMPORTTIME=1 (Python's per-import timings, to the server's
log), asks for the page as soon as the server might answer, and records, in seconds after the launch:

- server_up: the first answer to the page's request (the page's HTML);
- ws_open: the page's websocket to Streamlit open (the frontend's JavaScript loaded and started);
- run_started / first_delta / run_finished: the first script run's new_session, first element, end;
- canvas_visible: canvas.upper-canvas visible (the component's JavaScript loaded, fabric.js set up);
- first_prediction (pages with a Prediction metric): a pen-drawn 2 drawn at once, its answer shown.

From the server's log it takes the cumulative import times of the modules the first run imports
(pandas, altair, streamlit_drawable_canvas, app_pages.shared, ...) and of streamlit itself (startup).
Prints one JSON object at the end. Loopback only; stops the servers it starts.
"""

import argparse
import json
import os
import re
import time
from pathlib import Path

import numpy as np

from digitlab.config import PEN_SAMPLE, PROJECT_DIR
from digitlab.pen import canvas_strokes, load_pen_digits
from tools.browser import (
    CANVAS,
    INSTRUMENT,
    StreamlitServer,
    launch_options,
    mouse_stroke,
)

MINIMAL_APP = Path(__file__).resolve().parent / "minimal_canvas_app.py"
WATCHED_IMPORTS = (
    "streamlit",
    "numpy",
    "pandas",
    "altair",
    "PIL.Image",
    "streamlit_drawable_canvas",
    "app_pages.shared",
    "digitlab.backend",
    "digitlab.collection",
    "digitlab.inference",
    "digitlab.images",
    "digitlab.preprocess",
    "digitlab.config",
    "pyarrow",
    "sqlite3",
)

# Timestamps (epoch ms) of the page's websocket events, by ForwardMsg field: 4 new_session, 5 delta, 6 script_finished.
TIMELINE = r"""
(() => {
  const tl = window.__timeline = {ws_created: null, ws_open: null, run_started: null, first_delta: null,
                                  run_finished: null};
  const now = () => performance.timeOrigin + performance.now();
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      tl.ws_created = tl.ws_created || now();
      this.addEventListener('open', () => { tl.ws_open = tl.ws_open || now(); });
      this.addEventListener('message', event => {
        if (!(event.data instanceof ArrayBuffer)) return;
        const bytes = new Uint8Array(event.data);
        let i = 0, fields = [];
        // top-level fields of the ForwardMsg
        while (i < bytes.length) {
          let key = 0, shift = 0, b; do { b = bytes[i++]; key += (b & 127) * 2 ** shift; shift += 7; } while (b & 128);
          const field = Math.floor(key / 8), wire = key & 7;
          if (wire === 0) { do { b = bytes[i++]; } while (b & 128); }
          else if (wire === 2) {
            let n = 0; shift = 0;
            do { b = bytes[i++]; n += (b & 127) * 2 ** shift; shift += 7; } while (b & 128);
            i += n;
          }
          else if (wire === 1) i += 8; else if (wire === 5) i += 4; else break;
          fields.push(field);
        }
        const t = now();
        if (fields.includes(4) && tl.run_started === null) tl.run_started = t;
        if (fields.includes(5) && tl.first_delta === null) tl.first_delta = t;
        if (fields.includes(6) && tl.run_finished === null) tl.run_finished = t;
      });
    }
  };
  // first moment (checked every animation frame) each part of the page is there
  const inShadow = (selector, inner) => {
    for (const host of document.querySelectorAll(selector + ', ' + selector + ' *'))
      if (host.shadowRoot && host.shadowRoot.querySelector(inner)) return true;
    return false;
  };
  const probes = {
    shown_title: () => !!document.querySelector('[data-testid="stHeading"], h1'),
    shown_canvas_element: () => !!document.querySelector('.st-key-canvas'),
    shown_canvas_drawn: () => inShadow('.st-key-canvas', 'canvas.upper-canvas'),
    shown_metric: () => !!document.querySelector('[data-testid="stMetric"]'),
    shown_chart_element: () => !!document.querySelector('[data-testid="stVegaLiteChart"]'),
    shown_chart_drawn: () => !!document.querySelector('[data-testid="stVegaLiteChart"] canvas, '
                                                      + '[data-testid="stVegaLiteChart"] svg'),
  };
  const poll = () => {
    for (const [name, probe] of Object.entries(probes)) if (tl[name] === undefined && probe()) tl[name] = now();
    if (Object.keys(probes).some(name => tl[name] === undefined)) requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);
  setTimeout(() => { for (const name of Object.keys(probes)) if (tl[name] === undefined) tl[name] = null; }, 60000);
})();
"""


def import_times(log: str) -> dict[str, float]:
    """Cumulative import seconds of the watched modules, from `-X importtime` lines (first import only)."""
    found = {}
    for line in log.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if match and match.group(4) in WATCHED_IMPORTS and match.group(4) not in found:
            found[match.group(4)] = round(int(match.group(2)) / 1e6, 3)
    return found


def first_two():
    """The stroke browser_latency's cold start draws: the first single-stroke 2 of the pen sample."""
    pen = load_pen_digits(PEN_SAMPLE)
    i = next(int(i) for i in np.flatnonzero(pen.labels == 2) if len(pen.strokes(i)) == 1)
    return canvas_strokes(pen.strokes(i))[0]


def trial(browser, script: Path) -> dict:
    from playwright.sync_api import Error

    server = StreamlitServer(script, env={"PYTHONPROFILEIMPORTTIME": "1"})
    context = None
    try:
        server.start()
        launched_epoch = time.time()
        launched = server.started_at
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_init_script(INSTRUMENT)
        context.add_init_script(TIMELINE)
        page = context.new_page()
        deadline = time.monotonic() + 120
        while True:
            try:
                page.goto(server.url, timeout=10_000, wait_until="commit")
                break
            except Error:
                if server.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start:\n{server.log()}")
                time.sleep(0.05)
        result = {"server_up": time.perf_counter() - launched}
        page.locator(CANVAS).wait_for(state="visible", timeout=120_000)
        result["canvas_visible"] = time.perf_counter() - launched
        page.wait_for_function("() => window.__timeline.run_finished !== null", timeout=120_000)
        page.wait_for_function("() => window.__timeline.shown_chart_drawn !== undefined", timeout=60_000)
        if page.locator('[data-testid="stMetric"]', has_text="Prediction").count():
            mouse_stroke(page, first_two())
            page.wait_for_function(
                """() => [...document.querySelectorAll('[data-testid="stMetricValue"]')]
                                             .some(e => /^\\d$/.test(e.innerText.trim()))""",
                timeout=120_000,
            )
            result["first_prediction"] = time.perf_counter() - launched
        timeline = page.evaluate("() => window.__timeline")
        # what the page fetched after its websocket opened (JS chunks, the canvas component's files), when
        resources = page.evaluate("""() => performance.getEntriesByType('resource').map(e => ({
            name: e.name.replace(location.origin, ''), start: performance.timeOrigin + e.startTime,
            end: performance.timeOrigin + e.responseEnd, kb: Math.round(e.transferSize / 1024)}))""")
        for name, epoch_ms in timeline.items():
            if epoch_ms is not None:
                result[name] = epoch_ms / 1000 - launched_epoch
        result = {name: round(value, 2) for name, value in sorted(result.items(), key=lambda kv: kv[1])}
        result["imports_s"] = import_times(server.log())
        opened = timeline["ws_open"] or 0
        result["fetched_after_ws_open"] = [
            f"{r['name'][-60:]} {r['start'] / 1000 - launched_epoch:.2f}->"
            f"{r['end'] / 1000 - launched_epoch:.2f} s ({r['kb']} kB)"
            for r in sorted(resources, key=lambda r: r["end"])
            if r["start"] >= opened
        ]
        return result
    finally:
        if context:
            context.close()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--app", action="append", metavar="NAME=PATH", help="a script to time (repeatable)")
    args = parser.parse_args()
    scripts = (
        dict(a.split("=", 1) for a in args.app) if args.app else {"app": PROJECT_DIR / "app.py", "minimal": MINIMAL_APP}
    )
    from playwright.sync_api import sync_playwright

    began = time.monotonic()
    runs = {name: [] for name in scripts}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        try:
            for k in range(args.trials):
                for name, script in scripts.items() if k % 2 == 0 else reversed(scripts.items()):
                    runs[name].append(trial(browser, Path(script)))
                    print(f"{name} trial {k}: {json.dumps(runs[name][-1])}", flush=True)
        finally:
            browser.close()
    medians = {}
    for name, trials in runs.items():
        keys = [key for key in trials[0] if key not in ("imports_s", "fetched_after_ws_open")]
        medians[name] = {key: round(float(np.median([t[key] for t in trials if key in t])), 2) for key in keys}
        medians[name]["imports_s"] = {
            module: round(float(np.median([t["imports_s"].get(module, 0) for t in trials])), 3)
            for module in trials[0]["imports_s"]
        }
    load = [round(value, 2) for value in os.getloadavg()]
    print(
        json.dumps(
            {
                "median_s_after_launch": medians,
                "trials": runs,
                "load_average_at_end": load,
                "total_s": round(time.monotonic() - began, 1),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
