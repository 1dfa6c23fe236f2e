"""A lesson with a class code, in Chromium, as a teacher and a student live it: the teacher opens a class and
shows it to the room, a student joins by the link and keeps the class through reloads and page changes, the
teacher's page follows the drawings live, each class's export holds its own drawings only, and no key is ever
on a page that did not ask for it, in an address or in the server's log.

Needs Chromium (and PostgreSQL for the exports on it): skipped without them, unless CI's
DIGITLAB_REQUIRE_BROWSER=1 and DIGITLAB_REQUIRE_SERVERS=1 make that a failure.
"""

import io
import re
import time

import cv2
import numpy as np
import pytest
from playwright.sync_api import expect

from digitlab.classes import open_class
from digitlab.collection import ClassCollection
from digitlab.database import as_url
from digitlab.pen import canvas_strokes
from support import ROOT, SLOW, prediction
from test_browser import choose_digit, click_and_wait, draw, first_of_each_digit, open_draw_page
from tools.browser import StreamlitServer, wait_until_idle

pytestmark = pytest.mark.usefixtures("browser_type_launch_args")

SERVER_KEY = "four random words here"
PUBLIC = "http://digitlab.school.test/"
NAME = "Year 9, Tuesday"
LIVE_MS = 5_000  # the teacher's page shows a new drawing within this, untouched


@pytest.fixture(scope="module")
def lesson_server(tmp_path_factory):
    store = tmp_path_factory.mktemp("lesson") / "class.sqlite"
    env = {"DIGITLAB_CLASS_DB": str(store), "DIGITLAB_TEACHER_KEY": SERVER_KEY, "DIGITLAB_PUBLIC_URL": PUBLIC}
    with StreamlitServer(ROOT / "app.py", env=env) as server:
        yield server, store


def go_to(page, name: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=name).click()
    wait_until_idle(page, timeout=SLOW)


def page_words(page) -> str:
    """All the page's text and markup, hidden parts included: what anyone could read out of it."""
    return page.content() + page.locator("body").inner_text()


def open_as_teacher(new_context, url: str):
    teacher = open_draw_page(new_context, url)
    go_to(teacher, "Our class")
    teacher.get_by_text("Open a new class").click()
    teacher.get_by_label("The class's name").fill(NAME)
    teacher.get_by_label("The server's teacher key").fill(SERVER_KEY)
    click_and_wait(teacher, teacher.get_by_role("button", name="Open the class"))
    opened = teacher.get_by_test_id("stAlertContentSuccess")
    expect(opened).to_contain_text("is open", timeout=SLOW)
    code = re.search(r"code ([2-9A-HJ-NP-Z]{6})", opened.inner_text()).group(1)
    return teacher, code


def qr_text(page) -> str:
    """What the room view's QR code says, read back from the picture the browser shows."""
    picture = page.get_by_role("img", name=re.compile("QR code"))
    expect(picture).to_be_visible(timeout=SLOW)
    png = page.request.get(picture.get_attribute("src")).body()
    grey = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    return cv2.QRCodeDetector().detectAndDecode(grey)[0]


