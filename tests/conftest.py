"""Shared fixtures: the small real samples, the committed seed network, and Chromium for pytest-playwright.

Helpers and constants that tests import by name are in tests/support.py, not here."""

import os

import pytest

from digitlab.config import PEN_SAMPLE, model_path
from support import DATA
from tools.browser import browser_missing, launch_options


def pytest_configure(config):
    """pytest-playwright takes --output (pyproject's addopts) from the folder pytest is started in; anchor it at
    the repository, so that kept traces always land in its git-ignored artifacts/ folder."""
    if hasattr(config.option, "output"):
        config.option.output = str(config.rootpath / config.option.output)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium with tools/browser.py's flags; never a downloaded browser. Without Chromium the browser
    tests are skipped, unless DIGITLAB_REQUIRE_BROWSER=1 (CI), where a missing browser is a failure."""
    missing = browser_missing()
    if missing:
        reason = "browser tests cannot run: " + "; ".join(missing)
        if os.environ.get("DIGITLAB_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}, and DIGITLAB_REQUIRE_BROWSER=1 requires them", pytrace=False)
        pytest.skip(reason)
    return {**browser_type_launch_args, **launch_options()}


@pytest.fixture(scope="module")
def browser(launch_browser):
    """pytest-playwright's browser, one per browser module instead of one per run: closed when its module is
    done, so that it does not idle through the rest of the run (the cores are shared)."""
    browser = launch_browser()
    yield browser
    browser.close()


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

    return load_pen_digits(PEN_SAMPLE)


@pytest.fixture(scope="session")
def dense_network():
    from digitlab.inference import load_network

    return load_network(model_path("dense"))
