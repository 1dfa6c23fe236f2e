"""Bundle the full MNIST test set with the app, so that its pages work offline on a fresh clone.

    python -m tools.make_bundled_test_set [--mnist ../shared/data/mnist.npz]

Writes data/mnist_test.npz: the 10 000 test images and labels of MNIST (keys x_test, y_test, the
arrays exactly as keras.datasets.mnist.load_data() returns them), compressed to about 2 MB. The
training set (60 000 images, 9 MB more) is not bundled: Keras downloads it when it is needed.
"""

import argparse
from pathlib import Path

import numpy as np

from digitlab.data import load_mnist
from digitlab.test_set import BUNDLED_TEST_SET


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", default="../shared/data/mnist.npz", help="the full MNIST, in Keras's layout")
    mnist = load_mnist(Path(parser.parse_args().mnist))
    BUNDLED_TEST_SET.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(BUNDLED_TEST_SET, x_test=mnist.x_test, y_test=mnist.y_test)
    size = BUNDLED_TEST_SET.stat().st_size / 1e6
    print(f"Wrote {BUNDLED_TEST_SET} ({len(mnist.x_test):,} test images, {size:.1f} MB).")


if __name__ == "__main__":
    main()
