"""Drawings that are not digits, made up the way a child draws them on the app's canvas.

Issue #13: the app named a digit for everything (an X read as 8, a dot as 0, "12" as 2, a smiley
as 0). To learn and to measure a refusal we need many such drawings. Each kind here is drawn as pen
strokes (digitlab.pen.render_strokes, the canvas's brush), hand-wobbled, slanted and squashed at
random, then goes through the app's own preprocessing (digitlab.preprocess.to_mnist); so a network
sees exactly what the Draw page would give it.

Kinds (NON_DIGIT_KINDS): dots, lines that lie down (a standing line is a 1), crosses, smileys, numbers
of two or three digits (MNIST digits side by side, so the digits are real handwriting), scribbles,
shapes (triangles, squares, stars, hearts, spirals, arrows, #, zigzags, houses), and letters that no
one writes like a digit (never O, S, Z, l..., which are left out of every "not a digit" count, see
DIGIT_LIKE_LETTERS): written in strokes from templates (HAND_LETTERS), joined-up as real hands write them
(CURSIVE_LETTERS: slanted, wide, looped, with lead-ins and tails), traced in the Hershey fonts' single-line
strokes, print and script (HERSHEY_FONTS), and typed in the fonts on the machine (FONT_LETTERS), handwriting
fonts among them when LETTER_FONT_PACKAGES are installed. Digits written in strokes the same way
(HAND_DIGITS) keep a detector from telling digits by the pen's look alone.

Training and measuring use different seeds (and MNIST's training or test digits for the numbers).
"""

import functools
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from digitlab.config import CANVAS_SIZE, DEFAULT_BRUSH, IMAGE_SIZE
from digitlab.pen import render_strokes
from digitlab.preprocess import to_mnist

# Letters that many people write exactly like a digit (README-pen-letters.md): never "not a digit".
DIGIT_LIKE_LETTERS = frozenset("OoQDIiLlJjZzSsBbGgqyT")
FONT_LETTERS = "".join(c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in DIGIT_LIKE_LETTERS)
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
FONT_SKIP = ("Math", "Mono-Bold")  # no letters drawn like handwriting in these
# Debian's handwriting fonts (apt-get install ...), typed letters that look written; the detector learnt with them.
LETTER_FONT_PACKAGES = (
    "fonts-breip",
    "fonts-bwht",
    "fonts-comic-neue",
    "fonts-humor-sans",
    "fonts-rufscript",
    "fonts-sjfonts",
    "fonts-yusei-magic",
)
HERSHEY_FONTS = ("futural", "rowmans", "scripts", "scriptc", "cursive")  # single-line: print, then joined-up

Strokes = list[np.ndarray]


# --- hand-drawn look -------------------------------------------------------------------------------------------


def resample(stroke: np.ndarray, step: float = 0.02) -> np.ndarray:
    """The polyline with points every `step` (of the drawing's size): a wobble then bends it smoothly."""
    if len(stroke) < 2:
        return stroke
    lengths = np.linalg.norm(np.diff(stroke, axis=0), axis=1)
    along = np.concatenate([[0], np.cumsum(lengths)])
    if along[-1] < step:
        return stroke
    at = np.linspace(0, along[-1], max(2, int(along[-1] / step) + 1))
    return np.column_stack([np.interp(at, along, stroke[:, 0]), np.interp(at, along, stroke[:, 1])])


