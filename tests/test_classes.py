"""Class codes: several classes on one server, each with its own drawings and teacher key, on SQLite and on
PostgreSQL; and the pages that open, join and leave them."""

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from digitlab import classes
from digitlab.classes import ALPHABET, class_key_matches, class_name, normal_code, open_class
from digitlab.collection import ClassCollection
from digitlab.database import as_url
from digitlab.store_errors import StoreError
from test_hardening import APP, draw_page, our_class, press, save_as
from tools.canvas_state import as_canvas_state


@pytest.mark.parametrize(
    "typed, code",
    [
        ("K7P2QD", "K7P2QD"),
        ("k7p-2qd", "K7P2QD"),  # as read aloud and typed on a phone
        (" K7P 2QD ", "K7P2QD"),
        ("K7P2Q", None),  # too short
        ("K7P2QDX", None),  # too long
        ("K7P2Q0", None),  # 0 and O, 1 and I are never in a code
        ("K7P2QO", None),
        ("K7P2Q;", None),
        ("", None),
        ("ÅÅÅÅÅÅ", None),
    ],
)
def test_a_typed_code_is_read_as_stored_or_refused(typed, code):
    assert normal_code(typed) == code


def test_a_class_has_a_code_a_name_and_a_key_only_it_opens(store_url):
    url = as_url(store_url)
    first, second = open_class(url, "  Year 9,\n Tuesday "), open_class(url, "")
    assert first.code != second.code and all(normal_code(c.code) == c.code for c in (first, second))
    assert class_name(url, first.code) == "Year 9, Tuesday" and class_name(url, second.code) == "Our class"
    assert class_name(url, "ZZZZZZ") is None
    assert class_key_matches(url, first.code, first.key)
    assert class_key_matches(url, first.code, first.key.lower().replace("-", "-"))
    assert not class_key_matches(url, first.code, second.key) and not class_key_matches(url, "ZZZZZZ", first.key)
    assert set(first.key.replace("-", "")) <= set(ALPHABET) and len(first.key.replace("-", "")) == 16


def test_a_server_holds_a_bounded_number_of_classes(store_url, monkeypatch):
    monkeypatch.setattr(classes, "MAX_CLASSES", 2)
    url = as_url(store_url)
    open_class(url, "a"), open_class(url, "b")
    with pytest.raises(StoreError, match="as many as it can"):
        open_class(url, "c")


SERVER_KEY = "correct horse"


def page_text(at) -> str:
    """Everything the page says in words, in the main area and the sidebar."""
    kinds = ("title", "subheader", "markdown", "caption", "success", "info", "warning", "error", "code", "text")
    return "\n".join(str(element.value) for kind in kinds for element in at.get(kind))


def open_on_page(at: AppTest, name: str, key: str = SERVER_KEY) -> AppTest:
    at = our_class(at)
    next(t for t in at.text_input if t.label == "The class's name").input(name)
    next(t for t in at.text_input if t.label == "The server's teacher key").input(key)
    return press(at, "Open the class")


def test_a_class_keeps_its_drawings_and_its_teacher_to_itself(tmp_path, monkeypatch, a_seven):
    monkeypatch.setenv("DIGITLAB_CLASS_DB", str(tmp_path / "class.sqlite"))
    monkeypatch.delenv("DIGITLAB_TEACHER_KEY", raising=False)
    outside = ClassCollection(tmp_path / "class.sqlite").save(np.full((28, 28), 0.5), label=1)

    refused = open_on_page(draw_page(a_seven, teacher_key=SERVER_KEY), "Year 9", key="a guess")
    assert any("not the server's teacher key" in e.value for e in refused.error) and not refused.success

    teacher = open_on_page(draw_page(a_seven, teacher_key=SERVER_KEY), "Year 9")
    (opened,) = teacher.success
    code = opened.value.split("**")[3]
    assert normal_code(code) == code and teacher.code[0].value.endswith(f"?class={code}")
    assert teacher.sidebar.subheader[0].value.endswith("Year 9")  # the whole app is in the class
    assert any(f"code **{code}**" in c.value for c in teacher.sidebar.caption)
    assert not any(t.label == "The server's teacher key" and t.value for t in teacher.text_input)  # emptied
    unasked = page_text(teacher)
    key = press(teacher, "Show the key").code[-1].value  # only when the teacher asks, after a warning
    assert any("off the projector" in w.value for w in teacher.warning)
    assert classes.normal_code(code) and key not in unasked and len(key) == 19
    press(teacher, "I have kept the key")
    assert key not in page_text(teacher) and not teacher.success  # shown once only

    student = AppTest.from_file(APP, default_timeout=120)
    student.query_params["class"] = code.lower()  # the link the teacher shares
    student.run()
    assert any(code in c.value for c in student.sidebar.caption) and not student.exception
    assert student.query_params["class"] == code  # kept in the address: a reload comes back to the class
    student.session_state["canvas"] = as_canvas_state(a_seven)
    saved = save_as(student.run(), "7")
    assert not saved.exception
    (mine,) = ClassCollection(tmp_path / "class.sqlite", code).drawings()
    assert [d.id for d in ClassCollection(tmp_path / "class.sqlite").drawings()] == [outside]

    teacher = our_class(teacher)  # the class's teacher: its drawings only, its export, no one else's
    assert teacher.title[0].value == "Year 9: our digits" and len(teacher.get("download_button")) == 1
    assert [o for o in teacher.selectbox[0].options] == [f"#{mine.id}: labelled 7"]

    other = our_class(draw_page(a_seven, teacher_key=SERVER_KEY))  # the class's key does nothing outside it
    other.text_input[0].input(key)
    press(other, "Unlock")
    assert any("not the teacher key" in e.value for e in other.error) and not other.get("download_button")

    back = AppTest.from_file(APP, default_timeout=120).run()  # a new session of the teacher: code, then key
    back.sidebar.text_input[0].input(code)
    back = our_class(press(back, "Join the class"))
    next(t for t in back.text_input if t.label == "Teacher key").input(key)
    press(back, "Unlock")
    assert len(back.get("download_button")) == 1 and not back.exception
    press(back, "Leave this class")
    assert back.title[0].value == "Our class's digits" and not back.get("download_button")


