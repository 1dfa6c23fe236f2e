"""The school without Docker (deploy/school.py): two Streamlit processes behind nginx, on a PostgreSQL store.
Browsers draw, are answered and save through the proxy, each kept on one process, each class on its own; a
class's training is watched live from either process, and two classes train at once while a third waits. When
the process behind a page is killed, the page answers from the other by itself, in its class, and the school
starts the dead process again.

Needs Chromium, PostgreSQL and nginx from Debian's packages: skipped without them, unless CI's
DIGITLAB_REQUIRE_BROWSER=1 and DIGITLAB_REQUIRE_SERVERS=1 make that a failure.
"""

import contextlib
import os
import re
import shutil
import signal
import time
import urllib.request
from urllib.parse import parse_qs, urlsplit

import psutil
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from deploy.school import NGINX, school
from digitlab.classes import open_class
from digitlab.collection import ClassCollection
from digitlab.database import as_url
from digitlab.pen import canvas_strokes
from support import SLOW, new_database, prediction, skip_or_fail
from test_browser import (
    choose_digit,
    click_and_wait,
    draw,
    first_of_each_digit,
    first_single_stroke,
    open_draw_page,
    progress_bar,
)
from tools.browser import ink_pixels, mouse_stroke, open_instrumented_page, runs_started, wait_for_run_after

pytestmark = pytest.mark.usefixtures("browser_type_launch_args")


MAX_TRAININGS = 2  # the school's cap: two classes train at once


@pytest.fixture(scope="module")
def served(postgres_server):
    """The school on a free port: its URL, its store's URL (a database of the tests' PostgreSQL server), and its
    two processes' own URLs. Its processes take their environment from this one's."""
    if not shutil.which(NGINX):
        skip_or_fail("the school's test cannot run: apt-get install nginx", "DIGITLAB_REQUIRE_SERVERS")
    store = new_database(postgres_server)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DIGITLAB_MAX_TRAININGS", str(MAX_TRAININGS))
        with school(replicas=2, database_url=store) as running:
            yield running["url"], store, running["replicas"]


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
    proxy, store, _ = served
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


def train_page(new_context, url: str):
    return open_instrumented_page(new_context, url, SLOW, wait_for="Train")


def main_button(page, name: str):
    return page.get_by_test_id("stMain").get_by_role("button", name=name, exact=True)


AT_EPOCH_2 = re.compile(r"Epoch ([2-9]|\d\d) of 35")  # the overfit preset's (the page's first settings)


def test_a_training_started_on_one_process_is_watched_live_from_the_other(served, new_context):
    """Each page opened at its own process's address: the starter on one, the student on the other."""
    _, store, replicas = served
    code = open_class(as_url(store), "Year 10").code
    starter, student = (train_page(new_context, f"{replica}train?class={code}") for replica in replicas)
    try:
        click_and_wait(starter, main_button(starter, "Start training"))
        expect(progress_bar(starter, AT_EPOCH_2)).to_be_visible(timeout=SLOW)  # a first epoch's point, there
        seen = time.monotonic()
        expect(progress_bar(student, AT_EPOCH_2)).to_be_visible(timeout=5_000)
        chart = student.get_by_test_id("stVegaLiteChart").filter(visible=True).first
        expect(chart).to_be_visible(timeout=max(1, 5_000 - 1_000 * (time.monotonic() - seen)))
        assert time.monotonic() - seen < 5
        expect(student.get_by_text("started by a student of the class")).to_be_visible()
        expect(main_button(student, "Stop")).to_be_disabled()
        expect(main_button(student, "Start training")).to_be_disabled()
    finally:
        main_button(starter, "Stop").click()
    for page in (starter, student):
        expect(progress_bar(page, "Stopped after")).to_be_visible(timeout=SLOW)
        expect(page.get_by_test_id("stException")).to_have_count(0)


def test_two_classes_train_at_once_and_a_third_waits_its_turn(served, new_context):
    proxy, store, _ = served
    codes = [open_class(as_url(store), f"Lab {name}").code for name in "ABC"]
    pages = [train_page(new_context, f"{proxy}train?class={code}") for code in codes]
    try:
        for page in pages[:MAX_TRAININGS]:
            click_and_wait(page, main_button(page, "Start training"))
        for page in pages[:MAX_TRAININGS]:
            expect(progress_bar(page, re.compile(r"Epoch \d+ of 35"))).to_be_visible(timeout=SLOW)
        third = pages[MAX_TRAININGS]
        click_and_wait(third, main_button(third, "Start training"))
        expect(third.get_by_text("Waiting for the server: 1st in line")).to_be_visible(timeout=SLOW)
        expect(third.get_by_test_id("stProgress")).to_have_count(0)
        expect(main_button(third, "Stop")).to_be_enabled()  # its starter may leave the line
        main_button(pages[0], "Stop").click()
        expect(progress_bar(third, re.compile(r"Epoch \d+ of 35"))).to_be_visible(timeout=SLOW)  # by itself
    finally:
        for page in pages:
            if main_button(page, "Stop").is_enabled():
                main_button(page, "Stop").click()
    for page in pages:
        expect(progress_bar(page, "Stopped after")).to_be_visible(timeout=SLOW)
        expect(page.get_by_test_id("stException")).to_have_count(0)