def wobble(stroke: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    """A slow random drift added along the stroke, as a hand that does not draw straight."""
    if len(stroke) < 3 or amount == 0:
        return stroke
    knots = max(2, len(stroke) // 12)
    drift = rng.normal(0, amount, size=(knots, 2))
    at = np.linspace(0, knots - 1, len(stroke))
    return stroke + np.column_stack([np.interp(at, np.arange(knots), drift[:, k]) for k in range(2)])


def unit_box(strokes: Strokes) -> Strokes:
    """The strokes moved and scaled so that their box starts at 0 with its longer side 1 (as the pen sets')."""
    points = np.concatenate(strokes)
    low, side = points.min(axis=0), max(float(np.ptp(points, axis=0).max()), 1e-6)
    return [(s - low) / side for s in strokes]


def distort(strokes: Strokes, rng: np.random.Generator, rotation: float = 15, wobbling: float = 0.02) -> Strokes:
    """Rotated (up to `rotation` degrees), slanted, squashed and wobbled, as a person's drawing is."""
    strokes = unit_box(strokes)
    angle = math.radians(rng.uniform(-rotation, rotation))
    shear, aspect = rng.uniform(-0.25, 0.25), math.exp(rng.uniform(-0.25, 0.25))
    cos, sin = math.cos(angle), math.sin(angle)
    linear = np.array([[cos, -sin], [sin, cos]]) @ np.array([[1, shear], [0, 1]]) @ np.diag([aspect, 1 / aspect])
    return [wobble(resample(s), rng, wobbling) @ linear.T for s in strokes]


def arc(cx, cy, rx, ry, start, end, points: int = 40) -> np.ndarray:
    """An elliptical arc, angles in degrees (0 = right, 90 = down, since y grows downward)."""
    t = np.radians(np.linspace(start, end, points))
    return np.column_stack([cx + rx * np.cos(t), cy + ry * np.sin(t)])


def line(*points) -> np.ndarray:
    return np.asarray(points, dtype=np.float64)


# --- the kinds, as strokes --------------------------------------------------------------------------------------


def dots(rng: np.random.Generator) -> Strokes:
    """One dot (a tap, or a tiny circle smaller than the brush), or a few dots scattered.

    A dot stays small on the canvas: drawn at the size of the other kinds, a tiny circle would be a 0.
    """
    count = rng.choice([1, 1, 1, 2, 3, 4])
    centres = rng.uniform(0, 1, size=(count, 2)) * (count > 1)
    if rng.random() < 0.5:
        return [c[None] for c in centres]
    radius = DEFAULT_BRUSH / CANVAS_SIZE * rng.uniform(0.15, 0.45)  # canvas units, with the canvas 1 wide
    if count > 1:
        radius /= rng.uniform(0.3, 0.75)  # the dots' spread is drawn 0.3-0.75 of the canvas
    return [arc(*c, radius, radius, 0, 360, 12) for c in centres]


def lying_line(rng: np.random.Generator) -> Strokes:
    """A line within 40 degrees of lying flat (a standing one is a 1), straight or wavy."""
    angle = math.radians(rng.uniform(-40, 40))
    ends = line([-0.5 * math.cos(angle), -0.5 * math.sin(angle)], [0.5 * math.cos(angle), 0.5 * math.sin(angle)])
    stroke = resample(ends)
    if rng.random() < 0.3:  # a wave
        t = np.linspace(0, 1, len(stroke))
        stroke = stroke + np.outer(
            np.sin(2 * np.pi * rng.uniform(1, 3) * t) * rng.uniform(0.03, 0.1), [-math.sin(angle), math.cos(angle)]
        )
    return [stroke]


def cross(rng: np.random.Generator) -> Strokes:
    """An X (two crossing diagonals) or, now and then, a plus sign."""
    if rng.random() < 0.25:
        return [line([0, 0.5], [1, 0.5]), line([0.5, 0], [0.5, 1])]
    a, b = rng.uniform(30, 60), rng.uniform(30, 60)
    ra, rb = math.radians(a), math.radians(b)
    return [
        line([-math.cos(ra), -math.sin(ra)], [math.cos(ra), math.sin(ra)]),
        line([math.cos(rb), -math.sin(rb)], [-math.cos(rb), math.sin(rb)]),
    ]


def smiley(rng: np.random.Generator) -> Strokes:
    """A face: a round head, two eyes (dots or small circles) and a smile (or a frown)."""
    strokes = [arc(0, 0, 1, 1, rng.uniform(-100, -80), rng.uniform(250, 280), 60)]
    for x in (-0.35, 0.35):
        eye = np.array([[x, -0.3]]) + rng.normal(0, 0.04, 2)
        strokes.append(eye if rng.random() < 0.6 else arc(*eye[0], 0.08, 0.1, 0, 360, 12))
    mouth = arc(0, 0.15, 0.5, 0.35, 20, 160, 20) if rng.random() < 0.8 else arc(0, 0.65, 0.45, 0.25, 200, 340, 20)
    return strokes + [mouth]


def scribble(rng: np.random.Generator) -> Strokes:
    """A tangle: a smooth random path through several points (or a back-and-forth hatching)."""
    if rng.random() < 0.3:
        rows = rng.integers(4, 9)
        xs = np.where(np.arange(rows) % 2, 0.0, 1.0)[:, None] + rng.normal(0, 0.05, (rows, 1))
        ys = np.linspace(0, 1, rows)[:, None] * rng.uniform(0.4, 1.0)
        return [np.hstack([xs, ys])]
    knots = rng.uniform(0, 1, size=(rng.integers(9, 16), 2))
    return [_smooth_path(knots)]


def _smooth_path(knots: np.ndarray, per_segment: int = 12) -> np.ndarray:
    """A Catmull-Rom curve through the knots."""
    padded = np.vstack([knots[:1], knots, knots[-1:]])
    t = np.linspace(0, 1, per_segment, endpoint=False)[:, None]
    pieces = []
    for i in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[i - 1 : i + 3]
        pieces.append(
            0.5
            * (2 * p1 + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2 + (-p0 + 3 * p1 - 3 * p2 + p3) * t**3)
        )
    return np.vstack(pieces + [knots[-1:]])


def _star() -> Strokes:
    corners = [(math.cos(math.radians(-90 + 144 * k)), math.sin(math.radians(-90 + 144 * k))) for k in range(6)]
    return [line(*corners)]


def _heart() -> Strokes:
    t = np.linspace(0, 2 * np.pi, 80)
    return [
        np.column_stack(
            [16 * np.sin(t) ** 3, -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))]
        )
        / 16
    ]


