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
from support import DATA, ROOT, STORE_FAILURES, broken_store, run_apart
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
    app_pages.shared.digit_judge.cache_clear()
    try:
        at = draw_page(a_seven)
        assert not at.exception and not at.error
        assert [m.value for m in at.metric if m.label == "Prediction"] == ["7"]
    finally:
        app_pages.shared.digit_judge.cache_clear()  # the real detector again, for the tests after this one


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


# The canvas's value as a script speaking Streamlit's protocol can send it (tools.streamlit_protocol), each
# answered with the Draw page's own message: the picture is checked from its header before it is decoded.
CANVAS_URL = "data:image/png;base64,"
LOOPING_EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\n{ } loop\n"  # Ghostscript would run it


def enormous_png(side: int) -> bytes:
    """A side x side RGBA PNG of one colour, compressed row by row (never held whole): about 350 KB that
    decode to side² x 4 bytes."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    deflate, row = zlib.compressobj(9), bytes(1 + 4 * side)
    pixels = b"".join(deflate.compress(row) for _ in range(side)) + deflate.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def drawing_value(url) -> str:
    return json.dumps({"drawing": {"raw": {"objects": [{"type": "Path"}]}, "data": url}})


def data_url(data: bytes) -> str:
    import base64

    return CANVAS_URL + base64.b64encode(data).decode()


HOSTILE_CANVAS_VALUES = {
    "a 9,400 x 9,400 PNG": lambda: drawing_value(data_url(enormous_png(9_400))),
    "PostScript named a PNG": lambda: drawing_value(data_url(LOOPING_EPS)),
    "malformed base64": lambda: drawing_value(CANVAS_URL + "!!!not base64!!!"),
    "JSON of the wrong shape": lambda: '{"drawing": "x"}',
    "a picture that is a number": lambda: '{"drawing": {"raw": {"objects": []}, "data": 5}}',
    "a background fit without its fields": lambda: (
        '{"drawing": {"raw": {"objects": []}, "data": null}, "backgroundFit": {}}'
    ),
}
MAX_GROWTH_MB = 50


def alert_keeping_session(url: str, alerts: list[str]):
    """A tools.streamlit_protocol session that also keeps the alerts (st.error and the like) the runs show."""
    from tools.streamlit_protocol import ProtocolSession

    class AlertKeeping(ProtocolSession):
        async def _take_all(self):
            socket = self.ws
            self.ws = AlertTee(socket, alerts)
            try:
                await super()._take_all()
            finally:
                self.ws = socket

    return AlertKeeping("hostile", url)


class AlertTee:
    """The websocket, passing every message on, and keeping the bodies of the alerts among them."""

    def __init__(self, socket, alerts: list[str]):
        self.socket, self.alerts = socket, alerts

    def __getattr__(self, name):
        return getattr(self.socket, name)

    async def __aiter__(self):
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        async for data in self.socket:
            if not isinstance(data, str):
                message = ForwardMsg()
                message.ParseFromString(data)
                if message.WhichOneof("type") == "delta" and message.delta.WhichOneof("type") == "new_element":
                    element = message.delta.new_element
                    if element.WhichOneof("type") == "alert":
                        self.alerts.append(element.alert.body)
            yield data


def test_hostile_canvas_values_over_the_protocol_get_the_page_s_message(tmp_path, a_seven):
    """Each refused within 1 s with the page's message (never the generic error box), no Ghostscript started,
    and the server's peak memory grows by at most MAX_GROWTH_MB; the next real stroke is read as before."""

    from digitlab.images import CANVAS_UNREADABLE
    from tools.browser import StreamlitServer
    from tools.outside_programs import ProgramWatch, end_ghostscripts
    from tools.processes import Monitor

    values = {name: make() for name, make in HOSTILE_CANVAS_VALUES.items()}
    assert len(values["a 9,400 x 9,400 PNG"]) < 500_000  # a small message: the picture is what is large
    seven = json.dumps(as_canvas_state(a_seven))
    outcomes = {}

    async def visit(url: str, monitor: Monitor) -> None:
        alerts = []
        session = alert_keeping_session(url, alerts)
        await session.connect(120_000)
        try:
            await session.rerun(seven, 120_000)  # the page's imports and networks, before measuring
            assert session.metric == "7"
            monitor.enter("hostile")
            for name, value in values.items():
                alerts.clear()
                started = time.perf_counter()
                await session.rerun(value, 30_000)  # raises on an exception element: the generic box
                outcomes[name] = (time.perf_counter() - started, list(alerts))
            monitor.enter("after")
            await session.rerun(seven, 30_000)
            assert session.metric == "7"
        finally:
            await session.close()

    env = {"DIGITLAB_CLASS_DB": str(tmp_path / "class.sqlite")}
    with StreamlitServer(APP, env=env) as server:
        monitor = Monitor(server.process.pid, period=0.005)
        monitor.start()
        try:
            with ProgramWatch(server.process.pid) as programs:
                run_apart(visit(server.url, monitor))
        finally:
            monitor.stop_event.set()
            monitor.join()
            end_ghostscripts(server.process.pid)
    assert not programs.ghostscript(), sorted(programs.seen)
    for name, (seconds, alerts) in outcomes.items():
        assert CANVAS_UNREADABLE in alerts and seconds < 1, (name, seconds, alerts)
    growth = (monitor.peaks["hostile"]["server_rss"] - monitor.marks["hostile"]["server_rss"]) / 2**20
    print(f"server peak memory growth {growth:.1f} MB;", {name: round(o[0], 3) for name, o in outcomes.items()})
    assert growth <= MAX_GROWTH_MB, f"{growth:.0f} MB"


