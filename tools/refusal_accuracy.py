"""How often the app says "not a digit": on real pen letters, made-up non-digits, pen digits and MNIST. Prints JSON.

    nice -n 10 python -m tools.refusal_accuracy [--limit 3000] [--shared ../shared/data] [--model-dir model]
    nice -n 10 python -m tools.refusal_accuracy --softmax-baseline 0.9   # the convnet's max probability instead
    nice -n 10 python -m tools.refusal_accuracy --limit 3000 --height 0.35   # the pen sets drawn smaller (or --brush)

Every pen sample is drawn on the canvas and preprocessed exactly as the app does (digitlab.evaluate's
canvas_inputs: 18 px brush, 60 % of the canvas high, random offsets with seed 0; the options of `python -m
digitlab evaluate-pen` draw them otherwise). Letters that many
people write like a digit (README-pen-letters.md: O o Q D I i L l J j Z z S s B b G g q y T) are
reported apart from the others. The made-up non-digits (digitlab.non_digits) are drawn with a seed
that neither training nor the threshold saw, their numbers from MNIST's test digits.

For measuring only: nothing here trains or tunes anything.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np

from digitlab.cli import add_rendering_options, rendering_from
from digitlab.config import MODEL_DIR, model_path
from digitlab.data import load_mnist
from digitlab.evaluate import Rendering, canvas_inputs
from digitlab.inference import load_network
from digitlab.non_digits import DIGIT_LIKE_LETTERS, NON_DIGIT_KINDS, non_digit_inputs
from digitlab.pen import PenDigits, load_pen_digits, load_pen_letters
from digitlab.verdict import DETECTOR_NAME, load_judge

TEST_SAMPLE = Path(__file__).resolve().parent.parent / "tests" / "data" / "pen_letters_sample.npz"
TEST_SAMPLE_SIZE = 200
MEASURE_SEED = 2026  # the made-up non-digits' seed: training uses 0 (and 1000 for its own check)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", default="../shared/data", help="folder with the pen sets and mnist.npz")
    parser.add_argument("--model-dir", default=str(MODEL_DIR), help=f"folder with {DETECTOR_NAME}.onnx/.json")
    parser.add_argument("--limit", type=int, help="at most N pen letters, N pen digits and N MNIST test digits")
    parser.add_argument("--synthetic", type=int, default=500, help="made-up non-digits per kind (default 500)")
    parser.add_argument(
        "--softmax-baseline",
        type=float,
        metavar="P",
        help="refuse when the convnet's top probability is below P, instead of the detector",
    )
    parser.add_argument("--cache", help="folder to keep the drawn pen inputs in between runs")
    add_rendering_options(parser)
    parser.add_argument(
        "--write-test-sample",
        action="store_true",
        help=f"only write {TEST_SAMPLE} ({TEST_SAMPLE_SIZE} random letters that are not digit-like)",
    )
    return parser.parse_args(argv)


def sample(pen: PenDigits, limit: int | None) -> PenDigits:
    """At most `limit` samples, drawn at random with a fixed seed (the files are sorted by source)."""
    if limit is None or limit >= len(pen):
        return pen
    return pen.subset(np.sort(np.random.default_rng(0).choice(len(pen), limit, replace=False)))


def drawn(pen: PenDigits, name: str, cache: str | None, rendering: Rendering) -> tuple[np.ndarray, np.ndarray]:
    """canvas_inputs of the pen set, read from or kept in the cache folder when one is given."""
    otherwise = "" if rendering == Rendering() else "".join(f"-{key}={value}" for key, value in vars(rendering).items())
    file = Path(cache) / f"{name}-{len(pen)}{otherwise}.npz" if cache else None
    if file is not None and file.is_file():
        with np.load(file) as saved:
            return saved["inputs"], saved["has_ink"]
    inputs, has_ink = canvas_inputs(pen, rendering)
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(file, inputs=inputs, has_ink=has_ink)
    return inputs, has_ink


def share(refused: np.ndarray) -> dict:
    return {"refused": round(float(refused.mean()), 4) if len(refused) else None, "samples": int(len(refused))}


def letter_figures(refuse, letters: PenDigits, inputs: np.ndarray, has_ink: np.ndarray) -> dict:
    """Refusal of the letters that are not digit-like, of the digit-like ones, and per letter."""
    refused = np.where(has_ink, refuse(inputs), True)  # a letter read as blank is not called a digit either
    labels = letters.labels.astype(str)
    digit_like = np.isin(labels, sorted(DIGIT_LIKE_LETTERS))
    return {
        "not_digit_like": share(refused[~digit_like]),
        "digit_like": share(refused[digit_like]),
        "blank": int((~has_ink).sum()),
        "per_letter": {c: share(refused[labels == c])["refused"] for c in sorted(set(labels))},
    }


def digit_figures(refuse, digits: PenDigits, inputs: np.ndarray, has_ink: np.ndarray) -> dict:
    """Refusal of the pen digits (blank ones, if any, apart), overall and per digit."""
    refused = refuse(inputs[has_ink])
    labels = digits.labels[has_ink]
    return {
        **share(refused),
        "blank": int((~has_ink).sum()),
        "per_digit": {str(d): share(refused[labels == d])["refused"] for d in range(10)},
    }


def separation(judge, letters: PenDigits, inputs: np.ndarray, has_ink: np.ndarray, digit_inputs: np.ndarray) -> dict:
    """How well the detector tells letters from digits whatever the threshold: the share of the letters that are
    not digit-like it would refuse at the threshold refusing exactly 1 % of the pen digits (not the app's rule)."""
    at = float(np.quantile(judge.digit_scores(digit_inputs), 0.01))
    letters_at = letter_figures(lambda x: judge.digit_scores(x) < at, letters, inputs, has_ink)
    return {"threshold": round(at, 4), "not_digit_like_letters_refused": letters_at["not_digit_like"]}


def synthetic_figures(refuse, count: int, digits: np.ndarray) -> dict:
    """Refusal of each made-up kind; "all" over every kind but the font letters (the pen letters' job)."""
    per_kind = {kind: refuse(non_digit_inputs(kind, count, MEASURE_SEED, digits)) for kind in NON_DIGIT_KINDS}
    drawings = np.concatenate([r for kind, r in per_kind.items() if kind != "font_letter"])
    return {"all_but_font_letters": share(drawings), **{kind: share(r)["refused"] for kind, r in per_kind.items()}}


def ms_per_drawing(judge, network, inputs: np.ndarray, repeats: int = 200) -> float:
    """Median milliseconds of one verdict (detector + decision), one drawing at a time, as on the Draw page."""
    times = []
    for x in inputs[:repeats]:
        probabilities = network.probabilities(x[None])[0]
        started = time.perf_counter()
        judge.verdict(x, probabilities)
        times.append(time.perf_counter() - started)
    return round(float(np.median(times)) * 1000, 3)


def refusal_rule(args):
    """(a function (N, 28, 28) -> (N,) refused, a description, the detector or None)."""
    if args.softmax_baseline is not None:
        network = load_network(model_path("cnn", MODEL_DIR))
        rule = f"convnet's top probability below {args.softmax_baseline}"
        return lambda x: network.probabilities(x).max(axis=1) < args.softmax_baseline, rule, None
    judge = load_judge(args.model_dir)
    return judge.refused, f"{DETECTOR_NAME} P(digit) below {judge.threshold:.4g}", judge


def write_test_sample(letters: PenDigits) -> None:
    """The tests' own small sample of real letters (tests never read ../shared), chosen with seed 0."""
    fair = np.flatnonzero(~np.isin(letters.labels.astype(str), sorted(DIGIT_LIKE_LETTERS)))
    chosen = np.sort(np.random.default_rng(0).choice(fair, TEST_SAMPLE_SIZE, replace=False))
    letters.subset(chosen).save(TEST_SAMPLE)
    print(f"Wrote {TEST_SAMPLE} ({TEST_SAMPLE_SIZE} letters).")


def main(argv=None) -> None:
    args = parse_args(argv)
    shared = Path(args.shared)
    if args.write_test_sample:
        return write_test_sample(load_pen_letters(shared / "pen_letters_dev.npz"))
    refuse, rule, judge = refusal_rule(args)
    mnist = load_mnist(shared / "mnist.npz")
    letters = sample(load_pen_letters(shared / "pen_letters_dev.npz"), args.limit)
    digits = sample(load_pen_digits(shared / "pen_digits_dev.npz"), args.limit)
    rendering = rendering_from(args)
    digit_inputs, digit_ink = drawn(digits, "pen_digits", args.cache, rendering)
    letter_inputs, letter_ink = drawn(letters, "pen_letters", args.cache, rendering)
    test = mnist.x_test[: args.limit] / np.float32(255)
    report = {
        "rule": rule,
        "pen_sets_drawn": vars(rendering),
        "pen_letters": letter_figures(refuse, letters, letter_inputs, letter_ink),
        "synthetic": synthetic_figures(refuse, args.synthetic, mnist.x_test),
        "pen_digits": digit_figures(refuse, digits, digit_inputs, digit_ink),
        "mnist_test": share(refuse(test)),
    }
    if judge is not None:
        network = load_network(model_path("cnn", MODEL_DIR))
        report["ms_per_drawing"] = ms_per_drawing(judge, network, digit_inputs[digit_ink])
        report["at_1_percent_of_pen_digits"] = separation(
            judge, letters, letter_inputs, letter_ink, digit_inputs[digit_ink]
        )
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