def _spiral() -> Strokes:
    t = np.linspace(0, 2.5 * 2 * np.pi, 120)
    return [np.column_stack([t * np.cos(t), t * np.sin(t)])]


SHAPES: dict[str, Callable[[], Strokes]] = {
    "triangle": lambda: [line([0.5, 0], [1, 0.9], [0, 0.9], [0.5, 0])],
    "square": lambda: [line([0, 0], [1, 0], [1, 1], [0, 1], [0, 0])],
    "rectangle": lambda: [line([0, 0], [1.8, 0], [1.8, 1], [0, 1], [0, 0])],
    "star": _star,
    "heart": _heart,
    "spiral": _spiral,
    "arrow": lambda: [line([0, 0.5], [1, 0.5]), line([0.7, 0.25], [1, 0.5], [0.7, 0.75])],
    "hash": lambda: [
        line([0.35, 0], [0.25, 1]),
        line([0.75, 0], [0.65, 1]),
        line([0, 0.3], [1, 0.3]),
        line([0, 0.7], [1, 0.7]),
    ],
    "zigzag": lambda: [line([0, 0.5], [0.2, 0], [0.4, 0.5], [0.6, 0], [0.8, 0.5], [1, 0])],
    "house": lambda: [line([0, 0.4], [0, 1], [1, 1], [1, 0.4], [0, 0.4], [0.5, 0], [1, 0.4])],
    "sun": lambda: (
        [arc(0, 0, 0.5, 0.5, 0, 360, 40)]
        + [
            line([0.7 * math.cos(a), 0.7 * math.sin(a)], [1.1 * math.cos(a), 1.1 * math.sin(a)])
            for a in np.radians(np.arange(0, 360, 45))
        ]
    ),
}


def shape(rng: np.random.Generator) -> Strokes:
    """One of SHAPES, a child's drawing of a thing."""
    return SHAPES[list(SHAPES)[rng.integers(len(SHAPES))]]()


def _bowl(cx, cy, rx, ry, start, end, before=(), after=()) -> np.ndarray:
    """An arc with straight bits before and after it, as one stroke."""
    return np.vstack([np.reshape(before, (-1, 2)), arc(cx, cy, rx, ry, start, end), np.reshape(after, (-1, 2))])


