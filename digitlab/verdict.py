"""Is the drawing a digit at all? "digit", "not a digit" or "blank", and a short reason for the page.

Issue #13: the networks name a digit for whatever is drawn (an X was read as 8 with 91 %, a dot as 0
with 99 %). Their own confidence cannot tell: they only ever saw digits, so the biggest of ten
probabilities is high for many things that are not digits. A separate detector decides instead,
model/digit_or_not.onnx (exported from model/digit_or_not.keras): the convnet's layers (started from
model/cnn.keras's weights, then trained on; the files stand on their own, whatever happens to the
convnet later) with a softmax that tells
digits from each kind of non-digit made up in digitlab.non_digits (dots, lines, crosses, faces,
numbers, scribbles, shapes, letters). Several such detectors, which learnt differently (one class for all
digits or a class for each digit), each read the drawing as it is and turned a few degrees either way,
and their probabilities are averaged inside the one file
(digitlab.ensemble; the report's "members" says which detectors, its "network" which turns).
They were trained and joined by tools/train_refusal.py; its report, model/digit_or_not.json, holds the
classes, the refusal threshold (chosen on held-out MNIST digits,
redrawn like the canvas) and the figures measured on held-out inputs.

It is read by ONNX Runtime like the networks (digitlab.onnx_reader): no TensorFlow, and one pass of the
convnet for each detector and each angle (README, "Figures", has the milliseconds).

    judge = load_judge()                       # once (reads the .onnx and the report)
    v = judge.verdict(x, probabilities)        # x = to_mnist(canvas) or None, probabilities of any network
    v.kind, v.digit, v.reason                  # "not a digit", None, "it looks like two or more digits"
"""

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from digitlab.config import MODEL_DIR, onnx_path, report_path
from digitlab.model_files import CHECKSUMS, sha256_of_bytes
from digitlab.onnx_reader import OnnxGraph

DIGIT, NOT_A_DIGIT, BLANK = "digit", "not a digit", "blank"
DETECTOR_NAME = "digit_or_not"

# Why a drawing is refused, by the detector's most likely non-digit class (the classes are in its report).
REASONS = {
    "dot": "it looks like a dot",
    "line": "it looks like a line lying down",
    "x": "it looks like a cross",
    "smiley": "it looks like a face",
    "number": "it looks like two or more digits: draw one at a time",
    "scribble": "it looks like a scribble",
    "shape": "it looks like a shape",
    "letter": "it looks like a letter",
    "font_letter": "it looks like a letter",
}
OTHER_REASON = "it does not look like any digit"
BLANK_REASON = "nothing is drawn"


@dataclass(frozen=True)
class Verdict:
    """What the page says about one drawing.

    kind: DIGIT, NOT_A_DIGIT or BLANK; digit: the network's reading when kind is DIGIT, else None;
    reason: a short plain sentence for a refusal ("" for a digit); digit_score: the detector's
    probability that the drawing is a digit (None when blank).
    """

    kind: str
    digit: int | None
    reason: str
    digit_score: float | None = None


class DigitJudge:
    """The detector's graph in ONNX Runtime, its classes and its refusal threshold.

    `trained_on` counts the training inputs of each class. The kinds were not drawn equally often (many
    more letters than numbers, since letters take many more shapes), so the detector leans towards the
    commoner kinds; the reason for a refusal divides that lean out, naming the kind the drawing is most
    like rather than the one most often seen.
    """

    def __init__(self, graph: OnnxGraph, classes: list[str], threshold: float, trained_on: dict | None = None):
        if not classes or classes[0] != DIGIT:
            raise ValueError(f"the detector's first class must be {DIGIT!r}, got {classes[:1]}")
        self._graph, self.classes, self.threshold = graph, list(classes), float(threshold)
        counts = np.array([float((trained_on or {}).get(kind, 1)) for kind in self.classes[1:]])
        self._kind_share = counts / counts.sum()

    def class_probabilities(self, images: np.ndarray) -> np.ndarray:
        """(N, classes) for (N, 28, 28) inputs in [0, 1] (as to_mnist gives them)."""
        return self._graph.run(np.asarray(images, np.float32).reshape(-1, *self._graph.input_shape[1:]))

    def digit_scores(self, images: np.ndarray) -> np.ndarray:
        """(N,) the detector's probability that each input is a (single) digit."""
        return self.class_probabilities(images)[:, 0]

    def verdict(self, x: np.ndarray | None, probabilities: np.ndarray) -> Verdict:
        """The verdict on one drawing: x is to_mnist's (28, 28) input or None (blank); probabilities are
        the reading network's ten (any network: they only give the digit once the detector accepts)."""
        if x is None:
            return Verdict(BLANK, None, BLANK_REASON)
        return self.decide(self.class_probabilities(x[None])[0], np.asarray(probabilities).reshape(-1))

    def decide(self, class_probabilities: np.ndarray, probabilities: np.ndarray) -> Verdict:
        """The verdict from the detector's class probabilities for one drawing and the network's ten."""
        score = float(class_probabilities[0])
        if not self.refuses(score):
            return Verdict(DIGIT, int(np.argmax(probabilities)), "", score)
        likeliest = self.classes[1 + int(np.argmax(class_probabilities[1:] / self._kind_share))]
        return Verdict(NOT_A_DIGIT, None, REASONS.get(likeliest, OTHER_REASON), score)

    def refused(self, images: np.ndarray) -> np.ndarray:
        """(N,) True where a drawing would be called "not a digit" (for measuring many at once)."""
        return self.refuses(self.digit_scores(images))

    def refuses(self, scores):
        """True where a digit score (digit_scores) is below the threshold: the rule, for scores already made."""
        return np.asarray(scores) < self.threshold


def load_judge(folder: str | Path = MODEL_DIR, name: str = DETECTOR_NAME) -> DigitJudge:
    """The detector saved as <folder>/<name>.onnx with its report <name>.json (classes, threshold, the .onnx's
    checksum), checked now rather than at a visitor's first drawing.

    Raises FileNotFoundError when it was never trained and ValueError when the files do not fit together.
    """
    report = json.loads(report_path(name, folder).read_text())
    graph_file = onnx_path(name, folder)
    data = graph_file.read_bytes()
    if report.get(CHECKSUMS[".onnx"]) not in (None, sha256_of_bytes(data)):
        raise ValueError(f"{graph_file} is not the graph its report {name}.json describes")
    try:
        return DigitJudge(
            OnnxGraph(data, len(report["classes"])),
            report["classes"],
            report["threshold"],
            report.get("training_inputs"),
        )
    except ValueError as error:
        raise ValueError(f"{graph_file} cannot be used: {error}") from error


@lru_cache(maxsize=1)
def default_judge() -> DigitJudge:
    """The committed detector, read once per process."""
    return load_judge()


def verdict(x: np.ndarray | None, probabilities: np.ndarray, judge: DigitJudge | None = None) -> Verdict:
    """The verdict on one drawing with the committed detector (or `judge`); see DigitJudge.verdict."""
    return (judge or default_judge()).verdict(x, probabilities)