@pytest.fixture(scope="module")
def crashing(postgres_server):
    """A school of its own for the tests that kill its processes, so that the school above stays whole: what
    school() yields, and its store's URL."""
    if not shutil.which(NGINX):
        skip_or_fail("the school's test cannot run: apt-get install nginx", "DIGITLAB_REQUIRE_SERVERS")
    store = new_database(postgres_server)
    with school(replicas=2, database_url=store) as running:
        yield running, store


def serving_replica(running) -> int:
    """Which of the school's Streamlit processes holds the test's one open page: the only one with an open
    connection (its websocket, through nginx) on its port. Waits for the other tests' pages to have gone."""
    deadline = time.monotonic() + 10
    while True:
        holding = [
            index
            for index, url in enumerate(running["replicas"])
            if any(
                c.status == psutil.CONN_ESTABLISHED and c.laddr.port == urlsplit(url).port
                for c in psutil.Process(running["pids"][index]).net_connections(kind="tcp")
            )
        ]
        if len(holding) == 1 or time.monotonic() > deadline:
            assert len(holding) == 1, f"processes with a page: {holding}"
            return holding[0]
        time.sleep(0.2)


def kill_serving_replica(page, running) -> tuple[int, float]:
    """kill -9 of the process behind `page`, as a crash; returns its index and when it died, once the page has
    opened its websocket again (nginx sends it to the other process)."""
    index = serving_replica(running)
    with page.expect_websocket(timeout=10_000):
        os.kill(running["pids"][index], signal.SIGKILL)
        died = time.monotonic()
    return index, died


def back_within(url: str, since: float, seconds: float) -> float:
    """Seconds from `since` until `url` + _stcore/health answers; fails past `seconds`."""
    while time.monotonic() - since < seconds:
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url + "_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return time.monotonic() - since
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds:.0f} s of its death")


def in_class(page, name: str, code: str) -> None:
    expect(page.get_by_test_id("stSidebar").get_by_role("heading", name=name)).to_be_visible(timeout=10_000)
    assert parse_qs(urlsplit(page.url).query).get("class") == [code]


def test_a_page_whose_process_dies_answers_its_next_stroke_from_the_other_and_the_process_comes_back(
    crashing, new_context, pen_sample
):
    """The page was just opened: its last run was a whole one, after which Streamlit's reconnection alone asked
    for no run, and every stroke went unanswered until a reload."""
    running, store = crashing
    code = open_class(as_url(store), "Year 11").code
    page = open_draw_page(new_context, f"{running['url']}?class={code}")
    in_class(page, "Year 11", code)
    page.evaluate("window.__notReloaded = true")
    before = runs_started(page)
    dead, died = kill_serving_replica(page, running)

    wait_for_run_after(page, before, timeout=10_000)  # the page reran whole by itself, on the other process
    reran = time.monotonic() - died
    stroke = canvas_strokes(pen_sample.strokes(first_single_stroke(pen_sample, 0)))[0]
    mouse_stroke(page, stroke)
    drawn = time.monotonic()
    expect(prediction(page)).to_have_text(re.compile(r"^\d$"), timeout=10_000)
    answered = time.monotonic() - drawn
    assert page.evaluate("window.__notReloaded") is True  # the same page: the test reloaded nothing
    in_class(page, "Year 11", code)
    expect(page.get_by_test_id("stException")).to_have_count(0)

    back = back_within(running["replicas"][dead], died, 15)
    print(f"reran {reran:.1f} s after the kill, answered {answered:.1f} s after the stroke, back after {back:.1f} s")


def test_a_drawing_made_before_its_process_died_is_still_there_and_read_after(crashing, new_context, pen_sample):
    running, store = crashing
    code = open_class(as_url(store), "Year 12").code
    page = open_draw_page(new_context, f"{running['url']}?class={code}")
    sample = first_of_each_digit(pen_sample, 1)[7]
    draw(page, canvas_strokes(pen_sample.strokes(sample)))
    expect(prediction(page)).to_have_text("7")
    ink = ink_pixels(page)
    before = runs_started(page)
    dead, died = kill_serving_replica(page, running)

    wait_for_run_after(page, before, timeout=10_000)
    expect(prediction(page)).to_have_text("7")  # read again, by the other process, from the canvas as it is
    assert ink_pixels(page) == ink
    in_class(page, "Year 12", code)
    back_within(running["replicas"][dead], died, 15)