# Letters as a hand writes them, in strokes (x-height 0..1, ascenders up to -0.8, descenders down to 1.8).
# Only letters that are not written like a digit (DIGIT_LIKE_LETTERS are left out), some in two styles.
HAND_LETTERS: dict[str, Callable[[], Strokes]] = {
    "A": lambda: [line([0, 1], [0.5, 0], [1, 1]), line([0.25, 0.55], [0.75, 0.55])],
    "C": lambda: [arc(0.5, 0.5, 0.45, 0.5, 320, 45)],
    "E": lambda: [line([1, 0], [0, 0], [0, 1], [1, 1]), line([0, 0.5], [0.8, 0.5])],
    "E2": lambda: [np.vstack([arc(0.5, 0.27, 0.4, 0.27, 330, 90), arc(0.5, 0.75, 0.45, 0.27, 270, 45)])],
    "F": lambda: [line([1, 0], [0, 0], [0, 1]), line([0, 0.5], [0.8, 0.5])],
    "H": lambda: [line([0, 0], [0, 1]), line([1, 0], [1, 1]), line([0, 0.5], [1, 0.5])],
    "K": lambda: [line([0, 0], [0, 1]), line([1, 0], [0, 0.55], [1, 1])],
    "M": lambda: [line([0, 1], [0, 0], [0.5, 0.6], [1, 0], [1, 1])],
    "N": lambda: [line([0, 1], [0, 0], [1, 1], [1, 0])],
    "P": lambda: [line([0, 1], [0, 0]), _bowl(0.4, 0.27, 0.45, 0.27, -90, 90, [0, 0], [0, 0.54])],
    "R": lambda: [
        line([0, 1], [0, 0]),
        _bowl(0.4, 0.27, 0.45, 0.27, -90, 90, [0, 0], [0, 0.54]),
        line([0.3, 0.54], [1, 1]),
    ],
    "U": lambda: [_bowl(0.5, 0.5, 0.5, 0.5, 180, 0, [0, 0], [1, 0])],
    "V": lambda: [line([0, 0], [0.5, 1], [1, 0])],
    "W": lambda: [line([0, 0], [0.25, 1], [0.5, 0.3], [0.75, 1], [1, 0])],
    "X": lambda: [line([0, 0], [1, 1]), line([1, 0], [0, 1])],
    "Y": lambda: [line([0, 0], [0.5, 0.5], [1, 0]), line([0.5, 0.5], [0.5, 1])],
    "a": lambda: [arc(0.45, 0.5, 0.45, 0.5, 330, -10), line([0.9, 0], [0.9, 1])],
    "a2": lambda: [_bowl(0.45, 0.5, 0.45, 0.5, 330, -30, [], [[0.9, 0], [0.9, 0.9], [1.0, 1.0]])],
    "a3": lambda: [_bowl(0.45, 0.5, 0.45, 0.5, 330, -30, [], [[0.9, 0], [0.85, 0.8], [1.0, 1.0], [1.2, 0.9]])],
    "c": lambda: [arc(0.5, 0.5, 0.45, 0.5, 320, 45)],
    "d": lambda: [arc(0.45, 0.5, 0.45, 0.5, 330, -10), line([0.9, -0.8], [0.9, 1])],
    "d2": lambda: [_bowl(0.45, 0.5, 0.45, 0.5, 330, -30, [], [[0.9, 0.2], [0.8, -0.6], [0.55, -0.8]])],
    "e": lambda: [_bowl(0.5, 0.5, 0.45, 0.5, 360, 40, [[0.05, 0.5]])],
    "e2": lambda: [_bowl(0.5, 0.5, 0.45, 0.5, 330, 45, [[0.05, 0.8]])],
    "f": lambda: [_bowl(0.7, -0.45, 0.3, 0.35, 330, 180, [], [[0.4, 1.0]]), line([0.1, 0], [0.8, 0])],
    "h": lambda: [_bowl(0.45, 0.4, 0.45, 0.4, 180, 360, [[0, -0.8], [0, 1], [0, 0.4]], [[0.9, 1]])],
    "h2": lambda: [_bowl(0.45, 0.4, 0.45, 0.4, 180, 360, [[0, -0.8], [0, 1], [0, 0.4]], [[0.9, 0.9], [1.1, 1]])],
    "k": lambda: [line([0, -0.8], [0, 1]), line([0.8, 0], [0, 0.6], [0.8, 1])],
    "m": lambda: [
        np.vstack(
            [
                _bowl(0.25, 0.3, 0.25, 0.3, 180, 360, [[0, 0], [0, 1], [0, 0.3]], [[0.5, 1]]),
                _bowl(0.75, 0.3, 0.25, 0.3, 180, 360, [[0.5, 0.3]], [[1, 1]]),
            ]
        )
    ],
    "n": lambda: [_bowl(0.45, 0.4, 0.45, 0.4, 180, 360, [[0, 0], [0, 1], [0, 0.4]], [[0.9, 1]])],
    "p": lambda: [line([0, 0], [0, 1.8]), _bowl(0.4, 0.45, 0.45, 0.45, 250, 470, [[0, 0.1]], [[0, 0.85]])],
    "p2": lambda: [_bowl(0.4, 0.45, 0.45, 0.45, 250, 470, [[0, 0], [0, 1.8], [0, 0.1]], [[0, 0.85]])],
    "r": lambda: [line([0, 0], [0, 1]), _bowl(0.45, 0.35, 0.45, 0.3, 180, 300, [[0, 0.4]])],
    "t": lambda: [line([0.4, -0.7], [0.4, 0.85], [0.6, 1], [0.8, 0.9]), line([0, 0], [0.8, 0])],
    "t2": lambda: [line([0.5, -0.6], [0.5, 1]), line([0.1, 0.05], [0.9, 0.05])],
    "u": lambda: [_bowl(0.45, 0.55, 0.45, 0.45, 180, 0, [[0, 0]], [[0.9, 0], [0.9, 1]])],
    "u2": lambda: [_bowl(0.45, 0.55, 0.45, 0.45, 180, 0, [[0, 0]], [[0.9, 0], [0.9, 0.9], [1.1, 1]])],
    "v": lambda: [line([0, 0], [0.5, 1], [1, 0])],
    "w": lambda: [line([0, 0], [0.25, 1], [0.5, 0.4], [0.75, 1], [1, 0])],
    "x": lambda: [line([0, 0], [1, 1]), line([1, 0], [0, 1])],
}


