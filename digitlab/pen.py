"""Real pen-drawn digits (UniPen strokes), drawn onto a canvas the way a person would draw them in the app."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from digitlab.config import CANVAS_SIZE, DEFAULT_BRUSH, DRAWN_HEIGHT, DRAWN_SPREAD
from digitlab.data import DataError

PEN_KEYS = ("labels", "source", "offsets", "stroke_offsets", "points")
SUPERSAMPLE = 4  # drawn 4x larger, then averaged down: anti-aliased edges like the browser's canvas


@dataclass(frozen=True)
class PenDigits:
    labels: np.ndarray  # (N,) digits 0-9
    sources: np.ndarray  # (N,) UniPen contributor codes
    offsets: np.ndarray  # sample i = strokes offsets[i]:offsets[i+1]
    stroke_offsets: np.ndarray  # stroke j = points stroke_offsets[j]:stroke_offsets[j+1]
    points: np.ndarray  # (P, 2) x, y; y grows downward; each sample's box starts at 0 with longer side 1

    def __len__(self) -> int:
        return len(self.labels)

    def strokes(self, i: int) -> list[np.ndarray]:
        """Sample i as a list of (n, 2) point arrays, in drawing order."""
        so = self.stroke_offsets
        return [self.points[so[j] : so[j + 1]] for j in range(self.offsets[i], self.offsets[i + 1])]

    def subset(self, indices) -> "PenDigits":
        """The samples at `indices`, re-packed in the same layout (for committing a small test sample)."""
        strokes = [self.strokes(i) for i in indices]
        counts = [len(sample) for sample in strokes]
        flat = [stroke for sample in strokes for stroke in sample]
        return PenDigits(
            labels=self.labels[indices],
            sources=self.sources[indices],
            offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
            stroke_offsets=np.concatenate([[0], np.cumsum([len(s) for s in flat])]).astype(np.int64),
            points=np.concatenate(flat).astype(np.float16),
        )

    def save(self, path: str | Path) -> None:
        np.savez_compressed(
            path,
            labels=self.labels,
            source=self.sources,
            offsets=self.offsets,
            stroke_offsets=self.stroke_offsets,
            points=self.points,
        )


def load_pen_digits(path: str | Path) -> PenDigits:
    return _load_pen_file(path, "pen-digit", lambda labels: labels.astype(np.int64))


def load_pen_letters(path: str | Path) -> PenDigits:
    """The pen letters (non-digits, to measure "not a digit") in the same layout, with one-character labels."""
    return _load_pen_file(path, "pen-letter", lambda labels: labels)


def _load_pen_file(path: str | Path, kind: str, labelled) -> PenDigits:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"No such {kind} file: {path}.")
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [key for key in PEN_KEYS if key not in npz.files]
            if missing:
                raise DataError(
                    f"{path} lacks the key(s) {', '.join(missing)}; a {kind} file has {', '.join(PEN_KEYS)}."
                )
            return PenDigits(
                labels=labelled(npz["labels"]),
                sources=npz["source"],
                offsets=npz["offsets"],
                stroke_offsets=npz["stroke_offsets"],
                points=npz["points"].astype(np.float32),
            )
    except DataError:
        raise
    except Exception as error:
        raise DataError(f"{path} is not a readable {kind} .npz ({error}).") from error


def canvas_strokes(
    strokes: list[np.ndarray],
    canvas: int = CANVAS_SIZE,
    brush: float = DEFAULT_BRUSH,
    height: float = DRAWN_HEIGHT,
    offset: tuple[float, float] = (0.0, 0.0),
) -> list[np.ndarray]:
    """Where the strokes' centre lines go on the app's canvas: (n, 2) float arrays of x, y in canvas pixels.

    The digit is scaled so that it is `height` of the canvas high (less if it would not fit across),
    centred, then moved by `offset` pixels (x, y), clamped so that the whole drawing, `brush` px wide,
    stays on the canvas. render_strokes draws these; the browser tests move the mouse along them.
    """
    points = np.concatenate(strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    extent = np.maximum(high - low, 1e-6)
    room = canvas - brush - 2  # the span the strokes' centre lines may cover
    scale = min(height * canvas / extent[1], room / extent[0], room / extent[1])
    span = extent * scale
    centre = (canvas - span) / 2 + np.asarray(offset, dtype=np.float64)
    origin = np.clip(centre, brush / 2 + 1, canvas - brush / 2 - 1 - span)
    return [(stroke - low) * scale + origin for stroke in strokes]


def render_strokes(
    strokes: list[np.ndarray],
    canvas: int = CANVAS_SIZE,
    brush: float = DEFAULT_BRUSH,
    height: float = DRAWN_HEIGHT,
    offset: tuple[float, float] = (0.0, 0.0),
    ink: int = 255,
    background: int = 0,
) -> np.ndarray:
    """The strokes drawn as on the app's canvas: an opaque (canvas, canvas, 4) uint8 RGBA image.

    Round-capped, anti-aliased polylines `brush` px wide, placed by canvas_strokes: the digit is scaled
    so that it is `height` of the canvas high (less if it would not fit across), centred, then moved by
    `offset` pixels (x, y), clamped so that the whole drawing stays on the canvas.
    """
    big = SUPERSAMPLE
    image = Image.new("L", (canvas * big, canvas * big), background)
    draw = ImageDraw.Draw(image)
    radius = brush * big / 2
    for stroke in canvas_strokes(strokes, canvas, brush, height, offset):
        xy = stroke * big
        if len(xy) > 1:
            draw.line([tuple(p) for p in xy], fill=ink, width=max(1, round(brush * big)), joint="curve")
        for x, y in (xy[0], xy[-1]) if len(xy) > 1 else xy:  # round caps (and dots)
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=ink)
    gray = np.asarray(image.reduce(big))
    return np.dstack([gray, gray, gray, np.full_like(gray, 255)])


def random_offsets(count: int, canvas: int = CANVAS_SIZE, spread: float = DRAWN_SPREAD, seed: int = 0) -> np.ndarray:
    """(count, 2) pixel offsets, uniform within +-spread of the canvas size: where people start drawing varies."""
    return np.random.default_rng(seed).uniform(-spread * canvas, spread * canvas, size=(count, 2))
