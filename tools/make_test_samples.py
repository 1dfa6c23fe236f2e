"""Cut the small real samples the tests use out of the full data sets in ../shared/data.

    python -m tools.make_test_samples [--shared ../shared/data]

Writes tests/data/mnist_small.npz (the first 2000 training and 1000 test images of MNIST, in Keras's
layout) and data/pen_sample.npz (30 pen-drawn digits of each class, drawn at random with a fixed
seed, in the pen-digit layout), and copies the whole pen-digit dev set to tests/data/pen_dev.npz (6 308
digits, for the convnet's accuracy and robustness targets). Tests never read ../shared: a fresh clone
must pass on its own.
"""

import argparse
import shutil
from pathlib import Path

import numpy as np

from digitlab.config import PEN_SAMPLE, PROJECT_DIR
from digitlab.data import load_mnist
from digitlab.pen import load_pen_digits

TESTS_DATA = PROJECT_DIR / "tests" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", default="../shared/data", help="folder with mnist.npz and pen_digits_dev.npz")
    shared = Path(parser.parse_args().shared)
    TESTS_DATA.mkdir(parents=True, exist_ok=True)

    mnist = load_mnist(shared / "mnist.npz")
    np.savez_compressed(
        TESTS_DATA / "mnist_small.npz",
        x_train=mnist.x_train[:2000],
        y_train=mnist.y_train[:2000],
        x_test=mnist.x_test[:1000],
        y_test=mnist.y_test[:1000],
    )

    pen = load_pen_digits(shared / "pen_digits_dev.npz")
    rng = np.random.default_rng(0)
    chosen = np.sort(
        np.concatenate([rng.choice(np.flatnonzero(pen.labels == d), 30, replace=False) for d in range(10)])
    )
    pen.subset(chosen).save(PEN_SAMPLE)
    shutil.copyfile(shared / "pen_digits_dev.npz", TESTS_DATA / "pen_dev.npz")
    print(f"Wrote {TESTS_DATA}/mnist_small.npz, pen_dev.npz and {PEN_SAMPLE} ({len(chosen)} pen digits).")


if __name__ == "__main__":
    main()