# Letters as joined-up handwriting writes them: each stroke a smooth curve through a few knots (same units as
# HAND_LETTERS), so that moving the knots at random gives the many shapes one letter takes in real hands:
# loops on the ascenders, a stem that overshoots, a bowl left open. Only letters not written like a digit.
_ROUND_BOWL = [(0.8, 0.2), (0.5, 0), (0.15, 0.25), (0.1, 0.7), (0.4, 1), (0.75, 0.7)]  # of a and d, then the stem
CURSIVE_LETTERS: dict[str, list[list[tuple[float, float]]]] = {
    "a": [[*_ROUND_BOWL, (0.85, 0.1), (0.82, 0.6), (0.9, 0.95)]],
    "d": [[*_ROUND_BOWL, (0.85, -0.8), (0.82, 0.6), (0.9, 0.95)]],
    "d2": [[(0.8, 0.2), (0.5, 0), (0.1, 0.4), (0.4, 1), (0.8, 0.5), (1, -0.85), (0.75, -0.7), (0.8, 0.9), (1, 1)]],
    "h": [[(0.2, -0.4), (0.2, -0.8), (0.05, -0.5), (0, 1), (0.1, 0.4), (0.45, 0.05), (0.75, 0.3), (0.75, 0.95)]],
    "h2": [[(0, -0.8), (0, 1)], [(0.02, 0.5), (0.4, 0.05), (0.8, 0.3), (0.8, 1)]],
    "k": [[(0, -0.8), (0, 1)], [(0, 0.6), (0.6, 0.1), (0.7, 0.35), (0.2, 0.55), (0.75, 1)]],
    "f": [[(0.9, -0.5), (0.6, -0.85), (0.3, -0.5), (0.3, 1)], [(0, 0.05), (0.7, 0)]],
    "f2": [[(0, 0.3), (0.6, -0.5), (0.5, -0.85), (0.3, -0.5), (0.25, 1.6), (0.1, 1.7), (0.15, 1.2), (0.6, 0.6)]],
    "p": [[(0, 0.2), (0.15, 0), (0.1, 1.8)], [(0.1, 0.3), (0.5, 0), (0.9, 0.4), (0.5, 0.95), (0.1, 0.8)]],
    "p2": [[(-0.1, 0.3), (0.1, 0), (0.1, 1.8), (0.1, 0.3), (0.5, 0), (0.9, 0.4), (0.6, 0.95), (0.1, 0.8)]],
    "P": [[(0, 1), (0, 0), (0.6, 0), (0.9, 0.25), (0.6, 0.55), (0, 0.5)]],
    "R": [[(0, 1), (0, 0), (0.6, 0), (0.9, 0.25), (0.6, 0.5), (0.05, 0.5), (0.9, 1)]],
    "Y": [[(0.05, 0), (0.5, 0.45)], [(0.95, -0.05), (0.5, 0.5), (0.45, 1)]],
    "u": [[(0, 0), (0.02, 0.7), (0.35, 1), (0.75, 0.75), (0.85, 0), (0.85, 0.85), (1.05, 1)]],
    "U": [[(0, 0), (0.05, 0.75), (0.5, 1), (0.9, 0.7), (0.95, 0)]],
    "n": [[(0, 0), (0, 1), (0.05, 0.4), (0.45, 0), (0.8, 0.3), (0.85, 1)]],
    "m": [[(0, 0), (0, 1), (0.03, 0.35), (0.25, 0), (0.5, 0.3), (0.5, 1), (0.53, 0.35), (0.75, 0), (1, 0.3), (1, 1)]],
    "r": [[(0, 0), (0, 1), (0.05, 0.35), (0.4, 0), (0.75, 0.15)]],
    "e": [[(0.1, 0.55), (0.85, 0.4), (0.55, 0), (0.1, 0.35), (0.15, 0.85), (0.5, 1), (0.9, 0.8)]],
    "c": [[(0.85, 0.15), (0.5, 0), (0.1, 0.4), (0.2, 0.9), (0.55, 1), (0.9, 0.85)]],
    "C": [[(0.9, 0.1), (0.5, 0), (0.05, 0.5), (0.5, 1), (0.9, 0.85)]],
    "t": [[(0.4, -0.7), (0.4, 0.8), (0.55, 1), (0.85, 0.85)], [(0.05, 0), (0.85, -0.02)]],
    "A": [[(0.8, 0.1), (0.4, 0), (0.05, 0.6), (0.4, 1), (0.8, 0.5), (0.85, 0), (0.85, 1)]],
    "E": [[(0.85, 0.1), (0.45, 0), (0.15, 0.25), (0.5, 0.5), (0.1, 0.75), (0.45, 1), (0.9, 0.85)]],
    "a3": [[(0.75, 0.3), (0.45, 0.05), (0.1, 0.45), (0.35, 1), (0.8, 0.6), (0.7, -0.3), (0.4, -0.5)]],
    "R2": [[(0, 1), (0, 0)], [(0, 0.05), (0.6, 0), (0.85, 0.25), (0.5, 0.5), (0.1, 0.5)], [(0.35, 0.5), (0.9, 1)]],
    "H": [[(0, 0), (0.05, 1)], [(0.9, 0), (0.95, 1)], [(-0.05, 0.5), (1, 0.45)]],
    "H2": [[(0.1, 0), (0, 1)], [(0, 0.55), (0.5, 0.45), (1, 0.5)], [(1, 0), (0.95, 1), (1.1, 0.9)]],
}


