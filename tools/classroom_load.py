"""A classroom on one server: 30 sessions drawing pen digits at once (a load test, not a test).

    python -m tools.classroom_load [--sessions 30 --interval 2 --duration 120 --baseline 20 --browsers 2]
    python -m tools.classroom_load --replicas 2 --classes 4 --sessions 120 ...   # a school

Starts ONE `streamlit run app.py` on 127.0.0.1 (a free port; DIGITLAB_CLASS_DB in a temp folder). Sessions
are of two kinds, all concurrent (asyncio):

- browser: a context (own cookies, own websocket: one Streamlit session) in Debian's Chromium
  (/usr/bin/chromium, or $DIGITLAB_CHROMIUM), driven with Playwright's async API: the real page, the
  real canvas, the mouse; latencies timed in the page;
- protocol: a websocket client speaking Streamlit's protocol as the page does (tools.streamlit_protocol): each
  stroke sends the canvas component's value (fabric.js's paths and the PNG of the drawing, rendered
  beforehand from the same pen strokes); it costs the server what a page costs it, and this machine
  almost nothing.

On this 2-core machine a Chromium page costs more CPU than the server's work for it (opening 30 pages at
once did not finish in 90 s; see the cpu figures), and in a classroom each page runs on its own
student's computer. So by default 2 of the 30 sessions are real browser pages (the end-to-end check)
and 28 speak the protocol; --browsers 30 makes them all browsers (--per-browser contexts per Chromium).

The server runs on its own CPU (--server-cores 1), this script and its browsers on the others: in a
classroom the pages run on the students' computers, not beside the server. Sharing every CPU with two
Chromiums (--server-cores 0) times the browsers' work as much as the server's: the same code's
server-side p95 went from 1x to 2.5x a single user's. The server gets fewer cores this way, never more.

1. single user: one browser session alone, then one protocol session alone, each draws --baseline digits,
   one every --interval seconds (after 2 warm-up digits: TensorFlow's import, the networks' first load);
2. classroom: --sessions sessions arrive within one interval, then each draws a real pen digit (UniPen,
   data/pen_sample.npz, each session its own order) every --interval seconds for --duration
   seconds. Per digit: clear the canvas ("Clear the canvas") if it holds ink, draw the digit stroke
   by stroke (each stroke's rerun is waited for, as a person pauses between strokes), and time the LAST
   stroke: browser: mouse-up -> the run over and the page idle (`up_to_run_over`: the Prediction metric
   shows the answer for the whole drawing) and mouse-up -> the metric's text changed
   (`up_to_metric_change`, only when the last stroke changed it); protocol: the value sent -> the run's
   end / the Prediction metric's element received. A session behind time skips the digits it missed
   (`late_starts`). Errors: timeouts, disconnects, exception boxes/elements; a wrong answer is no error
   (`read_right` counts the right ones);
3. isolation: two new browser sessions draw different single-stroke digits at the same time (their mouse
   events interleaved); one first switches the sidebar's "Network" radio (if more than one network is
   trained; else the brush slider): each page must show exactly what it shows when drawing alone, never
   the other's answer, keep its own choice and name the other network in its caption.

Classes (--classes C, 1 by default): C classes are opened in the store, and session k joins class k mod C by
its link (?class=CODE), as a student does. Meanwhile the teacher of each of the first --teachers classes keeps
its Our class page open, untouched, while a drawing is saved in the class every --save-every seconds: the page
must show each one by itself within 5 s (live_our_class). Then also:
4. classes: each protocol session must find its own class's code in its sidebar (joined_wrong_class); then
   a browser session in each class, and one in no class, saves two drawings; each class's Our class page,
   and the store, must hold exactly that class's drawings (leaks).

A school (--replicas N): deploy/school.py's deployment instead of one server: N Streamlit processes behind
nginx, on a private PostgreSQL server.

Server memory: RSS of the streamlit process and its children (a school's: every replica, nginx, PostgreSQL),
sampled every second (tools.processes,
peak per phase; the browsers' as PSS). CPU: cores used by the server, the browsers and this script, per phase.
Prints one JSON object with all the figures at the end. Loopback only; stops what it starts.
"""

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from app_pages.shared import CLEAR
from deploy.school import school
from digitlab.classes import open_class
from digitlab.collection import ClassCollection
from digitlab.config import (
    CANVAS_SIZE,
    MODEL_DIR_VARIABLE,
    NETWORK_NAMES,
    NETWORK_TITLES,
    PEN_SAMPLE,
    PROJECT_DIR,
    available_networks,
    model_dir,
)
from digitlab.database import as_url
from digitlab.pen import canvas_strokes, load_pen_digits
from tools.browser import (
    CANVAS,
    INSTRUMENT,
    StreamlitServer,
    latency_stats,
    launch_options,
    mouse_path,
)
from tools.postgres import private_server
from tools.processes import Monitor, split_cpus
from tools.streamlit_protocol import DrawingSession, ProtocolSession, describe, render_pngs

