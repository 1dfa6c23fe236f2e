"""Issue #13: the app says "not a digit" for dots, lines, crosses, faces, numbers, scribbles and letters,
"blank" for an empty canvas, and still reads real digits (digitlab.verdict)."""

import math
import subprocess
import sys
import time

import numpy as np
import pytest

from digitlab.config import CANVAS_SIZE, model_path
from digitlab.evaluate import Rendering, canvas_inputs
from digitlab.inference import load_network
from digitlab.non_digits import (
    CURSIVE_LETTERS,
    DIGIT_LIKE_LETTERS,
    FONT_LETTERS,
    HAND_LETTERS,
    HERSHEY_FONTS,
    NON_DIGIT_KINDS,
    hershey_strokes,
    non_digit_inputs,
)
from digitlab.pen import load_pen_letters, render_strokes
from digitlab.preprocess import to_mnist
from digitlab.verdict import BLANK, DIGIT, NOT_A_DIGIT, REASONS, Verdict, load_judge
from support import DATA, ROOT

# What the committed detector must keep doing (model/digit_or_not.json has the figures on the full sets).
# The targets are 90 % of letters and 1 % of pen digits; LETTERS_REFUSED is where it stands now.
LETTERS_REFUSED = 0.85  # of tests/data/pen_letters_sample.npz (200 real letters that are not digit-like)
PEN_DIGITS_REFUSED = 0.015  # of data/pen_sample.npz (300 real pen digits): at most 4
MNIST_REFUSED = 0.005  # of MNIST's first 1000 test digits
SYNTHETIC_REFUSED = {
    "dot": 0.95,
    "line": 0.95,
    "x": 0.95,
    "smiley": 0.95,
    "scribble": 0.75,
    "shape": 0.95,
    "letter": 0.9,
    "number": 0.9,
    "font_letter": 0.85,
}  # of 60 of each kind


@pytest.fixture(scope="module")
def judge():
    return load_judge()


@pytest.fixture(scope="module")
def convnet():
    return load_network(model_path("cnn"))


def circle(cx, cy, r, start=0, end=360, points=40):
    t = np.radians(np.linspace(start, end, points))
    return np.column_stack([cx + r * np.cos(t), cy + r * np.sin(t)])


def poly(*points):
    return np.asarray(points, dtype=np.float64)


ONE = [poly([0.1, 0.2], [0.3, 0.0], [0.3, 1.0])]
TWO = [np.vstack([circle(0.5, 0.3, 0.3, 190, 380, 20), poly([0.75, 0.45], [0.1, 1.0], [0.9, 1.0])])]

# Named odd inputs, as pen strokes (x, y; y down), drawn on the canvas as the app draws them.
ODD_DRAWINGS = {
    "a dot": ([poly([0.5, 0.5])], 0.05),
    "a horizontal line": ([poly([0.0, 0.5], [1.0, 0.52])], 0.6),
    "an X": ([poly([0, 0], [1, 1]), poly([1, 0], [0, 1])], 0.6),
    "a smiley": (
        [
            circle(0.5, 0.5, 0.5, -90, 270, 60),
            poly([0.33, 0.35]),
            poly([0.67, 0.35]),
            circle(0.5, 0.55, 0.25, 20, 160, 20),
        ],
        0.6,
    ),
    '"12"': ([*ONE, *[s * [1, 1] + [0.6, 0] for s in TWO]], 0.5),
    "a scribble": ([poly([0, 0.2], [0.9, 0.9], [0.1, 0.8], [1.0, 0.1], [0.2, 0.0], [0.7, 1.0], [0.0, 0.6])], 0.6),
    "a star": (
        [poly(*[(math.cos(math.radians(-90 + 144 * k)), math.sin(math.radians(-90 + 144 * k))) for k in range(6)])],
        0.6,
    ),
}


def canvas_input(strokes, height):
    return to_mnist(render_strokes(strokes, height=height))


@pytest.mark.parametrize("name", ODD_DRAWINGS)
def test_odd_drawings_are_not_digits(name, judge, convnet):
    x = canvas_input(*ODD_DRAWINGS[name])
    result = judge.verdict(x, convnet.probabilities(x[None])[0])
    assert result.kind == NOT_A_DIGIT and result.digit is None and result.reason, (name, result)