def cursive_letter(rng: np.random.Generator) -> Strokes:
    """A letter from CURSIVE_LETTERS: its knots moved at random, now and then a lead-in or a tail added as a
    joined-up hand writes them, and leaning forward as most hands do."""
    strokes = []
    for knots in CURSIVE_LETTERS[list(CURSIVE_LETTERS)[rng.integers(len(CURSIVE_LETTERS))]]:
        knots = np.asarray(knots, np.float64) + rng.normal(0, 0.07, (len(knots), 2))
        if len(knots) > 3 and rng.random() < 0.3:  # a lead-in from below
            knots = np.vstack([knots[0] + [-0.25, 0.3] + rng.normal(0, 0.05, 2), knots])
        if len(knots) > 3 and rng.random() < 0.4:  # a tail up to the next letter
            knots = np.vstack([knots, knots[-1] + [0.25, -0.1] + rng.normal(0, 0.05, 2)])
        strokes.append(_smooth_path(knots, 10))
    lean, width = rng.uniform(0, 0.45), math.exp(rng.uniform(-0.2, 0.45))  # letters run wider than digits
    return [np.column_stack([width * (s[:, 0] - lean * s[:, 1]), s[:, 1]]) for s in strokes]


@functools.cache
def _hershey(font: str):
    from HersheyFonts import HersheyFonts  # imported here: only training and measuring draw letters

    fonts = HersheyFonts()
    fonts.load_default_font(font)
    return fonts


def hershey_strokes(font: str, letter: str) -> Strokes:
    """The letter's strokes in one of HERSHEY_FONTS (x right, y down, in the font's units)."""
    return [np.asarray(s, np.float64) for s in _hershey(font).strokes_for_text(letter)]


def hershey_letter(rng: np.random.Generator) -> Strokes:
    """A letter of FONT_LETTERS traced in one of HERSHEY_FONTS: strokes drawn by a draughtsman's hand, not ours."""
    font, letter = HERSHEY_FONTS[rng.integers(len(HERSHEY_FONTS))], FONT_LETTERS[rng.integers(len(FONT_LETTERS))]
    return [wobble(resample(s), rng, 0.02) for s in unit_box(hershey_strokes(font, letter))]


def hand_letter(rng: np.random.Generator) -> Strokes:
    """A letter drawn by hand, a third each: from HAND_LETTERS, its corners moved and its curves bent a little
    more than the other kinds' (people's letters vary much more than their crosses); joined-up
    (CURSIVE_LETTERS); and traced in a Hershey font."""
    pick = rng.random()
    if pick < 1 / 3:
        return cursive_letter(rng)
    if pick < 2 / 3:
        return hershey_letter(rng)
    strokes = HAND_LETTERS[list(HAND_LETTERS)[rng.integers(len(HAND_LETTERS))]]()
    return [s + rng.normal(0, 0.06, s.shape) if len(s) <= 8 else wobble(resample(s), rng, 0.03) for s in strokes]


STROKE_KINDS: dict[str, Callable[[np.random.Generator], Strokes]] = {
    "dot": dots,
    "line": lying_line,
    "x": cross,
    "smiley": smiley,
    "scribble": scribble,
    "shape": shape,
    "letter": hand_letter,
}