DASH = "—"
GOALS = {"errors": 0, "p95_load_over_single": 2.0, "live_page_s": 5.0}
LIVE_GOAL_S = GOALS["live_page_s"]  # a teacher's Our class page shows a new drawing within this, untouched
VIEWPORT = {"width": 1280, "height": 900}
# How often a page checks whether to go on (not every animation frame: 32 pages doing so would cost the CPU
# the server needs). The latencies are timed in the page as messages arrive, so this does not round them.
POLL_MS = 50

# After INSTRUMENT: every distinct text the Prediction metric shows, in order (for the isolation check),
# and the metric's text now.
WATCH = r"""
(() => {
  const dl = window.__digitlab;
  dl.shown = [];
  dl.prediction = () => {
    for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
      const label = m.querySelector('[data-testid="stMetricLabel"]');
      const value = m.querySelector('[data-testid="stMetricValue"]');
      if (label && value && label.innerText.includes('Prediction')) return value.innerText.trim();
    }
    return null;
  };
  new MutationObserver(() => {
    const t = dl.prediction();
    if (t !== null && dl.shown[dl.shown.length - 1] !== t) dl.shown.push(t);
  }).observe(document, {subtree: true, childList: true, characterData: true});
})();
"""


# --- one session ----------------------------------------------------------------------------------------


class BrowserSession(DrawingSession):
    """A student in a browser page: the real canvas, drawn on with the mouse. Latencies in the page's clock,
    from the mouse button going up after the last stroke: to the run over and the page idle (run_over), to
    the Prediction metric's text changed (metric_change, when the stroke changed it)."""

    def __init__(self, name: str, page):
        super().__init__(name)
        self.page = page

    async def evaluate(self, script, arg=None):
        return await self.page.evaluate(script, arg)

    async def wait_run_after(self, started: int, timeout_ms: float) -> None:
        await self.page.wait_for_function(
            "s => window.__digitlab.started > s && window.__digitlab.idle()",
            arg=started,
            timeout=timeout_ms,
            polling=POLL_MS,
        )

    async def prediction(self) -> str | None:
        return await self.evaluate("() => window.__digitlab.prediction()")

    async def stroke(self, box: dict, stroke: np.ndarray) -> None:
        points = np.asarray([box["x"], box["y"]]) + mouse_path(stroke) * (box["width"] / CANVAS_SIZE)
        mouse = self.page.mouse
        await mouse.move(*points[0])
        await mouse.down()
        for x, y in points[1:] if len(points) > 1 else points + 1:
            await mouse.move(x, y)
        await mouse.up()

    async def reset(self, timeout_ms: float) -> None:
        if await self.prediction() == DASH and not await self.ink():
            return  # an empty canvas: resetting it need not rerun anything
        started = await self.evaluate("window.__digitlab.started")
        await self.page.get_by_role("button", name=CLEAR).click(timeout=timeout_ms)
        await self.wait_run_after(started, timeout_ms)
        deadline = time.monotonic() + timeout_ms / 1000
        while await self.ink() and time.monotonic() < deadline:  # the new, empty canvas is on the page
            await asyncio.sleep(POLL_MS / 1000)

    async def ink(self) -> int:
        return await self.page.locator("canvas.dc-canvas.lower-canvas").evaluate(
            """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                      let n = 0; for (let i = 0; i < d.length; i += 16) if (d[i] > 127) n++; return n; }"""
        )

    async def draw(
        self, strokes: list[np.ndarray], timeout_ms: float, sample: int | None = None
    ) -> tuple[str | None, float, float | None]:
        """Draws the strokes (waiting for each one's rerun); (answer shown, up -> run over, up -> text changed)."""
        canvas = self.page.locator(CANVAS)
        box = await canvas.bounding_box(timeout=timeout_ms)
        if box is None or box["y"] < 0 or box["y"] + box["height"] > VIEWPORT["height"]:
            await canvas.scroll_into_view_if_needed(timeout=timeout_ms)
            box = await canvas.bounding_box(timeout=timeout_ms)
        for k, stroke in enumerate(strokes):
            last = k == len(strokes) - 1
            counts = await self.evaluate(
                "() => [window.__digitlab.started, window.__digitlab.upToFinish.length,"
                "       window.__digitlab.upToChange.length]"
            )
            await self.stroke(box, stroke)
            await self.wait_run_after(counts[0], timeout_ms)
            if last:
                await self.page.wait_for_function(
                    "n => window.__digitlab.upToFinish.length > n", arg=counts[1], timeout=timeout_ms, polling=POLL_MS
                )
                shown, finish, change = await self.evaluate(
                    """n => [window.__digitlab.prediction(), window.__digitlab.upToFinish[n[1]],
                             window.__digitlab.upToChange.length > n[2] ? window.__digitlab.upToChange[n[2]]
                                                                        : null]""",
                    counts,
                )
                return shown, finish, change
        raise ValueError("no strokes")

    async def check_exceptions(self) -> None:
        boxes = await self.page.locator('[data-testid="stException"]').count()
        if boxes:
            text = await self.page.locator('[data-testid="stException"]').first.inner_text()
            raise RuntimeError(f"exception box on the page: {text[:200]!r}")

    async def recover(self, url: str, timeout_ms: float) -> None:
        """After an error: wait for the page to settle, else load it afresh."""
        try:
            await self.page.wait_for_function("() => window.__digitlab.idle()", timeout=10_000)
            if not await self.page.locator('[data-testid="stException"]').count():
                return
        except Exception:
            pass
        await self.page.goto(url, timeout=timeout_ms)
        await self.page.locator(CANVAS).wait_for(state="visible", timeout=timeout_ms)
        await self.page.wait_for_function("() => window.__digitlab.idle()", timeout=timeout_ms)

    async def close(self) -> None:
        await self.page.context.close()


