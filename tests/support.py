"""What the tests share besides fixtures: the repository's paths, a digit drawn on the canvas, and broken
class-collection stores. A plain module (pyproject's `pythonpath` puts tests/ on the path), so that the
tests import it by name; conftest.py is pytest's, for fixtures and hooks only."""

import contextlib
import itertools
import os
from pathlib import Path

import numpy as np
import pytest

from digitlab.config import CANVAS_SIZE, PROJECT_DIR

ROOT = PROJECT_DIR  # the repository: the tests run the app, the CLI and train.py from it
DATA = ROOT / "tests" / "data"  # the tests' own samples (tools/make_test_samples.py, tools/make_bad_models.py)


def upscaled_on_canvas(digit: np.ndarray, canvas: int = CANVAS_SIZE) -> np.ndarray:
    """An MNIST digit (28 x 28 uint8) blown up 10x onto an opaque RGBA canvas, as if drawn there."""
    from PIL import Image

    big = np.asarray(Image.fromarray(digit).resize((canvas, canvas), Image.Resampling.BICUBIC))
    return np.dstack([big, big, big, np.full_like(big, 255)])


def skip_or_fail(reason: str, variable: str) -> None:
    """Skips the test, unless `variable` is 1 (as in CI), where what is missing is a failure."""
    if os.environ.get(variable) == "1":
        pytest.fail(f"{reason}, and {variable}=1 requires it", pytrace=False)
    pytest.skip(reason)


_databases = itertools.count()


def new_database(server_url: str) -> str:
    """The URL of a new, empty database on the PostgreSQL server at `server_url` (tools.postgres's)."""
    import psycopg

    name = f"test{next(_databases)}"
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return server_url.replace("/digitlab?", f"/{name}?")


STORE_FAILURES = ["read-only", "corrupt", "missing folder", "locked"]


@contextlib.contextmanager
def broken_store(kind: str, folder: Path):
    """A class-collection path that fails as `kind` while the context lasts.

    read-only: the file is made immutable (chattr +i; as root, permission bits would not stop a write);
    corrupt: not a database; missing folder: its folder cannot be made (a file stands in the way);
    locked: another connection holds the write lock, as another process would."""
    import sqlite3
    import subprocess

    from digitlab.collection import ClassCollection

    path = folder / "class.sqlite"
    if kind == "corrupt":
        path.write_bytes(b"this is not a database, just bytes " * 100)
        yield path
    elif kind == "missing folder":
        (folder / "blocker").write_text("a file where the folder should be")
        yield folder / "blocker" / "sub" / "class.sqlite"
    elif kind == "read-only":
        ClassCollection(path).save(np.zeros((28, 28)), label=1)
        made = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
        if made.returncode != 0:
            if os.geteuid() == 0:
                pytest.skip(f"cannot make a read-only file as root here: {made.stderr.decode().strip()}")
            path.chmod(0o444)
        try:
            yield path
        finally:
            subprocess.run(["chattr", "-i", str(path)], capture_output=True)
    elif kind == "locked":
        ClassCollection(path).save(np.zeros((28, 28)), label=1)
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            yield path
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    else:
        raise ValueError(kind)


SLOW = 60_000  # ms, for the browser tests: a server's first page load imports TensorFlow and loads the network


def prediction(page):
    """The Draw page's Prediction metric's value, in a Playwright page."""
    return page.locator('[data-testid="stMetric"]', has_text="Prediction").get_by_test_id("stMetricValue")


def start_tracing(context, config) -> None:
    """Trace a browser context that a module's tests share, as --tracing asks. pytest-playwright traces only the
    contexts its `new_context` fixture opens (one test each); trace_each_test() cuts this one up by test."""
    if config.getoption("--tracing") != "off":
        context.tracing.start(screenshots=True, snapshots=True, sources=True)


@contextlib.contextmanager
def trace_each_test(context, request, output_path):
    """Around one test: its chunk of the shared context's trace, kept as pytest-playwright keeps its own (with
    --tracing on, or retain-on-failure and the test failed), in the test's --output folder."""
    tracing = request.config.getoption("--tracing")
    if tracing == "off":
        yield
        return
    context.tracing.start_chunk(title=request.node.nodeid)
    try:
        yield
    finally:
        call = getattr(request.node, "rep_call", None)  # the test's report, which pytest-playwright's hook keeps
        if tracing == "on" or call is None or call.failed:
            trace = Path(output_path) / "trace-shared-page.zip"
            trace.parent.mkdir(parents=True, exist_ok=True)
            context.tracing.stop_chunk(path=trace)
        else:
            context.tracing.stop_chunk()


def run_apart(coroutine):
    """asyncio.run(coroutine) on a thread of its own: Playwright's sync API, once a browser test has run, keeps an
    event loop in the tests' thread, where asyncio.run refuses to start another. Returns its result or raises."""
    import asyncio
    import threading

    outcome = {}

    def run() -> None:
        try:
            outcome["result"] = asyncio.run(coroutine)
        except BaseException as error:  # handed to the caller's thread
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("result")