# Digits in strokes, as the canvas's drawings are (not MNIST's scans): training digits of the same look as
# the letters above, so that a detector cannot tell digits from non-digits by the pen alone.
HAND_DIGITS: dict[int, list[Callable[[], Strokes]]] = {
    0: [
        lambda: [arc(0.5, 0.5, 0.35, 0.5, 270, 640)],
        lambda: [arc(0.5, 0.5, 0.35, 0.5, 250, 980, 80)],
        lambda: [arc(0.5, 0.5, 0.35, 0.5, 270, 640), line([0.85, -0.05], [0.15, 1.05])],  # slashed, as many write it
        lambda: [arc(0.5, 0.5, 0.35, 0.5, 270, 640), line([0.6, -0.15], [0.4, 1.15])],
        lambda: [arc(0.5, 0.5, 0.3, 0.45, 270, 640), line([0.5, -0.1], [0.5, 1.1])],  # narrow, slashed upright
        lambda: [arc(0.5, 0.5, 0.35, 0.5, 270, 640), line([0.05, 0.5], [0.95, 0.5])],  # barred across
        lambda: [arc(0.5, 0.5, 0.5, 0.3, 200, 560)],  # lying wide
    ],
    1: [
        lambda: [line([0.5, 0], [0.5, 1])],
        lambda: [line([0.2, 0.25], [0.55, 0], [0.55, 1])],
        lambda: [line([0.2, 0.25], [0.55, 0], [0.55, 1]), line([0.25, 1], [0.85, 1])],
        lambda: [line([0.8, 0], [0.2, 1])],  # leaning far
        lambda: [line([0.05, 0.45], [0.6, 0], [0.6, 1])],  # a long flag
    ],
    2: [
        lambda: [_bowl(0.5, 0.3, 0.4, 0.3, 200, 390, [], [[0.05, 1], [0.95, 1]])],
        lambda: [
            _smooth_path(line([0.1, 0.25], [0.5, 0], [0.85, 0.3], [0.15, 0.95], [0.05, 0.8], [0.3, 0.8], [0.95, 1]))
        ],
        lambda: [  # a tall loop at the foot, joined up
            _smooth_path(
                line([0.1, 0.2], [0.5, 0], [0.85, 0.25], [0.25, 0.9], [0.05, 0.7], [0.25, 0.62], [0.4, 0.95], [0.95, 1])
            )
        ],
        lambda: [line([0.05, 0.05], [0.9, 0], [0.1, 1], [0.95, 1])],  # straight, as a Z
    ],
    3: [lambda: [np.vstack([arc(0.5, 0.25, 0.4, 0.25, 200, 450), arc(0.5, 0.75, 0.45, 0.25, 270, 520)])]],
    4: [
        lambda: [line([0.6, 0], [0, 0.65], [1, 0.65]), line([0.7, 0.3], [0.7, 1])],
        lambda: [line([0.1, 0], [0.05, 0.6], [0.9, 0.6]), line([0.8, 0], [0.8, 1])],
        lambda: [_smooth_path(line([0.2, 0], [0.05, 0.45], [0.3, 0.65], [0.9, 0.55])), line([0.72, 0.15], [0.72, 1])],
    ],
    5: [lambda: [line([0.9, 0], [0.15, 0]), _bowl(0.45, 0.68, 0.4, 0.32, 235, 500, [[0.15, 0], [0.1, 0.45]])]],
    6: [lambda: [_bowl(0.5, 0.72, 0.38, 0.28, 180, 540, [[0.8, 0.0], [0.3, 0.3]])]],
    7: [
        lambda: [line([0, 0], [1, 0], [0.35, 1])],
        lambda: [line([0, 0], [1, 0], [0.35, 1]), line([0.3, 0.5], [0.9, 0.5])],
    ],
    8: [
        lambda: [
            np.column_stack([0.5 + 0.3 * np.sin(2 * t), 0.5 - 0.5 * np.cos(t)]) for t in [np.linspace(0, 2 * np.pi, 80)]
        ]
    ],
    9: [lambda: [_bowl(0.45, 0.3, 0.4, 0.3, 0, -360, [], [[0.85, 0.3], [0.8, 1]])]],
}