async def draw_every(
    session: DrawingSession, digits, url: str, start: float, interval: float, end: float, timeout_ms: float
) -> None:
    """One digit every `interval` s from `start` (monotonic) until `end`; late if a digit starts behind time."""
    k = 0
    while True:
        due = start + k * interval
        if due >= end:
            return
        wait = due - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        elif wait < -0.1:
            session.late += 1
        strokes, label, sample = digits[k % len(digits)]
        await session.one_digit(strokes, label, url, timeout_ms, sample=sample)
        k += 1
        if time.monotonic() > due + interval:  # behind: skip the missed slots, as a student would
            k = max(k, int(np.ceil((time.monotonic() - start) / interval)))


async def open_session(
    browser, url: str, name: str, timeout_ms: float, query: str = ""
) -> tuple[BrowserSession, float]:
    context = await browser.new_context(viewport=VIEWPORT)
    await context.add_init_script(INSTRUMENT)
    await context.add_init_script(WATCH)
    page = await context.new_page()
    page.set_default_timeout(timeout_ms)
    began = time.perf_counter()
    await page.goto(url + (f"?{query}" if query else ""), timeout=timeout_ms)
    await page.locator(CANVAS).wait_for(state="visible", timeout=timeout_ms)
    await page.wait_for_function("() => window.__digitlab.idle()", timeout=timeout_ms)
    opened = time.perf_counter() - began
    await page.evaluate("t => window.__digitlab.watch(t)", '[data-testid="stMetricValue"]')  # the Prediction's value
    return BrowserSession(name, page), opened


def summary(sessions: list[DrawingSession]) -> dict:
    drawn = sum(s.drawn for s in sessions)
    errors = [f"{s.name}: {e}" for s in sessions for e in s.errors]
    return {
        "sessions": len(sessions),
        "digits_measured": drawn,
        "read_right": sum(s.right for s in sessions),
        "read_right_share": round(sum(s.right for s in sessions) / drawn, 3) if drawn else None,
        "errors": len(errors),
        "error_examples": errors[:10],
        "late_starts": sum(s.late for s in sessions),
        "up_to_run_over": latency_stats([v for s in sessions for v in s.run_over]),
        "up_to_metric_change": latency_stats([v for s in sessions for v in s.metric_change]),
    }


# --- isolation ------------------------------------------------------------------------------------------


async def sidebar_choice(session: BrowserSession, networks: list[str]) -> str:
    """The session's own widget choice: the checked Network radio option, or the brush width."""
    if len(networks) > 1:
        for name in networks:
            if await session.page.get_by_role("radio", name=NETWORK_TITLES[name]).is_checked():
                return name
        return "?"
    return (await session.page.get_by_test_id("stSliderThumbValue").inner_text()).strip()


