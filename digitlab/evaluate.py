"""How well the whole pipeline (canvas -> preprocessing -> network) reads real pen-drawn digits."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from digitlab.config import CANVAS_SIZE, DEFAULT_BRUSH, DRAWN_HEIGHT, DRAWN_SPREAD, IMAGE_SIZE, NUM_CLASSES
from digitlab.inference import Network
from digitlab.pen import PenDigits, random_offsets, render_strokes
from digitlab.preprocess import to_mnist


@dataclass(frozen=True)
class Rendering:
    """How the pen digits are drawn onto the canvas before the app's pipeline reads them."""

    brush: float = DEFAULT_BRUSH
    height: float = DRAWN_HEIGHT  # digit height as a fraction of the canvas
    spread: float = DRAWN_SPREAD  # random offset, as a fraction of the canvas, each way
    black_on_white: bool = False
    seed: int = 0


Progress = Callable[[Iterable[int]], Iterable[int]]  # wraps the samples' indices, to report how far it got


def canvas_inputs(
    pen: PenDigits, rendering: Rendering = Rendering(), progress: Progress | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(N, 28, 28) network inputs for every sample and a (N,) mask of those with ink. Drawing them is the slow
    part (most of a minute for the 6 308 dev digits), hence `progress` (the CLI's bar on stderr) around it."""
    offsets = random_offsets(len(pen), CANVAS_SIZE, rendering.spread, rendering.seed)
    ink, background = (0, 255) if rendering.black_on_white else (255, 0)
    inputs = np.zeros((len(pen), IMAGE_SIZE, IMAGE_SIZE), dtype=np.float32)
    has_ink = np.zeros(len(pen), dtype=bool)
    for i in progress(range(len(pen))) if progress else range(len(pen)):
        canvas = render_strokes(
            pen.strokes(i),
            CANVAS_SIZE,
            rendering.brush,
            rendering.height,
            tuple(offsets[i]),
            ink=ink,
            background=background,
        )
        x = to_mnist(canvas)
        if x is not None:
            inputs[i], has_ink[i] = x, True
    return inputs, has_ink


def evaluate(
    network: Network,
    pen: PenDigits,
    rendering: Rendering = Rendering(),
    keep_inputs: bool = False,
    judge=None,
    progress: Progress | None = None,
) -> dict:
    """Accuracy overall, per digit and per source, and the predictions (-1 where nothing was read);
    with keep_inputs, also the (N, 28, 28) network inputs under "inputs"; with a digitlab.verdict.DigitJudge,
    how many of these digits it would call "not a digit" (a digit refused is a digit the page does not read);
    progress: see canvas_inputs."""
    inputs, has_ink = canvas_inputs(pen, rendering, progress)
    refused = judge.refused(inputs[has_ink]) if judge is not None else None
    predicted = np.where(has_ink, network.probabilities(inputs).argmax(axis=1), -1)
    correct = predicted == pen.labels
    per_source = {str(s): _share(correct[pen.sources == s]) for s in np.unique(pen.sources)}
    return {
        "network": network.name,
        "samples": int(len(pen)),
        "accuracy": float(correct.mean()),
        "per_digit": {str(d): _share(correct[pen.labels == d]) for d in range(NUM_CLASSES)},
        "per_source": per_source,
        "unread": int((~has_ink).sum()),
        **(
            {"refused": int(refused.sum()), "refused_share": float(refused.mean()) if len(refused) else 0.0}
            if refused is not None
            else {}
        ),
        "predicted": predicted.tolist(),
        **({"inputs": inputs} if keep_inputs else {}),
    }


def error_gallery(
    inputs: np.ndarray, labels: np.ndarray, predicted: np.ndarray, limit: int = 120, columns: int = 12, scale: int = 3
) -> Image.Image:
    """The misread digits as the network saw them, each captioned "label>read", in a grid (a PNG for a report)."""
    wrong = np.flatnonzero(predicted != labels)[:limit]
    cell_w, cell_h = IMAGE_SIZE * scale, IMAGE_SIZE * scale + 12
    rows = max(1, -(-len(wrong) // columns))
    sheet = Image.new("L", (columns * cell_w, rows * cell_h), 40)
    draw = ImageDraw.Draw(sheet)
    for k, i in enumerate(wrong):
        left, top = (k % columns) * cell_w, (k // columns) * cell_h
        digit = Image.fromarray((inputs[i] * 255).astype(np.uint8)).resize((cell_w, cell_w), Image.Resampling.NEAREST)
        sheet.paste(digit, (left, top))
        draw.text((left + 2, top + cell_w), f"{labels[i]}>{predicted[i]}", fill=255)
    return sheet


def _share(correct: np.ndarray) -> dict:
    return {"accuracy": float(correct.mean()) if len(correct) else float("nan"), "samples": int(len(correct))}