def test_a_blank_canvas_is_blank(judge):
    empty = np.zeros((CANVAS_SIZE, CANVAS_SIZE, 4), np.uint8)
    empty[..., 3] = 255
    assert to_mnist(empty) is None
    assert judge.verdict(None, np.full(10, 0.1)) == Verdict(BLANK, None, "nothing is drawn")


def test_two_digits_say_so(judge, convnet):
    x = canvas_input(*ODD_DRAWINGS['"12"'])
    assert judge.verdict(x, convnet.probabilities(x[None])[0]).reason == REASONS["number"]


@pytest.mark.parametrize("name, strokes", [("one", ONE), ("two", TWO)])
def test_single_drawn_digits_are_read(name, strokes, judge, convnet):
    x = canvas_input(strokes, 0.6)
    result = judge.verdict(x, convnet.probabilities(x[None])[0])
    assert result.kind == DIGIT and result.digit == {"one": 1, "two": 2}[name], result


@pytest.fixture(scope="module")
def pen_letters():
    return load_pen_letters(DATA / "pen_letters_sample.npz")


def test_most_real_letters_that_are_not_digit_like_are_refused(pen_letters, judge):
    """The committed sample: 200 random letters from the pen letters' dev set that no one writes like a digit."""
    assert not set(pen_letters.labels.astype(str)) & DIGIT_LIKE_LETTERS and len(pen_letters) == 200
    inputs, has_ink = canvas_inputs(pen_letters, Rendering())
    refused = np.where(has_ink, judge.refused(inputs), True)
    assert refused.mean() >= LETTERS_REFUSED, refused.mean()


def test_real_pen_digits_are_seldom_refused(pen_sample, judge):
    inputs, has_ink = canvas_inputs(pen_sample, Rendering())
    assert has_ink.all()
    assert judge.refused(inputs).sum() <= PEN_DIGITS_REFUSED * len(pen_sample)


def test_mnist_test_digits_are_seldom_refused(mnist_small, judge):
    assert judge.refused(mnist_small.x_test / np.float32(255)).mean() <= MNIST_REFUSED


def test_no_made_up_letter_is_one_people_write_like_a_digit():
    """The detector learns every made-up letter as "not a digit": none may be a letter written like one."""
    letters = {name.rstrip("0123456789") for name in (*HAND_LETTERS, *CURSIVE_LETTERS)}
    assert letters and not letters & DIGIT_LIKE_LETTERS


@pytest.mark.parametrize("font", HERSHEY_FONTS)
def test_every_traced_letter_has_strokes(font):
    """A letter a Hershey font lacks would be drawn as nothing: the detector would learn fewer letters than it says."""
    assert all(hershey_strokes(font, letter) for letter in FONT_LETTERS)


@pytest.mark.parametrize("kind", NON_DIGIT_KINDS)
def test_made_up_non_digits_are_refused(kind, mnist_small, judge):
    """Drawn with seed 7, which no member's training (seeds 2 and 3) nor any check (1000 and up) used."""
    inputs = non_digit_inputs(kind, 60, seed=7, digits=mnist_small.x_test)
    assert judge.refused(inputs).mean() >= SYNTHETIC_REFUSED[kind], kind


def test_a_verdict_takes_a_few_milliseconds_at_most(judge, convnet, pen_sample):
    inputs, _ = canvas_inputs(pen_sample.subset(np.arange(40)), Rendering())
    judge.verdict(inputs[0], np.full(10, 0.1))  # the first call sets up ONNX Runtime's buffers
    times = []
    for x in inputs:
        started = time.perf_counter()
        judge.verdict(x, np.full(10, 0.1))
        times.append(time.perf_counter() - started)
    assert np.median(times) < 0.005, np.median(times)


def test_the_verdict_needs_no_tensorflow():
    script = (
        "import sys, numpy as np; from digitlab.verdict import verdict; "
        "v = verdict(np.zeros((28, 28), np.float32) + 0.0, np.full(10, 0.1)); "
        "print(v.kind in ('digit', 'not a digit'), 'tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False", "False"]