def test_a_whole_lesson_keeps_the_class_and_never_shows_its_key(lesson_server, new_context, pen_sample):
    server, store = lesson_server
    teacher, code = open_as_teacher(new_context, server.url)
    link = f"{PUBLIC}?class={code}"
    expect(teacher.get_by_text(link, exact=True)).to_be_visible()  # the address students use, landing on Draw
    assert (
        teacher.get_by_label("The server's teacher key").count() == 0
        or not teacher.get_by_label("The server's teacher key").input_value()
    )
    unasked = page_words(teacher)
    click_and_wait(teacher, teacher.get_by_role("button", name="Show the key"))
    expect(teacher.get_by_text("off the projector")).to_be_visible()
    key = teacher.get_by_test_id("stCode").last.inner_text().strip()
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{4}(-[2-9A-HJ-NP-Z]{4}){3}", key) and key not in unasked
    click_and_wait(teacher, teacher.get_by_role("button", name="I have kept the key"))
    assert key not in page_words(teacher) and SERVER_KEY not in page_words(teacher)

    teacher.get_by_text("Show the class to the room").click()
    wait_until_idle(teacher, timeout=SLOW)
    assert qr_text(teacher) == link
    code_on_screen = teacher.get_by_label(re.compile("^Class code"))
    assert float(code_on_screen.evaluate("e => getComputedStyle(e).fontSize").removesuffix("px")) >= 96
    expect(teacher.get_by_text(re.compile(r"0 students joined"))).to_be_visible()
    teacher.get_by_text("Show the class to the room").click()  # back to the drawings, left open and untouched
    wait_until_idle(teacher, timeout=SLOW)

    student = open_draw_page(new_context, f"{server.url}?class={code}")
    expect(student.get_by_test_id("stSidebar")).to_contain_text(NAME)
    pen = pen_sample
    seven = first_of_each_digit(pen, 1)[7]
    draw(student, canvas_strokes(pen.strokes(seven)))
    student.reload()
    wait_until_idle(student, timeout=SLOW)
    for name in ("Overfitting", "Our class", "Data", "Draw"):
        go_to(student, name)
        assert f"class={code}" in student.url, (name, student.url)
        expect(student.get_by_test_id("stSidebar")).to_contain_text(NAME)
    student.reload()
    wait_until_idle(student, timeout=SLOW)
    expect(student.get_by_test_id("stSidebar")).to_contain_text(NAME, timeout=SLOW)
    draw(student, canvas_strokes(pen.strokes(seven)))
    expect(prediction(student)).to_have_text(re.compile(r"^\d$"), timeout=SLOW)
    choose_digit(student, 7)
    click_and_wait(student, student.get_by_role("button", name="Save to our class"))
    expect(student.get_by_text(f"Saved as a 7 in {NAME}")).to_be_visible(timeout=SLOW)
    saved_at = time.monotonic()

    expect(teacher.get_by_text("1 drawing, newest first")).to_be_visible(timeout=LIVE_MS)
    assert time.monotonic() - saved_at < LIVE_MS / 1000
    assert len(ClassCollection(store, code)) == 1 and len(ClassCollection(store)) == 0

    teacher.get_by_text("Show the class to the room").click()
    expect(teacher.get_by_text(re.compile(r"1 student joined · 1 drawing saved"))).to_be_visible(timeout=SLOW)
    for page in (teacher, student):
        assert key not in page_words(page) and SERVER_KEY not in page_words(page) and key not in page.url
    log = server.log()
    assert key not in log and key.replace("-", "") not in log and SERVER_KEY not in log


def export_from_page(new_context, url: str, code: str | None, key: str) -> dict:
    """The class's drawings, downloaded from its own Our class page after unlocking it with `key`."""
    page = open_draw_page(new_context, url + (f"?class={code}" if code else ""))
    go_to(page, "Our class")
    page.get_by_role("textbox", name="Teacher key", exact=True).fill(key)
    click_and_wait(page, page.get_by_role("button", name="Unlock"))
    with page.expect_download(timeout=SLOW) as download:
        page.get_by_role("button", name=re.compile("Download as .npz")).click()
    assert key not in page_words(page) and key not in page.url
    with np.load(io.BytesIO(download.value.path().read_bytes()), allow_pickle=False) as exported:
        return {name: exported[name] for name in exported.files}


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_each_class_exports_its_own_drawings_and_nothing_else(kind, tmp_path, new_context, request):
    store = str(tmp_path / "class.sqlite") if kind == "sqlite" else request.getfixturevalue("store_url_postgresql")
    url = as_url(store)
    first, second = open_class(url, "Year 9"), open_class(url, "Year 10")
    rng = np.random.default_rng(0)
    expected = {}
    for code, many in ((first.code, 3), (second.code, 5), (None, 2)):
        collection = ClassCollection(store, code) if code else ClassCollection(store)
        for label in range(many):
            collection.save(rng.random((28, 28)), label=label)
        expected[code] = collection.arrays()
    env = {"DIGITLAB_CLASS_DB": store, "DIGITLAB_TEACHER_KEY": SERVER_KEY}
    with StreamlitServer(ROOT / "app.py", env=env) as server:
        for code, key in ((first.code, first.key), (second.code, second.key), (None, SERVER_KEY)):
            exported = export_from_page(new_context, server.url, code, key)
            images, labels = expected[code]
            assert np.array_equal(exported["x_test"], images) and np.array_equal(exported["y_test"], labels), code
        log = server.log()
    assert not any(secret in log for secret in (first.key, second.key, SERVER_KEY))