async def switch_choice(session: BrowserSession, networks: list[str], timeout_ms: float) -> str:
    """Switches session's Network radio to the second network (or its brush to the widest); the new choice."""
    started = await session.evaluate("window.__digitlab.started")
    sidebar = session.page.get_by_test_id("stSidebar")
    if len(networks) > 1:
        await sidebar.get_by_text(NETWORK_TITLES[networks[1]], exact=True).click()
    else:
        slider = session.page.get_by_role("slider", name="Brush width (px)")
        await slider.focus()
        await slider.press("End")
    await session.wait_run_after(started, timeout_ms)
    return await sidebar_choice(session, networks)


async def interleaved(a: BrowserSession, b: BrowserSession, stroke_a, stroke_b, timeout_ms: float) -> None:
    """Both sessions draw one stroke at the same time: their mouse events alternate, both buttons up together."""

    async def one(session, stroke, box):
        counts = await session.evaluate("window.__digitlab.started")
        await session.stroke(box, stroke)
        await session.wait_run_after(counts, timeout_ms)

    boxes = [await s.page.locator(CANVAS).bounding_box() for s in (a, b)]
    await asyncio.gather(one(a, stroke_a, boxes[0]), one(b, stroke_b, boxes[1]))


async def isolation_check(browser, url: str, pen, networks: list[str], rounds: int, timeout_ms: float) -> dict:
    (a, _), (b, _) = await asyncio.gather(*(open_session(browser, url, n, timeout_ms) for n in ("A", "B")))
    single = [int(i) for i in range(len(pen)) if len(pen.strokes(i)) == 1]
    problems, checked = [], []
    chosen_a = before_b = None
    try:
        before_b = await sidebar_choice(b, networks)
        chosen_a = await switch_choice(a, networks, timeout_ms)
        if chosen_a == before_b:
            problems.append(f"A's switch did not take: A {chosen_a!r}, B {before_b!r}")
        for r in range(rounds):
            i, j = single[(7 * r) % len(single)], single[(7 * r + 3) % len(single)]
            if pen.labels[i] == pen.labels[j]:
                j = next(k for k in single if pen.labels[k] != pen.labels[i])
            si, sj = canvas_strokes(pen.strokes(i))[0], canvas_strokes(pen.strokes(j))[0]
            reference = {}
            for session, stroke in ((a, si), (b, sj)):  # alone first: what each page reads for its drawing
                await session.reset(timeout_ms)
                reference[session.name] = (await session.draw([stroke], timeout_ms))[0]
            for session in (a, b):
                await session.reset(timeout_ms)
                await session.evaluate("() => { window.__digitlab.shown = []; }")
            await interleaved(a, b, si, sj, timeout_ms)
            for session, other, stroke_label in ((a, b, pen.labels[i]), (b, a, pen.labels[j])):
                shown = await session.evaluate("() => window.__digitlab.shown")
                final = await session.prediction()
                ok = final == reference[session.name] and set(shown) <= {DASH, reference[session.name]}
                if not ok:
                    problems.append(
                        f"round {r}: {session.name} drew a {stroke_label} "
                        f"(alone read {reference[session.name]!r}) but showed {shown} "
                        f"(other page alone: {reference[other.name]!r})"
                    )
            checked.append(
                {
                    "round": r,
                    "A_drew": int(pen.labels[i]),
                    "B_drew": int(pen.labels[j]),
                    "A_alone": reference["A"],
                    "B_alone": reference["B"],
                    "A_together": await a.prediction(),
                    "B_together": await b.prediction(),
                    "distinguishable": reference["A"] != reference["B"],
                }
            )
            for session in (a, b):
                await session.check_exceptions()
        after = {"A": await sidebar_choice(a, networks), "B": await sidebar_choice(b, networks)}
        if after["A"] != chosen_a or after["B"] != before_b:
            problems.append(f"widget choices moved: A {chosen_a!r} -> {after['A']!r}, B {before_b!r} -> {after['B']!r}")
        captions = {}
        if len(networks) > 1:  # each page names the OTHER network in its "The ... reads" caption
            for session, own in ((a, chosen_a), (b, before_b)):
                text = await session.page.get_by_test_id("stMain").inner_text()
                others = [n for n in networks if n != own]
                captions[session.name] = [f"{NETWORK_NAMES[n].capitalize()} reads" in text for n in others]
                if f"{NETWORK_NAMES[own].capitalize()} reads" in text or not all(captions[session.name]):
                    problems.append(f"{session.name}'s caption names the wrong network (own {own!r})")
    except Exception as error:
        problems.append(describe(error))
    finally:
        for session in (a, b):
            await session.close()
    return {
        "widget": "Network radio" if len(networks) > 1 else "brush slider (only one network is trained)",
        "A_choice": chosen_a,
        "B_choice": before_b,
        "rounds": checked,
        "leaks_or_problems": problems,
        "isolated": not problems,
    }


