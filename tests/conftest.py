"""Shared fixtures: the small real samples committed in tests/data, the committed seed network, broken stores."""

import contextlib
import os
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
sys.path.insert(0, str(ROOT))

from digitlab.config import model_path  # noqa: E402
from tools.browser import browser_missing  # noqa: E402


@pytest.fixture(scope="session")
def mnist_small():
    from digitlab.data import load_mnist

    return load_mnist(DATA / "mnist_small.npz")


@pytest.fixture(scope="session")
def pen_dev():
    """The whole UniPen dev set of the issue's targets (6 308 digits), for the accuracy and robustness checks."""
    from digitlab.pen import load_pen_digits

    return load_pen_digits(DATA / "pen_dev.npz")


@pytest.fixture(scope="session")
def pen_sample():
    from digitlab.pen import load_pen_digits

    return load_pen_digits(DATA / "pen_sample.npz")


@pytest.fixture(scope="session")
def dense_network():
    from digitlab.inference import load_network

    return load_network(model_path("dense"))


def upscaled_on_canvas(digit: np.ndarray, canvas: int = 280) -> np.ndarray:
    """An MNIST digit (28 x 28 uint8) blown up 10x onto an opaque RGBA canvas, as if drawn there."""
    from PIL import Image

    big = np.asarray(Image.fromarray(digit).resize((canvas, canvas), Image.Resampling.BICUBIC))
    return np.dstack([big, big, big, np.full_like(big, 255)])


def skip_without_browser() -> None:
    """At the top of a browser test module: skip it when Chromium or playwright is missing, unless
    DIGITLAB_REQUIRE_BROWSER=1 (CI), where a missing browser is a failure."""
    missing = browser_missing()
    if missing:
        reason = "browser tests cannot run: " + "; ".join(missing)
        if os.environ.get("DIGITLAB_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}, and DIGITLAB_REQUIRE_BROWSER=1 requires them", pytrace=False)
        pytest.skip(reason, allow_module_level=True)


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
