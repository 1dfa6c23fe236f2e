"""Nothing one visitor does hurts the class: broken model files and stores give one clear message on every page
(never a traceback or a server path), saves are limited, and only the teacher exports or deletes others' drawings."""

import json
import shutil
import time
import tomllib
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app_pages.shared import CANVAS_KEY, SAVES_PER_MINUTE, canvas_key
from digitlab.collection import ClassCollection
from digitlab.config import PEN_SAMPLE
from digitlab.pen import render_strokes
from digitlab.tries import PER_VISITOR
from support import DATA, ROOT, STORE_FAILURES, broken_store
from tools.canvas_state import as_canvas_state

APP = str(ROOT / "app.py")
BAD_MODELS = sorted((DATA / "bad_models").glob("*.keras"))  # for Keras: the Inside page
BAD_GRAPHS = sorted((DATA / "bad_models" / "onnx").glob("*.onnx"))  # for ONNX Runtime: every page that reads
UNFIT_FILES = ["folder", "unreadable"]  # made in place of the .onnx by put_bad_graph
PAGES = ["draw", "overfitting", "inside", "our_class", "data", "mistakes", "train"]
MODEL_PAGES = {"draw", "inside", "our_class", "mistakes"}  # the pages that read drawings with a network


@pytest.fixture(scope="module")
def pen(pen_sample):
    return pen_sample


def shown_text(at: AppTest) -> str:
    """Everything the page shows in alerts and captions: what a visitor reads."""
    return "\n".join(e.value for kind in (at.error, at.warning, at.info, at.caption, at.markdown) for e in kind)


def assert_no_leak(at: AppTest, *paths: Path) -> None:
    assert not at.exception, [e.value for e in at.exception]
    text = shown_text(at)
    assert "Traceback" not in text and all(str(path) not in text for path in paths), text


def draw_page(a_seven, **secrets) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for name, value in secrets.items():
        at.secrets[name] = value
    at.run()
    at.session_state[CANVAS_KEY] = as_canvas_state(a_seven)
    return at.run()


