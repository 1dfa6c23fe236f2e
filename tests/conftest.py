"""Shared fixtures: the small real samples, the committed seed network, Chromium for pytest-playwright, and the
class store on SQLite and on a throwaway PostgreSQL server.

Helpers and constants that tests import by name are in tests/support.py, not here."""

import numpy as np
import pytest

from digitlab.config import PEN_SAMPLE, model_path
from support import DATA, new_database, skip_or_fail
from tools.browser import browser_missing, launch_options
from tools.postgres import binaries, private_server


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
        skip_or_fail("browser tests cannot run: " + "; ".join(missing), "DIGITLAB_REQUIRE_BROWSER")
    return {**browser_type_launch_args, **launch_options()}


@pytest.fixture(scope="module")
def browser(launch_browser):
    """pytest-playwright's browser, one per browser module instead of one per run: closed when its module is
    done, so that it does not idle through the rest of the run (the cores are shared)."""
    browser = launch_browser()
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def postgres_server():
    """tools.postgres's private server, one for the run; without PostgreSQL installed its tests are skipped,
    unless DIGITLAB_REQUIRE_SERVERS=1 (CI)."""
    if binaries() is None:
        skip_or_fail("PostgreSQL tests cannot run: apt-get install postgresql", "DIGITLAB_REQUIRE_SERVERS")
    with private_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """An empty class store: a SQLite file, or a new database on the PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "class.sqlite")
    return request.getfixturevalue("store_url_postgresql")


@pytest.fixture
def store_url_postgresql(postgres_server):
    """A new, empty database on the tests' PostgreSQL server."""
    return new_database(postgres_server)


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
def a_seven(pen_sample):
    """A real pen-drawn 7 on the canvas (RGBA), as a student draws it."""
    from digitlab.pen import render_strokes

    return render_strokes(pen_sample.strokes(int(np.flatnonzero(pen_sample.labels == 7)[0])))


@pytest.fixture(scope="session")
def dense_network():
    from digitlab.inference import load_network

    return load_network(model_path("dense"))
