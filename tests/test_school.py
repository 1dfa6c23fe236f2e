"""The school without Docker (deploy/school.py): two Streamlit processes behind nginx, on a PostgreSQL store.
Browsers draw, are answered and save through the proxy, each kept on one process, each class on its own.

Needs Chromium, PostgreSQL and nginx from Debian's packages: skipped without them, unless CI's
DIGITLAB_REQUIRE_BROWSER=1 and DIGITLAB_REQUIRE_SERVERS=1 make that a failure.
"""

import re
import shutil
import urllib.request

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from deploy.school import NGINX, school
from digitlab.classes import open_class
from digitlab.collection import ClassCollection
from digitlab.database import as_url
from digitlab.pen import canvas_strokes
from support import SLOW, new_database, prediction, skip_or_fail
from test_browser import choose_digit, click_and_wait, draw, first_of_each_digit, open_draw_page

pytestmark = pytest.mark.usefixtures("browser_type_launch_args")


@pytest.fixture(scope="module")
def served(postgres_server):
    """The school on a free port: its URL and its store's URL (a database of the tests' PostgreSQL server)."""
    if not shutil.which(NGINX):
        skip_or_fail("the school's test cannot run: apt-get install nginx", "DIGITLAB_REQUIRE_SERVERS")
    store = new_database(postgres_server)
    with school(replicas=2, database_url=store) as running:
        yield running["url"], store


LOADED = "i => i.complete && i.naturalWidth > 0"  # an <img> that came and could be decoded


def pictures_loaded(page) -> list[bool]:
    """For each <img> of the page: whether it loaded (a picture asked of the wrong process never would). The
    answer's text can show before its picture has come, so this waits for them all first, up to SLOW."""
    try:
        page.wait_for_function(f"() => [...document.images].every({LOADED})", timeout=SLOW)
    except PlaywrightTimeoutError:
        pass  # the list below says which did not load
    return page.evaluate(f"() => [...document.images].map({LOADED})")


def test_two_classes_draw_and_save_through_the_proxy(served, new_context, pen_sample):
    pen = pen_sample
    proxy, store = served
    code = open_class(as_url(store), "Year 9").code
    with urllib.request.urlopen(proxy + "_stcore/health") as answer:
        assert answer.status == 200 and answer.headers["Server"].startswith("nginx")

    pages = {
        "class": open_draw_page(new_context, f"{proxy}?class={code}"),
        "default": open_draw_page(new_context, proxy),
    }
    samples = {"class": first_of_each_digit(pen, 2)[7 * 2 : 7 * 2 + 2], "default": first_of_each_digit(pen, 2)[6:8]}
    for who, page in pages.items():
        routes = {c["value"] for c in page.context.cookies() if c["name"] == "digitlab_route"}
        assert len(routes) == 1  # nginx gave this browser its route
        for i in samples[who]:  # two digits each: each answer's picture comes from the session's own process
            draw(page, canvas_strokes(pen.strokes(i)))
            expect(prediction(page)).to_have_text(re.compile(r"^\d$"))
            assert all(pictures_loaded(page)), pictures_loaded(page)
            click_and_wait(page, page.get_by_role("button", name="Clear the canvas"))
        draw(page, canvas_strokes(pen.strokes(samples[who][0])))
        choose_digit(page, pen.labels[samples[who][0]])
        click_and_wait(page, page.get_by_role("button", name="Save to our class"))
        expect(page.get_by_text(f"Saved as a {pen.labels[samples[who][0]]}")).to_be_visible(timeout=SLOW)
        expect(page.get_by_test_id("stException")).to_have_count(0)

    assert [d.label for d in ClassCollection(store, code).drawings()] == [7]
    assert [d.label for d in ClassCollection(store).drawings()] == [3]