# --- the run --------------------------------------------------------------------------------------------


def pen_digits(pen, seed: int) -> list[tuple[list[np.ndarray], int, int]]:
    """All the pen sample's digits in a random order: (strokes on the canvas, label, sample index)."""
    order = np.random.default_rng(seed).permutation(len(pen))
    return [(canvas_strokes(pen.strokes(int(i))), int(pen.labels[i]), int(i)) for i in order]


async def open_protocol_session(
    url: str, name: str, timeout_ms: float, query: str = ""
) -> tuple[ProtocolSession, float]:
    session = ProtocolSession(name, url, query)
    began = time.perf_counter()
    await session.connect(timeout_ms)
    return session, time.perf_counter() - began


def class_link(codes: list[str], k: int) -> str:
    """Session k's query string: the link of class k mod len(codes) (none without classes)."""
    return f"class={codes[k % len(codes)]}" if codes else ""


async def save_drawing(session: BrowserSession, label: int, timeout_ms: float, store: str, code: str) -> int:
    """Saves the drawing on the page as `label` ("I meant", then "Save to our class"); the id the store gave it
    (the class's newest: one session saves in its class at a time here)."""
    page = session.page
    await page.get_by_test_id("stSelectbox").filter(has_text="I meant").locator("input").click()
    await page.keyboard.type(str(label))
    await page.get_by_role("option", name=str(label), exact=True).click()
    started = await session.evaluate("window.__digitlab.started")
    await page.get_by_role("button", name="Save to our class").click()
    await session.wait_run_after(started, timeout_ms)
    await page.get_by_text("Saved as").first.wait_for(timeout=timeout_ms)
    return (await asyncio.to_thread(ClassCollection(store, code).version))[1]


async def teacher_watch(
    browser, url: str, code: str, store: str, start: float, end: float, every: float, timeout_ms: float
) -> dict:
    """The class's teacher on the Our class page, left untouched while the class draws: a drawing is saved in
    the class every `every` s (straight into the store, as a student's Save leaves it), and the page must show
    it by itself within LIVE_GOAL_S (each time it rereads and redraws the whole class)."""
    import re

    session, _ = await open_session(browser, url, f"teacher-{code}", timeout_ms, class_link([code], 0))
    page = session.page
    await page.get_by_test_id("stSidebarNav").get_by_role("link", name="Our class").click()
    await page.get_by_role("heading", level=1, name=re.compile("our digits")).wait_for(timeout=timeout_ms)
    collection, rng = ClassCollection(store, code), np.random.default_rng(0)
    delays, missed, k = [], 0, 0
    while (due := start + k * every) < end:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        await asyncio.to_thread(collection.save, rng.random((28, 28)), k % 10)
        saved_at = time.monotonic()
        total = (await asyncio.to_thread(collection.version))[0]
        shown = page.get_by_text(re.compile(rf"^{total} drawings?, newest first"))
        try:
            await shown.wait_for(timeout=LIVE_GOAL_S * 1000)
            delays.append(time.monotonic() - saved_at)
        except Exception:
            missed += 1
        k += 1
    exceptions = await page.get_by_test_id("stException").count()
    await session.close()
    return {
        "class": code,
        "saves": k,
        "shown_within_goal": len(delays),
        "missed": missed,
        "exceptions": exceptions,
        "shown_p50_s": round(float(np.median(delays)), 2) if delays else None,
        "shown_max_s": round(max(delays), 2) if delays else None,
    }


