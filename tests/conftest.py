"""Shared fixtures: the small real samples committed in tests/data and the committed seed network."""

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
