"""The MNIST test set bundled with the app (data/mnist_test.npz), so that no page needs the network."""

from pathlib import Path

import numpy as np

from digitlab.config import PROJECT_DIR
from digitlab.data import DataError, validate

BUNDLED_TEST_SET = PROJECT_DIR / "data" / "mnist_test.npz"  # made by: python -m tools.make_bundled_test_set


def load_test_set(path: str | Path = BUNDLED_TEST_SET) -> tuple[np.ndarray, np.ndarray]:
    """MNIST's 10 000 test images (N, 28, 28) uint8 and their labels (N,) uint8, checked like load_mnist's."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {"x_test": npz["x_test"], "y_test": npz["y_test"]}
    except FileNotFoundError as error:
        raise DataError(f"No test set at {path}. Recreate it with: python -m tools.make_bundled_test_set") from error
    except (KeyError, ValueError, OSError) as error:
        raise DataError(
            f"{path} is not a readable MNIST test set ({error}). "
            "Recreate it with: python -m tools.make_bundled_test_set"
        ) from error
    # validate() checks a training and a test split; the test split stands in for both here.
    checked = validate({"x_train": arrays["x_test"], "y_train": arrays["y_test"], **arrays})
    return checked["x_test"], checked["y_test"]