async def class_isolation_check(browser, url: str, codes: list[str], store: str, pen, timeout_ms: float) -> dict:
    """Each class (and the default one, "") saves two drawings in a browser session of its own; then each
    one's Our class page and the store must show exactly its own drawings, none of another class's."""
    saved, shown, problems = {}, {}, []
    before = {code: [d.id for d in ClassCollection(store, code).drawings()] for code in [*codes, ""]}  # the teachers'
    for n, code in enumerate([*codes, ""]):
        session, _ = await open_session(browser, url, f"class-{code or 'default'}", timeout_ms, class_link([code], 0))
        try:
            saved[code] = []
            for strokes, label, sample in pen_digits(pen, seed=100 + n)[:2]:
                await session.reset(timeout_ms)
                await session.draw(strokes, timeout_ms, sample)
                saved[code].append(await save_drawing(session, label, timeout_ms, store, code))
            started = await session.evaluate("window.__digitlab.started")
            await session.page.get_by_test_id("stSidebarNav").get_by_role("link", name="Our class").click()
            await session.wait_run_after(started, timeout_ms)
            alts = await session.page.locator('img[alt^="Drawing "]').evaluate_all("els => els.map(e => e.alt)")
            shown[code] = sorted(int(alt.split()[1].rstrip(",")) for alt in alts)
        except Exception as error:
            problems.append(f"class {code!r}: {describe(error)}")
        finally:
            await session.close()
    stored = {code: sorted(d.id for d in ClassCollection(store, code).drawings()) for code in saved}
    owner = {i: code for code, ids in saved.items() for i in ids}
    for code, ids in saved.items():
        ids = sorted(before[code] + ids)
        if stored[code] != ids or shown.get(code) != ids:
            problems.append(
                f"class {code!r} saved {ids}, its store holds {stored[code]}, its page shows {shown.get(code)}"
            )
    leaks = [
        f"class {c!r} shows #{i}, saved by class {owner[i]!r}"
        for c, ids in shown.items()
        for i in ids
        if owner.get(i, c) != c
    ]
    return {
        "classes": len(codes),
        "saved": saved,
        "leaks": leaks,
        "problems": problems,
        "isolated": not (leaks or problems),
    }


async def classroom(args, url: str, monitor: Monitor, result: dict, codes: list[str], store: str) -> None:
    from playwright.async_api import async_playwright

    pen = load_pen_digits(PEN_SAMPLE)
    timeout_ms = args.timeout * 1000
    networks = available_networks()
    result["networks"] = networks
    browsers_in_class = min(args.browsers, args.sessions)
    async with async_playwright() as playwright:
        browsers = []

        async def browser_for(k: int):
            while len(browsers) <= k // args.per_browser:
                browsers.append(await playwright.chromium.launch(**launch_options()))
            return browsers[k // args.per_browser]

        try:
            # 1. a single user, alone: in a browser, then through the protocol
            monitor.enter("single_user")
            result["single_user"] = {}
            kinds = ["browser"] + (["protocol"] if browsers_in_class < args.sessions else [])
            for kind in kinds:
                link = class_link(codes, 0)
                if kind == "browser":
                    session, opened = await open_session(await browser_for(0), url, "single", timeout_ms * 3, link)
                else:
                    session, opened = await open_protocol_session(url, "single-protocol", timeout_ms, link)
                digits = pen_digits(pen, seed=0)
                # warm-up, two digits (the first: TensorFlow's import and the network's first load)
                for strokes, label, sample in (digits[-1], digits[-2]):
                    await session.one_digit(strokes, label, url, timeout_ms * 3, record=False, sample=sample)
                began = time.monotonic()
                await draw_every(
                    session, digits, url, began, args.interval, began + args.baseline * args.interval, timeout_ms
                )
                await session.close()
                result["single_user"][kind] = {"page_open_s": round(opened, 2), **summary([session])}
                print(f"single user ({kind}): {json.dumps(result['single_user'][kind])}", flush=True)

            # 2. the classroom: everybody arrives within one interval, then draws a digit every interval
            monitor.enter("opening")
            kinds = ["browser"] * browsers_in_class + ["protocol"] * (args.sessions - browsers_in_class)
            stagger = args.interval / args.sessions

            async def arrive(k: int):
                await asyncio.sleep(k * stagger)
                link = class_link(codes, k)
                if kinds[k] == "browser":
                    return await open_session(await browser_for(k), url, f"b{k:03d}", timeout_ms * 3, link)
                return await open_protocol_session(url, f"p{k:03d}", timeout_ms * 3, link)

            opened = await asyncio.gather(*(arrive(k) for k in range(args.sessions)), return_exceptions=True)
            open_errors = [describe(e) for e in opened if isinstance(e, BaseException)]
            sessions = [s for s, _ in (o for o in opened if not isinstance(o, BaseException))]
            open_times = {
                kind: [
                    t
                    for (s, t) in (o for o in opened if not isinstance(o, BaseException))
                    if isinstance(s, ProtocolSession) == (kind == "protocol")
                ]
                for kind in ("browser", "protocol")
            }
            result["classroom_page_open"] = {
                "opened": len(sessions),
                "failed": len(open_errors),
                "errors": open_errors[:5],
                **{f"{kind}_p50_s": round(float(np.median(t)), 2) for kind, t in open_times.items() if t},
                **{f"{kind}_max_s": round(float(max(t)), 2) for kind, t in open_times.items() if t},
            }
            if codes:  # each student in the class of its link, and no other
                wrong = [
                    s.name
                    for k, s in enumerate(sessions)
                    if isinstance(s, ProtocolSession) and not any(f"**{s.query[6:]}**" in md for md in s.sidebar)
                ]
                result["classroom_page_open"]["joined_wrong_class"] = wrong
            print(f"classroom sessions open: {json.dumps(result['classroom_page_open'])}", flush=True)
            monitor.enter("classroom")
            start = time.monotonic() + 1
            teachers = [
                teacher_watch(
                    await browser_for(0), url, code, store, start, start + args.duration, args.save_every, timeout_ms
                )
                for code in codes[: args.teachers]
            ]
            *_, watched = await asyncio.gather(
                *(
                    draw_every(
                        s,
                        pen_digits(pen, seed=1 + k),
                        url,
                        start + k * args.interval / len(sessions),
                        args.interval,
                        start + args.duration,
                        timeout_ms,
                    )
                    for k, s in enumerate(sessions)
                ),
                asyncio.gather(*teachers),
            )
            monitor.enter("isolation")
            result["classroom"] = {"all": summary(sessions), "errors_opening": len(open_errors)}
            result["live_our_class"] = watched
            for kind, cls in (("browser", BrowserSession), ("protocol", ProtocolSession)):
                group = [s for s in sessions if (type(s) is cls)]
                if group:
                    result["classroom"][kind] = summary(group)
            result["classroom"]["digits_scheduled"] = int(args.sessions * args.duration / args.interval)
            print(f"classroom: {json.dumps(result['classroom'])}", flush=True)
            await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)

            # 3. isolation: two browser sessions drawing at the same time
            result["isolation"] = await isolation_check(
                await browser_for(0), url, pen, networks, args.isolation_rounds, timeout_ms
            )
            print(f"isolation: {json.dumps(result['isolation'])}", flush=True)
            if codes:
                result["class_isolation"] = await class_isolation_check(
                    await browser_for(0), url, codes, store, pen, timeout_ms
                )
                print(f"class isolation: {json.dumps(result['class_isolation'])}", flush=True)
            monitor.enter("end")
        finally:
            for browser in browsers:
                await browser.close()


