"""python -m digitlab: read digits in image files, or measure the pipeline on real pen-drawn digits."""

import argparse
import json
import sys

import numpy as np
from tqdm import tqdm

from digitlab.config import IMAGE_SIZE, best_network, onnx_path
from digitlab.data import DataError
from digitlab.evaluate import Rendering
from digitlab.images import ImageError
from digitlab.inference import load_network
from digitlab.model_errors import ModelError
from digitlab.photo import read_photo
from digitlab.verdict import BLANK, DIGIT, NOT_A_DIGIT, DigitJudge, Verdict, load_judge


def progress(items, unit: str):
    """A progress bar on stderr, and only when stderr is a terminal (tqdm's disable=None): stdout stays pure
    JSON lines, and piped or captured runs (scripts, the tests) stay quiet. Erased when done (leave=False)."""
    return tqdm(items, unit=unit, file=sys.stderr, disable=None, leave=False, dynamic_ncols=True)


def predict(args) -> int:
    """One JSON line per readable image, in the order given; one error line on stderr per unreadable one.

    Files are read as the Draw page reads an upload (photo.read_photo): in the formats a photo comes in, as a
    phone photo of paper, and a clean image reads as it would through the canvas's to_mnist."""
    network = load_network(args.model)
    inputs, readable, failed = [], [], 0
    for name in progress(args.images, "file"):
        try:
            x, _ = read_photo(name)
        except ImageError as error:
            tqdm.write(f"error: {error}", file=sys.stderr)  # above the bar, if there is one
            failed += 1
            continue
        readable.append((name, x))
        inputs.append(x if x is not None else np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32))
    probabilities = network.probabilities(np.stack(inputs)) if inputs else []
    judge = digit_judge()
    for (name, x), p in zip(readable, probabilities):
        if judge is not None:
            verdict = judge.verdict(x, p)
        else:
            verdict = Verdict(BLANK, None, "") if x is None else Verdict(DIGIT, int(p.argmax()), "")
        print(
            json.dumps(
                {
                    "file": name,
                    "verdict": verdict.kind,
                    "digit": verdict.digit,
                    **({"reason": verdict.reason} if verdict.kind == NOT_A_DIGIT else {}),
                    "probabilities": [0.0] * len(p) if x is None else [round(float(v), 6) for v in p],
                }
            )
        )
    return 1 if failed else 0


def digit_judge() -> DigitJudge | None:
    """The digit-or-not detector (digitlab.verdict); None, said on stderr, if it cannot be read."""
    try:
        return load_judge()
    except (OSError, ValueError, KeyError) as error:
        print(f"warning: no digit-or-not detector ({error}); every drawing is taken for a digit", file=sys.stderr)
        return None


def evaluate_pen(args) -> int:
    from digitlab.evaluate import error_gallery, evaluate
    from digitlab.pen import load_pen_digits

    pen = load_pen_digits(args.path)
    if args.limit:
        pen = pen.subset(np.arange(min(args.limit, len(pen))))
    rendering = rendering_from(args)
    result = evaluate(
        load_network(args.model),
        pen,
        rendering,
        keep_inputs=bool(args.errors),
        judge=digit_judge(),
        progress=lambda indices: progress(indices, "digit"),
    )
    if args.errors:
        error_gallery(result.pop("inputs"), pen.labels, np.asarray(result["predicted"])).save(args.errors)
    if args.json:
        print(json.dumps({key: value for key, value in result.items() if key != "predicted"}))
        return 0
    print(f"{result['network']} on {result['samples']} pen-drawn digits ({rendering}):")
    unread = f"   ({result['unread']} read as empty)" if result["unread"] else ""
    print(f"  overall      {result['accuracy']:.2%}{unread}")
    if "refused" in result:
        print(f'  refused      {result["refused_share"]:.2%}   ({result["refused"]} called "not a digit")')
    for title, key in (("digit", "per_digit"), ("source", "per_source")):
        for group, share in result[key].items():
            print(f"  {title} {group:<6} {share['accuracy']:.2%}  of {share['samples']}")
    return 0


def add_rendering_options(parser: argparse.ArgumentParser) -> None:
    """How the pen samples are drawn on the canvas (digitlab.evaluate.Rendering), its defaults the options'."""
    drawn = Rendering()
    parser.add_argument("--brush", type=float, default=drawn.brush, help="brush width in px (default: %(default)s)")
    parser.add_argument(
        "--height", type=float, default=drawn.height, help="drawing height, share of the canvas (%(default)s)"
    )
    parser.add_argument(
        "--spread", type=float, default=drawn.spread, help="random offset, share of the canvas (%(default)s)"
    )
    parser.add_argument("--black-on-white", action="store_true", help="draw dark ink on a white canvas")
    parser.add_argument(
        "--seed", type=int, default=drawn.seed, help="seed of the random offsets (default: %(default)s)"
    )


def rendering_from(args: argparse.Namespace) -> Rendering:
    """The Rendering that add_rendering_options's options ask for."""
    return Rendering(
        brush=args.brush, height=args.height, spread=args.spread, black_on_white=args.black_on_white, seed=args.seed
    )


def bench(args) -> int:
    from digitlab.bench import run

    print(json.dumps(run(args.drawings)))
    return 0


def parser() -> argparse.ArgumentParser:
    main_parser = argparse.ArgumentParser(prog="python -m digitlab", description=__doc__)
    commands = main_parser.add_subparsers(dest="command", required=True)
    default_model = str(onnx_path(best_network()))

    reader = commands.add_parser("predict", help="read the digit in each image file; prints JSON lines")
    reader.add_argument(
        "--model", default=default_model, help=f"a saved network, read from its .onnx (default: {default_model})"
    )
    reader.add_argument("images", nargs="+", help="image files (PNG, JPEG, WebP, GIF, BMP or TIFF)")
    reader.set_defaults(run=predict)

    pen = commands.add_parser("evaluate-pen", help="accuracy on real pen-drawn digits drawn as on the canvas")
    pen.add_argument("path", help="a pen-digit .npz (see shared/data/README-pen-digits.md)")
    pen.add_argument(
        "--model", default=default_model, help=f"a saved network, read from its .onnx (default: {default_model})"
    )
    add_rendering_options(pen)
    pen.add_argument("--limit", type=int, help="only the first N samples")
    pen.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    pen.add_argument("--errors", metavar="PNG", help="also save the misread digits, as the network saw them, to PNG")
    pen.set_defaults(run=evaluate_pen)

    timing = commands.add_parser("bench", help="time canvas -> probabilities for each trained network; prints JSON")
    timing.add_argument("--drawings", type=int, default=200, help="how many canvas drawings to time (default: 200)")
    timing.set_defaults(run=bench)
    return main_parser


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except (ModelError, DataError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
