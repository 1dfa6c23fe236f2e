"""The app's pages under streamlit.testing.v1.AppTest, with drawings injected into the canvas's state."""

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app_pages.shared import CANVAS_KEY, NO_ANSWER
from digitlab.config import CANVAS_SIZE
from digitlab.pen import render_strokes
from digitlab.preprocess import to_mnist
from support import ROOT
from tools.canvas_state import as_canvas_state

APP = str(ROOT / "app.py")


def draw_page_with(rgba) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.session_state[CANVAS_KEY] = as_canvas_state(rgba)
    at.run()
    assert not at.exception, at.exception
    return at


def prediction(at: AppTest) -> str:
    (metric,) = [m for m in at.metric if m.label == "Prediction"]
    return metric.value


def solid(*boxes, size=CANVAS_SIZE):
    gray = np.zeros((size, size), np.uint8)
    for top, left, bottom, right in boxes:
        gray[top:bottom, left:right] = 255
    return np.dstack([gray] * 3 + [np.full_like(gray, 255)])


# not "page": that is pytest-playwright's fixture, and a test naming it is run once per browser
@pytest.mark.parametrize("script", ["app_pages/draw.py", "app_pages/overfitting.py"])
def test_every_page_runs_without_exception(script):
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page(script).run()
    assert not at.exception and not at.error


def test_overfitting_page_compares_both_networks_and_says_the_convnet_is_averaged():
    from digitlab.config import report_path
    from digitlab.report import Report

    report = Report.load(report_path("cnn"))
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("app_pages/overfitting.py").run()
    assert not at.exception and any(s.value == "Both networks compared" for s in at.subheader)
    unaveraged = report.history[-1]["unaveraged_test_accuracy"]
    assert any(
        "average of its last training steps" in c.value
        and f"{unaveraged:.2%}" in c.value
        and f"{report.test_accuracy:.2%}" in c.value
        for c in at.caption
    )