def hand_digit_inputs(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(count, 28, 28) inputs of HAND_DIGITS drawn by hand on the canvas, and their (count,) digits."""
    rng = np.random.default_rng([seed, 99])
    digits = rng.integers(10, size=count)
    inputs = []
    for digit in digits:
        styles = HAND_DIGITS[int(digit)]
        inputs.append(to_mnist(stroke_canvas(styles[rng.integers(len(styles))](), rng)))
    return np.asarray(inputs, np.float32), digits


# --- onto the canvas --------------------------------------------------------------------------------------------


def stroke_canvas(strokes: Strokes, rng: np.random.Generator) -> np.ndarray:
    """The strokes, distorted by hand, drawn on the app's canvas at a random size and place.

    A drawing that is one blob (a dot) is drawn at its own size: it is as wide as the canvas's brush.
    """
    points = np.concatenate(strokes)
    blob = float(np.ptp(points, axis=0).max())
    height = blob if blob < DEFAULT_BRUSH / CANVAS_SIZE else rng.uniform(0.3, 0.75)
    drawn = distort(strokes, rng, wobbling=0.02 if blob >= DEFAULT_BRUSH / CANVAS_SIZE else 0.0)
    return render_strokes(
        drawn,
        CANVAS_SIZE,
        DEFAULT_BRUSH * rng.uniform(0.8, 1.25),
        max(height, 1e-3),
        tuple(rng.uniform(-0.1, 0.1, 2) * CANVAS_SIZE),
    )


def number_canvas(digits: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Two (sometimes three) of the given MNIST digits written side by side on the canvas, like "12"."""
    count = 2 if rng.random() < 0.8 else 3
    chosen = digits[rng.integers(len(digits), size=count)]
    scale = rng.uniform(3.0, 4.5)
    cell = int(IMAGE_SIZE * scale)
    step = int(cell * rng.uniform(0.55, 0.85))  # MNIST digits sit in a 28 px field with ~4 px of border
    width = step * (count - 1) + cell
    field = np.zeros((cell + 8, width), np.uint8)
    for k, digit in enumerate(chosen):
        big = np.asarray(Image.fromarray(digit).resize((cell, cell), Image.Resampling.BICUBIC))
        top = int(rng.integers(0, 9))
        field[top : top + cell, k * step : k * step + cell] = np.maximum(
            field[top : top + cell, k * step : k * step + cell], big
        )
    return _on_canvas(field, rng)


def font_letter_canvas(letter: str, font_path: Path, rng: np.random.Generator) -> np.ndarray:
    """A letter typed in a font, slanted, rotated and squashed a little, drawn on the canvas."""
    size = int(rng.uniform(120, 200))
    font = ImageFont.truetype(str(font_path), size)
    left, top, right, bottom = font.getbbox(letter)
    image = Image.new("L", (right - left + 40, bottom - top + 40), 0)
    ImageDraw.Draw(image).text((20 - left, 20 - top), letter, fill=255, font=font)
    shear, angle = rng.uniform(-0.3, 0.3), rng.uniform(-12, 12)
    image = image.transform(
        image.size, Image.Transform.AFFINE, (1, shear, -shear * image.size[1] / 2, 0, 1, 0), Image.Resampling.BILINEAR
    ).rotate(angle, Image.Resampling.BILINEAR, expand=True)
    aspect = math.exp(rng.uniform(-0.2, 0.2))
    image = image.resize((max(1, int(image.size[0] * aspect)), max(1, int(image.size[1] / aspect))))
    return _on_canvas(np.asarray(image), rng)


def _on_canvas(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """White-on-black ink pasted on an opaque 280 px RGBA canvas (shrunk if it would not fit)."""
    ink = ink[np.ix_((ink > 25).any(axis=1), (ink > 25).any(axis=0))] if (ink > 25).any() else ink
    room = CANVAS_SIZE - 20
    if max(ink.shape) > room:
        factor = room / max(ink.shape)
        ink = np.asarray(
            Image.fromarray(ink).resize(
                (max(1, int(ink.shape[1] * factor)), max(1, int(ink.shape[0] * factor))), Image.Resampling.LANCZOS
            )
        )
    canvas = np.zeros((CANVAS_SIZE, CANVAS_SIZE), np.uint8)
    top = int(rng.integers(0, CANVAS_SIZE - ink.shape[0] + 1))
    left = int(rng.integers(0, CANVAS_SIZE - ink.shape[1] + 1))
    canvas[top : top + ink.shape[0], left : left + ink.shape[1]] = ink
    return np.dstack([canvas, canvas, canvas, np.full_like(canvas, 255)])


def font_files() -> list[Path]:
    """The machine's TrueType and OpenType fonts that draw letters plainly (none may be there: then no font letters)."""
    found = sorted(p for folder in FONT_DIRS if folder.is_dir() for p in folder.rglob("*.[ot]tf"))
    return [p for p in found if not any(skip in p.name for skip in FONT_SKIP)]


# --- batches of network inputs -----------------------------------------------------------------------------------

NON_DIGIT_KINDS = (*STROKE_KINDS, "number", "font_letter")


def canvas_of(
    kind: str, rng: np.random.Generator, digits: np.ndarray | None = None, fonts: list[Path] | None = None
) -> np.ndarray:
    """One drawing of `kind` on the canvas (RGBA). "number" needs MNIST `digits`; "font_letter" `fonts`."""
    if kind in STROKE_KINDS:
        return stroke_canvas(STROKE_KINDS[kind](rng), rng)
    if kind == "number":
        return number_canvas(digits, rng)
    if kind == "font_letter":
        return font_letter_canvas(FONT_LETTERS[rng.integers(len(FONT_LETTERS))], fonts[rng.integers(len(fonts))], rng)
    raise ValueError(f"unknown kind {kind!r}; one of {', '.join(NON_DIGIT_KINDS)}")


def non_digit_inputs(kind: str, count: int, seed: int, digits: np.ndarray | None = None) -> np.ndarray:
    """(count, 28, 28) float32 network inputs of one kind, through the app's preprocessing (blanks skipped)."""
    rng = np.random.default_rng([seed, NON_DIGIT_KINDS.index(kind)])
    fonts = font_files() if kind == "font_letter" else None
    if kind == "font_letter" and not fonts:
        return np.zeros((0, IMAGE_SIZE, IMAGE_SIZE), np.float32)
    inputs = []
    while len(inputs) < count:
        x = to_mnist(canvas_of(kind, rng, digits, fonts))
        if x is not None:
            inputs.append(x)
    return np.asarray(inputs, np.float32).reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
