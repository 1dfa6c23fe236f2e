"""Sessions are apart: three browser contexts (three students) on one `streamlit run app.py` draw different
pen digits at the same moment, and one switches the sidebar's Network radio; each page shows only its own
answer and keeps its own choice.

The server gets a temporary networks folder with two networks: model/dense.* and model/cnn.*, or a copy of
dense's files under the name "cnn" when no convnet is trained (what matters here is a second radio
option, not how well it reads). The browser is pytest-playwright's (conftest.py); skipped like
tests/test_browser.py when Chromium is missing, unless DIGITLAB_REQUIRE_BROWSER=1.
"""

import shutil

import numpy as np
import pytest
from playwright.sync_api import expect

from app_pages.shared import CLEAR, NO_ANSWER
from digitlab.config import MODEL_DIR_VARIABLE, NETWORK_NAMES, NETWORK_TITLES, model_path, onnx_path, report_path
from digitlab.pen import canvas_strokes
from support import ROOT, SLOW, prediction
from tools.browser import (
    CANVAS,
    INSTRUMENT,
    StreamlitServer,
    mouse_path,
    page_points,
    runs_started,
    wait_for_run_after,
    wait_until_idle,
)

# First of all: skips (or fails, in CI) before a server is started when Chromium is missing.
pytestmark = pytest.mark.usefixtures("browser_type_launch_args")

NETWORKS = ("cnn", "dense")  # the radio's options, in the app's order
# every distinct text the Prediction metric shows, in order
SHOWN = """(() => { const seen = window.__shown = [];
  new MutationObserver(() => { const e = document.querySelector('[data-testid="stMetricValue"]');
    const t = e && e.innerText.trim(); if (t && seen[seen.length - 1] !== t) seen.push(t); })
  .observe(document, {subtree: true, childList: true, characterData: true}); })();"""


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sessions")
    networks = folder / "networks"
    networks.mkdir()
    for name in NETWORKS:
        source = name if model_path(name).is_file() else "dense"
        shutil.copy(model_path(source), model_path(name, networks))
        shutil.copy(onnx_path(source), onnx_path(name, networks))
        if report_path(source).is_file():
            shutil.copy(report_path(source), report_path(name, networks))
    env = {"DIGITLAB_CLASS_DB": str(folder / "class-digits.sqlite"), MODEL_DIR_VARIABLE: str(networks)}
    with StreamlitServer(ROOT / "app.py", env=env) as server:
        yield server.url


@pytest.fixture
def pages(new_context, server_url):
    """Three students' pages, opened together (pytest-playwright's contexts: traced, and closed after the test)."""
    opened = []
    for _ in range(3):
        context = new_context(viewport={"width": 1280, "height": 900})
        context.add_init_script(INSTRUMENT)
        context.add_init_script(SHOWN)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(server_url)
        opened.append(page)
    for page in opened:
        page.locator(CANVAS).wait_for(state="visible", timeout=SLOW)
        wait_until_idle(page, timeout=SLOW)
    return opened


def radio(page, name):
    return page.get_by_test_id("stSidebar").get_by_role("radio", name=NETWORK_TITLES[name])


def wait_for_run(page, started):
    wait_for_run_after(page, started, timeout=SLOW)


def reset(page):
    started = runs_started(page)
    page.get_by_role("button", name=CLEAR).click()
    wait_for_run(page, started)
    expect(prediction(page)).to_have_text(NO_ANSWER)


def draw_together(pages, strokes):
    """One stroke on each page at the same time: the pages' mouse events alternate, the buttons go up one
    right after the other, and only then are the reruns waited for."""
    paths = [page_points(page, mouse_path(stroke)) for page, stroke in zip(pages, strokes)]
    started = [runs_started(page) for page in pages]
    for page, path in zip(pages, paths):
        page.mouse.move(*path[0])
        page.mouse.down()
    for k in range(1, max(len(path) for path in paths)):
        for page, path in zip(pages, paths):
            if k < len(path):
                page.mouse.move(*path[k])
    for page in pages:
        page.mouse.up()
    for page, n in zip(pages, started):
        wait_for_run(page, n)


def test_sessions_do_not_share_answers_or_choices(pages, pen_sample):
    pen = pen_sample
    # single-stroke digits, so that the only answer a page shows is the one for the whole drawing
    samples = [
        next(int(i) for i in np.flatnonzero(pen.labels == digit) if len(pen.strokes(i)) == 1) for digit in (7, 3, 0)
    ]
    strokes = [canvas_strokes(pen.strokes(i))[0] for i in samples]
    a, b, c = pages

    started = runs_started(a)
    a.get_by_test_id("stSidebar").get_by_text(NETWORK_TITLES[NETWORKS[1]], exact=True).click()
    wait_for_run(a, started)
    for page, chosen in ((a, NETWORKS[1]), (b, NETWORKS[0]), (c, NETWORKS[0])):
        expect(radio(page, chosen)).to_be_checked()

    alone = []  # what each page reads when it draws by itself
    for page, stroke in zip(pages, strokes):
        draw_together([page], [stroke])
        alone.append(prediction(page).inner_text().strip())
        reset(page)
    assert len(set(alone)) == 3, (
        f"the three drawings must be read as three different digits to tell them apart: {alone}"
    )

    for page in pages:
        page.evaluate("() => { window.__shown.length = 0; }")
    draw_together(pages, strokes)
    for page, own in zip(pages, alone):
        expect(prediction(page)).to_have_text(own)
        assert set(page.evaluate("() => window.__shown")) <= {NO_ANSWER, own}, "a page showed another session's answer"
        expect(page.get_by_test_id("stException")).to_have_count(0)

    for page, chosen in ((a, NETWORKS[1]), (b, NETWORKS[0]), (c, NETWORKS[0])):
        expect(radio(page, chosen)).to_be_checked()
        other = next(n for n in NETWORKS if n != chosen)  # the caption under the answer names the network NOT chosen
        expect(page.get_by_test_id("stMain")).to_contain_text(f"{NETWORK_NAMES[other].capitalize()} reads")