def test_the_recorded_overfit_run_overfits_and_the_page_shows_it_beside_the_seed_network():
    """Issue #14: training accuracy at least 99 %, a test accuracy that stops rising, a gap of 5 points or more."""
    from digitlab.config import OVERFIT_RUN
    from digitlab.report import Report

    run = Report.load(OVERFIT_RUN)
    tests = [epoch["test_accuracy"] for epoch in run.history]
    assert run.train_accuracy >= 0.99 and run.train_accuracy - run.test_accuracy >= 0.05
    assert max(tests[len(tests) // 2 :]) - tests[len(tests) // 2] < 0.01  # its second half gains under a point
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("app_pages/overfitting.py").run()
    assert not at.exception and len(at.get("vega_lite_chart")) == 4  # accuracy and loss, for each run
    gaps = [metric.value for metric in at.metric if metric.label == "Gap"]
    assert gaps[0] == f"{100 * (run.train_accuracy - run.test_accuracy):.1f}" and len(gaps) == 2
    assert any("stopped rising" in markdown.value for markdown in at.markdown)


@pytest.mark.parametrize(
    "drawing",
    [
        pytest.param(solid((130, 40, 148, 240)), id="a line lying down"),
        pytest.param(
            solid((40, 40, 240, 58), (40, 222, 240, 240), (40, 40, 58, 240), (222, 40, 240, 240)), id="a square"
        ),
    ],
)
def test_a_drawing_that_is_no_digit_is_said_to_be_none_and_the_ten_bars_are_explained(drawing):
    at = draw_page_with(drawing)
    assert prediction(at) == "Not a digit" and not at.error
    assert any("softmax" in caption.value for caption in at.caption)
    assert len(at.get("vega_lite_chart")) == 1  # the ten probabilities are still shown


def test_empty_canvas_reads_dash():
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert prediction(at) == NO_ANSWER
    assert prediction(draw_page_with(None)) == NO_ANSWER
    assert prediction(draw_page_with(solid())) == NO_ANSWER  # a cleared canvas: black, no ink


def test_drawn_pen_digits_are_read_in_the_prediction_metric(pen_sample, dense_network):
    """One real pen-drawn digit of each class, drawn on the canvas: the metric shows the pipeline's answer."""
    firsts = [int(np.flatnonzero(pen_sample.labels == digit)[0]) for digit in range(10)]
    shown, expected = [], []
    at = AppTest.from_file(APP, default_timeout=120).run()
    for i in firsts:
        canvas = render_strokes(pen_sample.strokes(i))
        at.session_state[CANVAS_KEY] = as_canvas_state(canvas)
        at.run()
        assert not at.exception
        shown.append(prediction(at))
        expected.append(str(int(dense_network.probabilities(to_mnist(canvas)[None]).argmax())))
    assert shown == expected
    assert sum(s == str(pen_sample.labels[i]) for s, i in zip(shown, firsts)) >= 9


@pytest.mark.parametrize(
    "rgba, shown",
    [
        pytest.param(solid((130, 130, 148, 148)), {"Not a digit"}, id="a dot"),
        pytest.param(solid((0, 0, 280, 280)), {NO_ANSWER}, id="ink over the whole canvas"),
        pytest.param(solid((0, 0, 280, 8)), {"1"}, id="an upright stroke at the very edge, a 1"),
        pytest.param(
            np.random.default_rng(0).integers(0, 256, (280, 280, 4), dtype=np.uint8),
            {"Not a digit"},
            id="a scribble everywhere",
        ),
    ],
)
def test_odd_drawings_are_said_to_be_no_digit_or_nothing(rgba, shown):
    at = draw_page_with(rgba)
    assert prediction(at) in shown and not at.error


def test_missing_model_gives_a_clear_message_not_a_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITLAB_MODEL_DIR", str(tmp_path))
    for page in ("app_pages/draw.py", "app_pages/overfitting.py"):
        at = AppTest.from_file(APP, default_timeout=120).run()
        at.switch_page(page).run()
        assert not at.exception
        assert any("python train.py" in e.value for e in at.error)


def test_corrupt_model_gives_a_clear_message(tmp_path, monkeypatch):
    (tmp_path / "dense.keras").write_bytes(b"PK\x03\x04 not really a model")
    monkeypatch.setenv("DIGITLAB_MODEL_DIR", str(tmp_path))
    at = draw_page_with(solid((40, 120, 240, 150)))  # the network is loaded when there is ink to read
    assert not at.exception
    assert any("cannot be used" in e.value and "python train.py" in e.value for e in at.error)


def test_save_to_our_class_then_see_and_delete_it(tmp_path, monkeypatch, pen_sample):
    monkeypatch.setenv("DIGITLAB_CLASS_DB", str(tmp_path / "class.sqlite"))
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("app_pages/our_class.py").run()
    assert not at.exception and any("No drawings yet" in i.value for i in at.info)

    at.switch_page("app_pages/draw.py").run()
    seven = int(np.flatnonzero(pen_sample.labels == 7)[0])
    at.session_state[CANVAS_KEY] = as_canvas_state(render_strokes(pen_sample.strokes(seven)))
    at.run()
    next(s for s in at.selectbox if s.label == "I meant").set_value("7")
    next(b for b in at.button if b.label == "Save to our class").click()
    at.run()
    assert not at.exception

    from digitlab.collection import ClassCollection

    store = ClassCollection(tmp_path / "class.sqlite")
    (saved,) = store.drawings()
    assert saved.label == 7 and store.picture(saved.id).startswith(b"\x89PNG") and saved.pixels.max() > 200

    at.switch_page("app_pages/our_class.py").run()
    assert not at.exception
    assert [m.value for m in at.metric if m.label == "Drawings"] == ["1"]
    next(b for b in at.button if b.label == "Delete it").click()  # its author may: it was saved in this session
    at.run()
    assert not at.exception and len(ClassCollection(tmp_path / "class.sqlite")) == 0


@pytest.mark.parametrize("network_name", ["dense", "cnn"])
def test_inside_the_network_shows_the_current_drawing(pen_sample, network_name):
    from digitlab.config import available_networks

    if network_name not in available_networks():
        pytest.skip(f"{network_name} is not trained in model/")
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("app_pages/inside.py").run()
    assert not at.exception and any("MNIST's test digits" in n.label for n in at.number_input)

    canvas = render_strokes(pen_sample.strokes(0))
    at.switch_page("app_pages/draw.py").run()
    at.session_state[CANVAS_KEY] = as_canvas_state(canvas)
    at.run()
    at.switch_page("app_pages/inside.py").run()
    at.radio(key="inside_network").set_value(network_name).run()
    assert not at.exception and not at.number_input  # the drawing, not a test digit
    assert len(at.subheader) >= 3
    from digitlab.ensemble import CONVNET_VIEWS

    readings = len(CONVNET_VIEWS) + 1  # the convnet answers with the average of its readings of each view
    several = any(f"reads every drawing {readings} times" in text.value for text in at.markdown)
    assert several == (network_name == "cnn")
    assert (len([image for image in at.get("image") if "sure" in str(image.proto)]) == readings) == several

    from digitlab.config import model_path
    from digitlab.inference import load_network

    answer = load_network(model_path(network_name)).probabilities(to_mnist(canvas)[None]).argmax()
    assert any(f"The answer: {answer}" in str(getattr(element, "proto", "")) for element in at.main)


def test_a_network_trained_on_the_train_page_can_be_tried_on_the_draw_page(pen_sample, mnist_small):
    """The Train page leaves its network in the session; the Draw page offers it and reads with it."""
    from dataclasses import replace

    from digitlab.inference import Network
    from digitlab.training import train

    model, report = train(mnist_small.limited(500), epochs=1, verbose=0)
    experiment = Network(name="experiment", model=model, report=replace(report, title="a quick test"))
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.session_state["session_network"] = experiment
    canvas = render_strokes(pen_sample.strokes(0))
    at.session_state[CANVAS_KEY] = as_canvas_state(canvas)
    at.run()
    at.radio(key="network").set_value("experiment").run()
    assert not at.exception
    expected = int(experiment.probabilities(to_mnist(canvas)[None]).argmax())
    assert prediction(at) == str(expected)
    assert [m.help for m in at.metric if m.label == "Prediction"] == ["What your experiment reads."]
