"""Does a training on the Train page slow another session's drawing? (a benchmark, not a test; issue #11)

    python -m tools.training_latency [--strokes 30] [--app-dir PATH] [--server-cores 1]

Starts `streamlit run app.py` on 127.0.0.1 and drives Debian's Chromium with Playwright, as a class does:
one session (the teacher's, on the projector) on the Train page, another (a learner's) on the Draw page.
The learner draws real pen strokes (data/pen_sample.npz), each on a cleared canvas, and each is
timed from the mouse button going up to the Prediction's value changing (tools.browser_latency's way):
first with no training, then while the teacher's session trains ("Narrow the gap" made longer: the
widest network, the most epochs; started again should it end early), then idle again. Before any
measuring, the server is left to finish importing TensorFlow (the Train page triggers it), so that only
the training differs between the phases.

Prints one JSON object: p50/p95/max for each phase, during_p95 / idle_p95 (idle: both idle phases
together) and the goal (<= 1.5). By default the server (with its training process), this script and
Chromium share every CPU; --server-cores N gives the server the first N CPUs and the browser the others,
as in a classroom, where the pages run on the students' and the teacher's own computers. --app-dir serves
another checkout's app (`git worktree add /tmp/old <commit>`), to measure older code the same way.
Loopback only; stops the server and browser it starts.
"""

import argparse
import json
import os
import re
import time
from pathlib import Path

from digitlab.config import PEN_SAMPLE, PROJECT_DIR
from digitlab.experiments import VARIANTS
from digitlab.pen import canvas_strokes, load_pen_digits
from tools.browser import StreamlitServer, latency_stats, launch_options
from tools.browser_latency import APP_TARGET, clear, open_page, timed_stroke
from tools.processes import cpu_seconds, split_cpus

GOAL_RATIO = 1.5  # during-training p95 / idle p95
# The teacher's page is in a background tab of the same browser: keep its once-a-second polling going.
UNTHROTTLED = [
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]
PROGRESS = '[data-testid="stProgress"]'
RUNNING_LABEL = re.compile(r"Epoch (\d+) of (\d+)")


def open_train_page(browser, url: str, variant_title: str):
    """The teacher's session on the Train page, set to "Narrow the gap" with the widest network and the most epochs."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(120_000)  # the server's first visit to the page imports TensorFlow
    page.goto(url + "train")
    page.get_by_role("button", name="Narrow the gap").click()
    page.locator(".st-key-train_variant").click()
    page.get_by_role("option", name=variant_title).click()
    epochs = page.locator(".st-key-train_epochs")
    epochs.locator("input[type=range]").press("End")
    epochs.get_by_test_id("stSliderThumbValue").get_by_text("50", exact=True).wait_for()
    return page


def progress_label(page) -> str:
    labels = page.locator(PROGRESS)
    return labels.first.inner_text().strip() if labels.count() else ""


def start_training(page) -> None:
    """Start, and wait until the first epoch is over: the training is then in full swing."""
    page.get_by_role("button", name="Start training").click()
    page.wait_for_function(
        "p => { const e = document.querySelector(p); return e && /Epoch ([2-9]|\\d\\d) of/.test(e.innerText); }",
        arg=PROGRESS,
        timeout=120_000,
    )


def stop_training(page) -> None:
    page.get_by_role("button", name="Stop").click()
    page.wait_for_function(
        "p => { const e = document.querySelector(p); return e && !/Epoch \\d+ of/.test(e.innerText); }",
        arg=PROGRESS,
        timeout=60_000,
    )


def wait_until_quiet(pid: int, share: float = 0.05, timeout: float = 120) -> None:
    """Until the server process has used less than `share` of a core over a whole second."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = cpu_seconds(pid, descendants=False)
        time.sleep(1)
        if cpu_seconds(pid, descendants=False) - before < share:
            return
    raise RuntimeError(f"the server stayed busy for {timeout:.0f} s")


def measure(page, strokes, teacher=None) -> tuple[list[float], int]:
    """Mouse-up -> Prediction shown, in ms, for each stroke on a cleared canvas; with a teacher's page, its
    training is started again whenever it has ended (the count of restarts is returned too)."""
    times, restarts = [], 0
    for stroke in strokes:
        if teacher is not None and not RUNNING_LABEL.search(progress_label(teacher)):
            start_training(teacher)
            restarts += 1
        page.bring_to_front()
        clear(page)
        times.append(timed_stroke(page, stroke)[0])
    return times, restarts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strokes", type=int, default=30, help="measured strokes in each phase")
    parser.add_argument("--warmup", type=int, default=3, help="strokes before measuring")
    parser.add_argument("--app-dir", default=str(PROJECT_DIR), help="the checkout whose app.py is served")
    parser.add_argument(
        "--server-cores",
        type=int,
        default=0,
        help="CPUs for the server and its training alone, the rest for the browser (0: all share)",
    )
    args = parser.parse_args()
    server_cpus, client_cpus = split_cpus(args.server_cores)
    from playwright.sync_api import sync_playwright

    pen = load_pen_digits(PEN_SAMPLE)
    strokes = [canvas_strokes(pen.strokes(i))[0] for i in range(args.warmup + args.strokes)]
    warmup, measured = strokes[: args.warmup], strokes[args.warmup :]  # the same strokes in every phase
    began = time.monotonic()
    times, result = (
        {},
        {
            "app_dir": args.app_dir,
            "strokes_per_phase": args.strokes,
            "cpus": {"server": sorted(server_cpus or []), "browser": sorted(client_cpus or [])},
        },
    )
    app_dir = Path(args.app_dir)
    if client_cpus:
        os.sched_setaffinity(0, client_cpus)  # this script, and the browser it starts after this
    with sync_playwright() as playwright, StreamlitServer(app_dir / "app.py", cwd=app_dir, cpus=server_cpus) as server:
        browser = playwright.chromium.launch(**launch_options(*UNTHROTTLED))
        try:
            teacher = open_train_page(browser, server.url, VARIANTS["wider"].title)
            learner = open_page(browser, server.url, APP_TARGET)
            wait_until_quiet(server.process.pid)
            measure(learner, warmup)
            times["idle_before"], _ = measure(learner, measured)
            teacher.bring_to_front()
            start_training(teacher)
            result["training_at_start"] = progress_label(teacher)
            times["during_training"], result["training_restarts"] = measure(learner, measured, teacher)
            result["training_at_end"] = progress_label(teacher)  # how far it got meanwhile (with no restart)
            teacher.bring_to_front()
            stop_training(teacher)
            wait_until_quiet(server.process.pid)
            times["idle_after"], _ = measure(learner, measured)
        finally:
            browser.close()
    latency = {phase: latency_stats(values) for phase, values in times.items()}
    latency["idle"] = latency_stats(times["idle_before"] + times["idle_after"])
    ratio = latency["during_training"]["p95_ms"] / latency["idle"]["p95_ms"]
    result.update(
        {
            "mouse_up_to_prediction": latency,
            "during_p95_over_idle_p95": round(ratio, 2),
            "goal": f"<= {GOAL_RATIO}",
            "meets_goal": ratio <= GOAL_RATIO,
            "total_s": round(time.monotonic() - began, 1),
            "notes": "wall clock on this machine; see cpus for who ran where",
        }
    )
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
