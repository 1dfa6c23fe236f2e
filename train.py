"""Train a network on MNIST and save it into model/ with its training history and test scores.

python train.py                          # the seed recipe, MNIST downloaded the Keras way
python train.py --data path/to/mnist.npz # offline, from a local copy
python train.py --limit 2000 --epochs 20 --out /tmp/overfit
python train.py --model cnn --test-answers-only   # for the Mistakes page, without training again
python train.py --model cnn --onnx-only           # the .onnx the app reads, from the saved .keras
"""

import argparse
import sys

from digitlab.backend import import_keras
from digitlab.config import NETWORKS, SEED_NETWORK, model_dir, model_path, onnx_path, report_path
from digitlab.data import DataError, load_mnist
from digitlab.mistakes import keep_answers_on_test_set
from digitlab.model_errors import ModelError
from digitlab.model_files import OutputError, check_writable

SAVED = (model_path, onnx_path, report_path)  # the files of a network that train.py writes


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train a network on MNIST and save it with its history.")
    parser.add_argument(
        "--model",
        choices=NETWORKS,
        default=SEED_NETWORK,
        help=f"which network (default: {SEED_NETWORK}, the seed recipe)",
    )
    parser.add_argument(
        "--epochs", type=int, help="passes over the training set (default: the network's own recipe; dense: 5)"
    )
    parser.add_argument(
        "--batch-size", type=int, help="images per gradient step (default: the network's own recipe; dense: 128)"
    )
    parser.add_argument("--data", help="a local MNIST .npz (x_train, y_train, x_test, y_test); default: download")
    parser.add_argument(
        "--out", default=str(model_dir()), help="folder for <model>.keras, .onnx and .json (default: model/)"
    )
    parser.add_argument("--limit", type=int, help="train on the first N training images only")
    parser.add_argument("--seed", type=int, default=0, help="random seed, for a reproducible run (default: 0)")
    parser.add_argument(
        "--test-answers-only",
        action="store_true",
        help="do not train: keep the saved network's answers on the test set, for the Mistakes page",
    )
    parser.add_argument(
        "--onnx-only",
        action="store_true",
        help="do not train: export the saved network to <model>.onnx (what the app reads) and note it in its report",
    )
    args = parser.parse_args(argv)
    for option in ("epochs", "batch_size"):
        if getattr(args, option) is not None and getattr(args, option) < 1:
            parser.error(f"--{option.replace('_', '-')} must be at least 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.test_answers_only:
        return keep_test_answers(model_path(args.model, args.out))
    if args.onnx_only:
        return add_onnx_file(args.out, args.model)
    try:
        check_writable(args.out)  # now, not after minutes of training (and seconds of importing TensorFlow)
        data = load_mnist(args.data).limited(args.limit)
    except (OutputError, DataError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    import_keras()  # TensorFlow takes seconds to import, and says a lot while it does
    from digitlab.training import save, train

    print(f"Training '{args.model}' on {len(data.x_train)} images from {data.source}, testing on {len(data.x_test)}.")
    try:
        model, report = train(
            data, args.model, args.epochs, args.batch_size, args.seed, verbose=1 if sys.stdout.isatty() else 2
        )
    except KeyboardInterrupt:
        print(f"\nInterrupted: nothing was written to {args.out}.", file=sys.stderr)
        return 130
    try:
        save(model, report, args.out, args.model)
    except OSError as error:  # the folder changed during training (removed, made read-only, disk full)
        print(f"error: cannot save into {args.out}: {error.strerror or error}", file=sys.stderr)
        return 2
    print(
        f"Training accuracy {report.train_accuracy:.2%}, test accuracy {report.test_accuracy:.2%} "
        f"({report.seconds:.0f} s). Saved {', '.join(str(path(args.model, args.out)) for path in SAVED)}."
    )
    return keep_test_answers(model_path(args.model, args.out))


def add_onnx_file(folder, name: str) -> int:
    """The saved network exported to ONNX, without training (for networks saved before the app read .onnx)."""
    import_keras()
    from digitlab.onnx_export import add_onnx

    try:
        written = add_onnx(folder, name)
    except (OSError, ValueError) as error:
        print(f"error: no .onnx was written: {error}", file=sys.stderr)
        return 2
    print(f"Saved {written}, and its checksum in {report_path(name, folder)}.")
    return 0


def keep_test_answers(model_file) -> int:
    """The network's answers on the test set, kept beside it: the Mistakes page then opens at once."""
    try:
        kept = keep_answers_on_test_set(model_file)
    except (ModelError, DataError, OSError) as error:
        print(
            f"error: the test-set answers were not kept ({error}); the Mistakes page will compute them.",
            file=sys.stderr,
        )
        return 2
    print(f"Kept its answers on the test set in {kept}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
