"""How long each page of the app takes to render, first visit and then from cache (AppTest, in-process).

    python -m tools.page_times                    # every page, in the navigation's order
    python -m tools.page_times --pages mistakes   # one page's first visit on a fresh server (after the Draw page)

A drawing (a committed pen-drawn digit) is put on the Draw page first, so that the pages that show the
current drawing have one. Prints one JSON object: seconds per page, first and warm (median of 5).
"""

import argparse
import json
import statistics
import time

from streamlit.testing.v1 import AppTest

from app_pages.shared import CANVAS_KEY
from digitlab.bench import canvas_drawings
from digitlab.config import PROJECT_DIR
from tools.canvas_state import as_canvas_state

PAGES = ["draw", "overfitting", "inside", "our_class", "data", "mistakes", "train"]


def timed_run(at: AppTest) -> float:
    started = time.perf_counter()
    at.run()
    if at.exception:
        raise RuntimeError(at.exception)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", default=",".join(PAGES), help=f"comma-separated, of: {', '.join(PAGES)}")
    pages = parser.parse_args().pages.split(",")
    at = AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=300)
    at.run()
    at.session_state[CANVAS_KEY] = as_canvas_state(canvas_drawings(1)[0])
    results = {}
    for page in pages:
        at.switch_page(f"app_pages/{page}.py")
        first = timed_run(at)
        warm = statistics.median(timed_run(at) for _ in range(5))
        results[page] = {"first_s": round(first, 3), "warm_s": round(warm, 3)}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