@pytest.mark.parametrize("make", HOSTILE_CANVAS_VALUES.values(), ids=HOSTILE_CANVAS_VALUES.keys())
def test_hostile_canvas_values_in_session_state_get_the_page_s_message(make, a_seven):
    """The same values as the Draw page gets them in AppTest (as the component's value in session state)."""
    from digitlab.images import CANVAS_UNREADABLE

    at = draw_page(a_seven)
    at.session_state[canvas_key(at.session_state)] = json.loads(make())
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error] == [CANVAS_UNREADABLE]
    assert [m.value for m in at.metric if m.label == "Prediction"] == ["—"]


UNPARSABLE_CANVAS_JSON = '{"drawing": {"raw": {"objects": ['


def send_unparsable_canvas_json(tmp_path, a_seven) -> tuple[list[str], list[str], float]:
    """Unparsable JSON as the canvas's value from one session, while another draws: the alerts and exception
    elements of that run, and how much the server's peak memory grew (MB). The other session's next drawing,
    and the sender's after a reload (a new session), must be read."""

    from tools.browser import StreamlitServer
    from tools.processes import Monitor
    from tools.streamlit_protocol import ProtocolSession

    seven = json.dumps(as_canvas_state(a_seven))
    alerts, exceptions = [], []

    async def visit(url: str, monitor: Monitor) -> None:
        student, sender = ProtocolSession("student", url), alert_keeping_session(url, alerts)
        for session in (student, sender):
            await session.connect(120_000)
            await session.rerun(seven, 120_000)
        monitor.enter("hostile")
        alerts.clear()
        try:
            await sender.rerun(UNPARSABLE_CANVAS_JSON, 30_000)
        except RuntimeError:  # an exception element
            exceptions.extend(sender.exceptions)
        await sender.close()
        await student.rerun(seven, 30_000)
        assert student.metric == "7"
        await student.close()
        reloaded = ProtocolSession("reloaded", url)
        await reloaded.connect(30_000)
        await reloaded.rerun(seven, 30_000)
        assert reloaded.metric == "7"
        await reloaded.close()

    with StreamlitServer(APP, env={"DIGITLAB_CLASS_DB": str(tmp_path / "class.sqlite")}) as server:
        monitor = Monitor(server.process.pid, period=0.005)
        monitor.start()
        try:
            run_apart(visit(server.url, monitor))
        finally:
            monitor.stop_event.set()
            monitor.join()
    growth = (monitor.peaks["hostile"]["server_rss"] - monitor.marks["hostile"]["server_rss"]) / 2**20
    return alerts, exceptions, growth


def test_unparsable_canvas_json_costs_the_server_nothing_and_others_draw_on(tmp_path, a_seven):
    _, _, growth = send_unparsable_canvas_json(tmp_path, a_seven)
    assert growth <= MAX_GROWTH_MB, f"{growth:.0f} MB"


@pytest.mark.xfail(
    strict=True,
    reason="Streamlit parses a widget's JSON before any page code runs (SessionState.on_script_will_rerun and "
    "_compact_state, through unpack_widget_state_value) and shows its generic box when that fails, in every "
    "later run of that session too: no page can catch it",
)
def test_unparsable_canvas_json_gets_the_page_s_message(tmp_path, a_seven):
    from digitlab.images import CANVAS_UNREADABLE

    alerts, exceptions, _ = send_unparsable_canvas_json(tmp_path, a_seven)
    assert not exceptions and CANVAS_UNREADABLE in alerts