def test_a_wrong_code_gets_one_message_and_guessing_is_slow(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITLAB_CLASS_DB", str(tmp_path / "class.sqlite"))
    at = AppTest.from_file(APP, default_timeout=120).run()
    messages = []
    for guess in ["ABCDEF", "ABCDEG", "nonsense!", "ABCDEH", "ABCDEJ", "ABCDEK"]:
        at.sidebar.text_input[0].input(guess)
        press(at, "Join the class")
        messages.append(" ".join(e.value for e in at.sidebar.error))
    assert all("no class with the code" in m for m in messages[:5]) and "Too many tries" in messages[5]
    assert not at.exception and len(at.sidebar.error) == 1


def test_a_class_name_is_shown_as_typed_never_as_markdown(tmp_path, monkeypatch, a_seven):
    monkeypatch.setenv("DIGITLAB_CLASS_DB", str(tmp_path / "class.sqlite"))
    hostile = "[Year 9](http://evil.example) **loud** $x$"
    teacher = open_on_page(draw_page(a_seven, teacher_key=SERVER_KEY), hostile)
    shown = teacher.sidebar.subheader[0].value
    assert r"\[Year 9\]\(http\://evil\.example\) \*\*loud\*\* \$x\$" in shown
    assert teacher.title[0].value.startswith(r"\[Year 9\]") and not teacher.exception


def test_classes_opened_at_once_never_pass_the_limit(store_url, monkeypatch):
    import threading

    monkeypatch.setattr(classes, "MAX_CLASSES", 5)
    url, opened, refused = as_url(store_url), [], []
    open_class(url, "first")  # the store made before the race

    def open_two():
        for _ in range(2):
            try:
                opened.append(open_class(url, "x"))
            except StoreError as error:
                refused.append(str(error))

    workers = [threading.Thread(target=open_two) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(opened) == 4 and len(refused) == 12 and all("as many as it can" in r for r in refused)


def test_the_room_counts_each_browser_that_joined_once(store_url):
    url = as_url(store_url)
    first, second = open_class(url, "Year 9"), open_class(url, "Year 10")
    for browser in ("a" * 32, "b" * 32, "a" * 32):  # the same browser again: a reload, another tab
        classes.add_member(url, first.code, browser)
    classes.add_member(url, second.code, "a" * 32)
    assert classes.member_count(url, first.code) == 2 and classes.member_count(url, second.code) == 1


@pytest.mark.parametrize("given", ["![](//a.bc)", "[x](http://evil.example)", "**loud**"])
def test_a_code_from_the_address_is_shown_as_plain_text(tmp_path, monkeypatch, given):
    monkeypatch.setenv("DIGITLAB_CLASS_DB", str(tmp_path / "class.sqlite"))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["class"] = given
    at.run()
    (error,) = at.sidebar.error
    assert "no class with the code" in error.value and given not in error.value and not at.exception
    assert "](" not in error.value.replace("\\]\\(", "")  # every bracket escaped: no image, no link


def test_leaving_takes_the_class_out_of_the_address(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITLAB_CLASS_DB", str(tmp_path / "class.sqlite"))
    code = open_class(as_url(str(tmp_path / "class.sqlite")), "Year 9").code
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["class"] = code
    at.run()
    assert at.query_params["class"] == code and at.sidebar.subheader[0].value.endswith("Year 9")
    press(at, "Leave this class")
    assert "class" not in at.query_params and not at.sidebar.subheader and not at.exception
    assert any("in no class" in c.value for c in at.sidebar.caption)