@contextlib.contextmanager
def serving(args, cpus: set[int] | None):
    """The app served as args say: (its URL, the server's process ids, its class store's URL or path)."""
    if args.replicas:
        with private_server() as store, school(args.replicas, database_url=store, cpus=cpus) as served:
            yield served["url"], served["pids"], store
        return
    folder = Path(tempfile.mkdtemp(prefix="classroom-"))
    store = str(folder / "class-digits.sqlite")
    env = {"DIGITLAB_CLASS_DB": store, **dict(e.split("=", 1) for e in args.env)}
    try:
        with StreamlitServer(Path(args.app), env=env, cpus=cpus) as server:
            yield server.url, [server.process.pid], store
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between one session's digits")
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of classroom load")
    parser.add_argument("--baseline", type=int, default=20, help="digits drawn by the single user")
    parser.add_argument(
        "--browsers",
        type=int,
        default=2,
        help="classroom sessions in real browser contexts; the others speak Streamlit's protocol",
    )
    parser.add_argument("--per-browser", type=int, default=30, help="contexts (sessions) per Chromium process")
    parser.add_argument("--isolation-rounds", type=int, default=4)
    parser.add_argument(
        "--replicas", type=int, default=0, help="a school: N Streamlit processes behind nginx (deploy/school.py)"
    )
    parser.add_argument("--classes", type=int, default=1, help="classes the sessions are spread over (0: none)")
    parser.add_argument(
        "--teachers", type=int, default=1, help="classes whose teacher keeps the live Our class page open meanwhile"
    )
    parser.add_argument("--save-every", type=float, default=4.0, help="seconds between saves in a watched class")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before a wait counts as an error")
    parser.add_argument("--model-dir", help=f"networks to serve (${MODEL_DIR_VARIABLE}); default: {model_dir()}")
    parser.add_argument(
        "--app",
        default=str(PROJECT_DIR / "app.py"),
        help="the script to serve (a variant of app.py must sit beside app_pages/ and digitlab/)",
    )
    parser.add_argument(
        "--server-cores",
        type=int,
        default=1,
        help="CPUs given to the server alone; this script and its browsers run on the others, as "
        "the students' own computers would (0: everything shares every CPU)",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="for the server, e.g. STREAMLIT_RUNNER_POST_SCRIPT_GC=false (repeatable)",
    )
    args = parser.parse_args()
    if args.model_dir:
        os.environ[MODEL_DIR_VARIABLE] = str(Path(args.model_dir).resolve())

    began = time.monotonic()
    result: dict = {"goals": GOALS, "settings": vars(args)}
    result["load_average_at_start"] = [round(load, 2) for load in os.getloadavg()]
    server_cpus, client_cpus = split_cpus(args.server_cores)
    result["cpus"] = {"server": sorted(server_cpus or []), "clients": sorted(client_cpus or [])}
    monitor = None
    with serving(args, server_cpus) as (url, pids, store):
        if client_cpus:
            os.sched_setaffinity(0, client_cpus)  # this script, and the browsers it starts after this
        codes = [open_class(as_url(store), f"Class {k + 1}").code for k in range(args.classes)]
        result["classes"] = codes
        render_pngs(load_pen_digits(PEN_SAMPLE))  # the protocol sessions' canvas pictures, made before any timing
        monitor = Monitor(pids)
        monitor.start()
        try:
            asyncio.run(classroom(args, url, monitor, result, codes, store))
        finally:
            monitor.stop_event.set()
            monitor.join(timeout=5)

    mb = 1 / 2**20
    result["server_memory_mb"] = {phase: round(p["server_rss"] * mb) for phase, p in monitor.peaks.items()}
    result["server_memory_peak_mb"] = round(max(p["server_rss"] for p in monitor.peaks.values()) * mb)
    result["browsers_and_driver_pss_peak_mb"] = round(max(p["clients_rss"] for p in monitor.peaks.values()) * mb)
    result["cpu"] = {
        "single_user": monitor.cpu("single_user", "opening"),
        "opening": monitor.cpu("opening", "classroom"),
        "classroom": monitor.cpu("classroom", "isolation"),
    }
    ratios = {}
    for kind in ("browser", "protocol"):
        alone, crowd = result["single_user"].get(kind), result["classroom"].get(kind)
        if not (alone and crowd):
            continue
        for measure in ("up_to_run_over", "up_to_metric_change"):
            a_, c_ = alone[measure], crowd[measure]
            if a_.get("n") and c_.get("n"):
                ratios[f"{kind}_{measure}"] = {
                    "single_p95_ms": a_["p95_ms"],
                    "classroom_p95_ms": c_["p95_ms"],
                    "single_p50_ms": a_["p50_ms"],
                    "classroom_p50_ms": c_["p50_ms"],
                    "p95_ratio": round(c_["p95_ms"] / a_["p95_ms"], 2),
                }
    result["p95_classroom_over_single"] = ratios
    errors = (
        sum(v["errors"] for v in result["single_user"].values())
        + result["classroom"]["all"]["errors"]
        + result["classroom"]["errors_opening"]
    )
    result["meets_goals"] = {
        "no_errors": errors == 0,
        "p95_within_2x_single_user": bool(ratios)
        and all(r["p95_ratio"] <= GOALS["p95_load_over_single"] for r in ratios.values()),
        "sessions_isolated": result["isolation"]["isolated"],
    }
    if result["classes"]:
        errors += len(result["classroom_page_open"].get("joined_wrong_class", []))
        errors += sum(w["missed"] + w["exceptions"] for w in result.get("live_our_class", []))
        result["meets_goals"]["no_errors"] = errors == 0
        result["meets_goals"]["classes_isolated"] = result.get("class_isolation", {}).get("isolated", False)
    result["load_average_at_end"] = [round(load, 2) for load in os.getloadavg()]
    result["notes"] = (
        "latencies in the page's clock: mouse-up of a digit's last stroke -> Streamlit's run over "
        "(up_to_run_over) / the Prediction metric's text changed (up_to_metric_change); the browsers "
        "share this machine's cores with the server (see cpu), so a classroom of separate "
        "computers would load the server alone"
    )
    result["total_s"] = round(time.monotonic() - began, 1)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
