"""How well the whole pipeline (canvas -> preprocessing -> network) reads real pen-drawn digits."""

from dataclasses import dataclass

import numpy as np

from digitlab.config import CANVAS_SIZE, DEFAULT_BRUSH, IMAGE_SIZE, NUM_CLASSES
from digitlab.inference import Network
from digitlab.pen import PenDigits, random_offsets, render_strokes
from digitlab.preprocess import to_mnist


@dataclass(frozen=True)
class Rendering:
    """How the pen digits are drawn onto the canvas before the app's pipeline reads them."""
    brush: float = DEFAULT_BRUSH
    height: float = 0.6  # digit height as a fraction of the canvas
    spread: float = 0.1  # random offset, as a fraction of the canvas, each way
    black_on_white: bool = False
    seed: int = 0


def canvas_inputs(pen: PenDigits, rendering: Rendering = Rendering()) -> tuple[np.ndarray, np.ndarray]:
    """(N, 28, 28) network inputs for every sample and a (N,) mask of those with ink."""
    offsets = random_offsets(len(pen), CANVAS_SIZE, rendering.spread, rendering.seed)
    ink, background = (0, 255) if rendering.black_on_white else (255, 0)
    inputs = np.zeros((len(pen), IMAGE_SIZE, IMAGE_SIZE), dtype=np.float32)
    has_ink = np.zeros(len(pen), dtype=bool)
    for i in range(len(pen)):
        canvas = render_strokes(pen.strokes(i), CANVAS_SIZE, rendering.brush, rendering.height,
                                tuple(offsets[i]), ink=ink, background=background)
        x = to_mnist(canvas)
        if x is not None:
            inputs[i], has_ink[i] = x, True
    return inputs, has_ink


def evaluate(network: Network, pen: PenDigits, rendering: Rendering = Rendering()) -> dict:
    """Accuracy overall, per digit and per source, and the predictions (-1 where nothing was read)."""
    inputs, has_ink = canvas_inputs(pen, rendering)
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
        "predicted": predicted.tolist(),
    }


def _share(correct: np.ndarray) -> dict:
    return {"accuracy": float(correct.mean()) if len(correct) else float("nan"), "samples": int(len(correct))}