def press(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click()
    return at.run()


def save_as(at: AppTest, digit: str) -> AppTest:
    next(s for s in at.selectbox if s.label == "I meant").set_value(digit)
    return press(at, "Save to our class")


def put_bad_graph(bad, target: Path, monkeypatch) -> None:
    """A bad .onnx at `target`: a file of the corpus, a folder, or a file that cannot be read (as root,
    permission bits would not stop a read, so reading it raises what a file of another owner's would)."""
    if bad == "folder":
        target.mkdir()
        return
    if bad == "unreadable":
        target.write_bytes((ROOT / "model" / target.name).read_bytes())
        read_bytes = Path.read_bytes

        def refused(path):
            if path == target:
                raise PermissionError(13, "Permission denied", str(path))
            return read_bytes(path)

        monkeypatch.setattr(Path, "read_bytes", refused)
        return
    shutil.copy(bad, target)


def test_the_bad_model_corpus_is_complete():
    assert {p.stem for p in BAD_GRAPHS} == {"truncated", "not_onnx", "wrong_input_shape", "five_outputs", "two_outputs"}
    assert {p.stem for p in BAD_MODELS} == {
        "truncated",
        "not_a_zip",
        "unknown_layer",
        "missing_keys",
        "list_config",
        "wrong_input_shape",
        "lambda",
    }


def visit_every_page(a_seven, tmp_path, monkeypatch, refused_on: set[str]) -> None:
    """Every page runs with the networks in tmp_path; those in `refused_on` say the network cannot be used and
    how to fix it, and nothing shows a traceback or a server path."""
    monkeypatch.setenv("DIGITLAB_MODEL_DIR", str(tmp_path))
    monkeypatch.setenv("DIGITLAB_CLASS_DB", str(tmp_path / "class.sqlite"))
    ClassCollection(tmp_path / "class.sqlite").save(np.full((28, 28), 0.5), label=7)
    at = draw_page(a_seven)
    for page in PAGES:
        at.switch_page(f"app_pages/{page}.py").run()
        assert_no_leak(at, tmp_path, ROOT)
        refused = any("cannot be used" in e.value and "python train.py" in e.value for e in at.error)
        assert refused == (page in refused_on), page


def real_report_without(name: str, checksum: str, folder: Path) -> None:
    """The network's real report, without the checksum of the file under test: so that the file itself is what
    is refused, not a report of other files."""
    report = json.loads((ROOT / "model" / f"{name}.json").read_text())
    del report[checksum]
    (folder / f"{name}.json").write_text(json.dumps(report))


@pytest.mark.parametrize("bad", BAD_GRAPHS + UNFIT_FILES, ids=lambda p: getattr(p, "stem", p))
def test_a_bad_onnx_file_gives_one_message_on_every_page(bad, tmp_path, monkeypatch, a_seven):
    """Both networks' .onnx replaced by the same bad file (beside their real .keras and reports): the pages that
    read drawings say the network cannot be used."""
    for name in ("dense", "cnn"):
        shutil.copy(ROOT / "model" / f"{name}.keras", tmp_path)
        put_bad_graph(bad, tmp_path / f"{name}.onnx", monkeypatch)
        real_report_without(name, "onnx_sha256", tmp_path)
    visit_every_page(a_seven, tmp_path, monkeypatch, refused_on=MODEL_PAGES)


@pytest.mark.parametrize("bad", BAD_MODELS, ids=lambda p: p.stem)
def test_a_bad_keras_file_gives_one_message_on_the_inside_page(bad, tmp_path, monkeypatch, a_seven):
    """Both networks' .keras replaced by the same bad file (beside their real .onnx and reports): drawings are
    still read (from the .onnx), and the Inside page, which loads the Keras model, says it cannot be used. The
    Lambda file's code never runs."""
    for name in ("dense", "cnn"):
        shutil.copy(bad, tmp_path / f"{name}.keras")
        shutil.copy(ROOT / "model" / f"{name}.onnx", tmp_path)
        real_report_without(name, "weights_sha256", tmp_path)
    marker = tmp_path / "lambda-ran"
    monkeypatch.setenv("DIGITLAB_LAMBDA_MARKER", str(marker))
    visit_every_page(a_seven, tmp_path, monkeypatch, refused_on={"inside"})
    assert not marker.exists()


@pytest.mark.parametrize("bad", BAD_GRAPHS + UNFIT_FILES, ids=lambda p: getattr(p, "stem", p))
def test_a_bad_digit_or_not_detector_is_refused_when_it_is_read(bad, tmp_path, monkeypatch):
    from digitlab.verdict import load_judge

    put_bad_graph(bad, tmp_path / "digit_or_not.onnx", monkeypatch)
    real_report_without("digit_or_not", "onnx_sha256", tmp_path)
    with pytest.raises((ValueError, OSError)):  # what the detector's readers catch
        load_judge(tmp_path)


def test_a_digit_or_not_detector_its_report_does_not_describe_is_refused(tmp_path):
    from digitlab.verdict import load_judge

    shutil.copy(ROOT / "model" / "cnn.onnx", tmp_path / "digit_or_not.onnx")
    shutil.copy(ROOT / "model" / "digit_or_not.json", tmp_path)
    with pytest.raises(ValueError, match="is not the graph its report"):
        load_judge(tmp_path)


def test_without_a_usable_detector_the_draw_page_reads_every_drawing_as_before(monkeypatch, a_seven):
    import app_pages.shared

    def unusable():
        raise ValueError("digit_or_not.keras does not take a 28 x 28 picture")

    monkeypatch.setattr(app_pages.shared, "load_judge", unusable)
    app_pages.shared.digit_judge.clear()
    try:
        at = draw_page(a_seven)
        assert not at.exception and not at.error
        assert [m.value for m in at.metric if m.label == "Prediction"] == ["7"]
    finally:
        app_pages.shared.digit_judge.clear()  # the real detector again, for the tests after this one


@pytest.mark.parametrize("bad", BAD_GRAPHS + ["folder"], ids=lambda p: getattr(p, "stem", p))
def test_a_bad_onnx_file_gives_one_line_in_the_command_line(bad, tmp_path):
    import subprocess
    import sys

    if bad == "folder":
        (tmp_path / "dense.onnx").mkdir()
        bad = tmp_path / "dense.onnx"
    for command in (
        ["predict", "--model", str(bad), str(DATA / "bad_models" / "not_a_zip.keras")],
        ["evaluate-pen", str(PEN_SAMPLE), "--limit", "5", "--model", str(bad)],
    ):
        result = subprocess.run(
            [sys.executable, "-m", "digitlab", *command],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
            env={"PATH": "/usr/bin:/bin"},
        )
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
        assert len(errors) == 1 and "python train.py" in errors[0]


@pytest.mark.parametrize(
    "report",
    [[1, 2], {"recipe": {}, "history": []}, {"history": "none"}],
    ids=["a list", "empty fields", "missing keys"],
)
def test_a_bad_training_report_gives_one_message(report, tmp_path, monkeypatch):
    for name in ("dense", "cnn"):
        shutil.copy(ROOT / "model" / f"{name}.keras", tmp_path / f"{name}.keras")
        shutil.copy(ROOT / "model" / f"{name}.onnx", tmp_path / f"{name}.onnx")
        (tmp_path / f"{name}.json").write_text(json.dumps(report))
    monkeypatch.setenv("DIGITLAB_MODEL_DIR", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=120).run()
    for page in PAGES:
        at.switch_page(f"app_pages/{page}.py").run()
        assert_no_leak(at, tmp_path, ROOT)
    at.switch_page("app_pages/overfitting.py").run()
    assert any("training report cannot be read" in e.value for e in at.error)


def test_a_report_of_other_weights_is_refused(tmp_path):
    """A model file beside a report written for other weights (a copy gone wrong, an old report): refused."""
    from digitlab.inference import load_network
    from digitlab.model_errors import ModelError

    shutil.copy(ROOT / "model" / "dense.keras", tmp_path / "dense.keras")
    shutil.copy(ROOT / "model" / "dense.onnx", tmp_path / "dense.onnx")
    shutil.copy(ROOT / "model" / "cnn.json", tmp_path / "dense.json")
    with pytest.raises(ModelError, match="describes other weights"):
        load_network(tmp_path / "dense.keras")
    shutil.copy(ROOT / "model" / "dense.json", tmp_path / "dense.json")
    assert load_network(tmp_path / "dense.keras").report.onnx_sha256
    shutil.copy(ROOT / "model" / "cnn.onnx", tmp_path / "dense.onnx")  # an .onnx of other weights
    with pytest.raises(ModelError, match="describes another .onnx") as refused:
        load_network(tmp_path / "dense.keras")
    assert str(tmp_path) not in refused.value.visitor and "python train.py --out" in str(refused.value)


@pytest.mark.parametrize("bad", BAD_GRAPHS + UNFIT_FILES, ids=lambda p: getattr(p, "stem", p))
def test_a_bad_onnx_file_is_one_model_error_naming_no_server_path_to_visitors(bad, tmp_path, monkeypatch):
    from digitlab.inference import load_network
    from digitlab.model_errors import ModelError

    shutil.copy(ROOT / "model" / "dense.keras", tmp_path)
    put_bad_graph(bad, tmp_path / "dense.onnx", monkeypatch)
    real_report_without("dense", "onnx_sha256", tmp_path)
    with pytest.raises(ModelError) as refused:
        load_network(tmp_path / "dense.onnx")
    message = str(refused.value)
    assert "\n" not in message and "dense.onnx could not be loaded" in message and "python train.py --out" in message
    assert str(tmp_path) not in refused.value.visitor and "cannot be used" in refused.value.visitor


@pytest.mark.parametrize("kind", STORE_FAILURES)
def test_a_broken_store_says_so_and_keeps_the_drawing(kind, tmp_path, monkeypatch, a_seven):
    """Save and the Our class page answer within 5 s with one message; the drawing and its answer stay on
    the Draw page, so that the student can press Save again."""
    with broken_store(kind, tmp_path) as path:
        monkeypatch.setenv("DIGITLAB_CLASS_DB", str(path))
        at = draw_page(a_seven)
        answer = [m.value for m in at.metric if m.label == "Prediction"]
        started = time.perf_counter()
        save_as(at, "7")
        assert time.perf_counter() - started < 5
        assert_no_leak(at, tmp_path, ROOT)
        assert len(at.error) == 1 and any("Save again" in c.value for c in at.caption)
        assert [m.value for m in at.metric if m.label == "Prediction"] == answer != ["—"]
        started = time.perf_counter()
        at.switch_page("app_pages/our_class.py").run()
        assert time.perf_counter() - started < 5
        assert_no_leak(at, tmp_path, ROOT)
        if kind not in ("read-only", "locked"):  # those can still be read
            assert len(at.error) == 1


def test_a_save_needs_a_chosen_digit_and_happens_once(tmp_path, monkeypatch, a_seven):
    """No label is filled in for the student (the network's guess would be saved as the truth), and a second
    click on the same drawing saves nothing more."""
    monkeypatch.setenv("DIGITLAB_CLASS_DB", str(tmp_path / "class.sqlite"))
    at = draw_page(a_seven)
    assert next(s for s in at.selectbox if s.label == "I meant").value is None
    press(at, "Save to our class")
    assert any("choose the digit" in w.value for w in at.warning)
    assert len(ClassCollection(tmp_path / "class.sqlite")) == 0
    save_as(at, "7")
    assert [m.value for m in at.metric if m.label == "Prediction"] == ["—"]  # a clean canvas for the next digit
    assert canvas_key(at.session_state) != CANVAS_KEY
    at.session_state[canvas_key(at.session_state)] = as_canvas_state(a_seven)  # the very same drawing again
    save_as(at.run(), "7")
    assert any("already saved" in i.value for i in at.info) and not at.exception
    (saved,) = ClassCollection(tmp_path / "class.sqlite").drawings()
    assert saved.label == 7


def test_saves_are_limited_per_visitor_and_a_refused_one_is_not_counted(tmp_path, monkeypatch, a_seven, pen):
    monkeypatch.setenv("DIGITLAB_CLASS_DB", str(tmp_path / "class.sqlite"))
    at = draw_page(a_seven)
    for i in range(SAVES_PER_MINUTE + 3):  # each a drawing of its own: the same one is saved only once
        at.session_state[canvas_key(at.session_state)] = as_canvas_state(render_strokes(pen.strokes(i)))
        save_as(at.run(), str(pen.labels[i]))
    assert not at.exception
    assert len(ClassCollection(tmp_path / "class.sqlite")) == SAVES_PER_MINUTE
    assert any("wait a minute" in e.value for e in at.error)


def our_class(at: AppTest) -> AppTest:
    return at.switch_page("app_pages/our_class.py").run()


def test_without_a_key_nobody_exports_or_deletes_others_drawings(tmp_path, monkeypatch, a_seven):
    monkeypatch.setenv("DIGITLAB_CLASS_DB", str(tmp_path / "class.sqlite"))
    monkeypatch.delenv("DIGITLAB_TEACHER_KEY", raising=False)
    someone_elses = ClassCollection(tmp_path / "class.sqlite").save(np.full((28, 28), 0.5), label=1)
    at = our_class(draw_page(a_seven))
    assert not at.exception and not [b for b in at.get("download_button")]
    assert not at.selectbox and any("teacher key" in i.value for i in at.info)  # nothing of theirs to delete
    at.switch_page("app_pages/draw.py").run()
    at.session_state[CANVAS_KEY] = as_canvas_state(a_seven)  # the canvas is empty again after another page
    our_class(save_as(at.run(), "7"))
    (choice,) = at.selectbox
    assert choice.options == [f"#{someone_elses + 1}: labelled 7"]  # only the drawing this session saved
    press(at, "Delete it")
    assert [d.id for d in ClassCollection(tmp_path / "class.sqlite").drawings()] == [someone_elses]


def test_the_teacher_key_unlocks_export_and_delete_and_resists_guessing(tmp_path, monkeypatch, a_seven):
    monkeypatch.setenv("DIGITLAB_CLASS_DB", str(tmp_path / "class.sqlite"))
    store = ClassCollection(tmp_path / "class.sqlite")
    first, second = (store.save(np.full((28, 28), 0.5), label=digit) for digit in (1, 2))
    at = our_class(draw_page(a_seven, teacher_key="correct horse"))
    at.text_input[0].input("wrong")
    press(at, "Unlock")
    for _ in range(PER_VISITOR - 1):  # 5 wrong guesses, then the right key: guessing is limited
        assert any("not the teacher key" in e.value for e in at.error) and not at.get("download_button")
        at.text_input[0].input("wrong again")
        press(at, "Unlock")
    at.text_input[0].input("correct horse")
    press(at, "Unlock")
    assert any("Too many tries" in e.value for e in at.error) and not at.get("download_button")

    at = our_class(draw_page(a_seven, teacher_key="correct horse"))  # a new session, the right key
    at.text_input[0].input("correct horse")
    press(at, "Unlock")
    assert not at.exception and len(at.get("download_button")) == 1
    assert at.selectbox[0].options == [f"#{second}: labelled 2", f"#{first}: labelled 1"]  # anyone's
    at.selectbox[0].set_value(first)
    press(at, "Delete it")
    assert [d.id for d in store.drawings()] == [second]


def test_visitors_never_see_tracebacks():
    """Whatever slips past the pages' own messages: Streamlit shows a generic notice, the log keeps the rest."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"
