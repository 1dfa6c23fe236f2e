"""Loading MNIST, from Keras's download or from a local .npz, with clear errors."""

import hashlib
import socket
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitlab.config import IMAGE_SIZE, NUM_CLASSES

MNIST_KEYS = ("x_train", "y_train", "x_test", "y_test")
DOWNLOAD_TIMEOUT_S = 30  # per network operation while downloading


class DataError(Exception):
    """Data that cannot be used; the message says what to do about it."""


@dataclass(frozen=True)
class Mnist:
    x_train: np.ndarray  # (N, 28, 28) uint8, 0 = background, 255 = ink
    y_train: np.ndarray  # (N,) uint8 labels 0-9
    x_test: np.ndarray
    y_test: np.ndarray
    source: str  # "keras" or the file it was read from

    def checksum(self) -> str:
        """SHA-256 of the four arrays' bytes: the same data gives the same sum, whatever the file."""
        digest = hashlib.sha256()
        for key in MNIST_KEYS:
            digest.update(np.ascontiguousarray(getattr(self, key)).tobytes())
        return digest.hexdigest()

    def limited(self, limit: int | None) -> "Mnist":
        """The first `limit` training images (all of them when limit is None); the test set stays whole."""
        if limit is None:
            return self
        if limit < 1:
            raise DataError(f"--limit must be at least 1, got {limit}.")
        return Mnist(self.x_train[:limit], self.y_train[:limit], self.x_test, self.y_test, self.source)


def load_mnist(path: str | Path | None = None) -> Mnist:
    """MNIST from `path` (an .npz with Keras's keys), or downloaded the Keras way when path is None."""
    if path is None:
        arrays, source = _download(), "keras"
    else:
        arrays, source = _read_npz(Path(path)), str(path)
    return Mnist(**validate(arrays), source=source)


def download_or_none() -> Mnist | None:
    """Full MNIST the Keras way (cached in ~/.keras/datasets after one download), or None when it cannot
    be had (offline, say): the teaching pages then fall back to the bundled test set."""
    try:
        return load_mnist()
    except DataError:
        return None


def _download() -> dict:
    from digitlab.backend import import_keras  # imported here: TensorFlow takes seconds to import

    keras = import_keras()
    previous_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)  # Keras's download has none: a silent network would hang forever
    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as error:  # urllib, SSL, DNS, HTTP, time-out and partial-file errors all end here
        raise DataError(
            f"Could not download MNIST ({type(error).__name__}: {error}). "
            "Check your internet connection, or pass a local copy: --data path/to/mnist.npz"
        ) from error
    finally:
        socket.setdefaulttimeout(previous_timeout)
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def _read_npz(path: Path) -> dict:
    if not path.is_file():
        raise DataError(f"No such data file: {path}. Pass the path of an MNIST .npz (keys {', '.join(MNIST_KEYS)}).")
    if not zipfile.is_zipfile(path):
        raise DataError(f"{path} is not a readable .npz file (not a zip archive). Download MNIST again.")
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [key for key in MNIST_KEYS if key not in npz.files]
            if missing:
                raise DataError(
                    f"{path} lacks the key(s) {', '.join(missing)}; an MNIST .npz has {', '.join(MNIST_KEYS)}."
                )
            return {key: npz[key] for key in MNIST_KEYS}
    except DataError:
        raise
    except ValueError as error:  # object arrays, which would need pickle
        raise DataError(f"{path} holds Python objects, not plain arrays; it is refused ({error}).") from error
    except (OSError, zipfile.BadZipFile, EOFError) as error:
        raise DataError(f"{path} is not a readable .npz file ({error}). Download MNIST again.") from error


def validate(arrays: dict) -> dict:
    """The arrays as uint8, checked for MNIST's shapes and labels; a DataError says what is wrong."""
    checked = {}
    for split in ("train", "test"):
        images, labels = np.asarray(arrays[f"x_{split}"]), np.asarray(arrays[f"y_{split}"])
        if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE) or len(images) == 0:
            raise DataError(f"x_{split} has shape {images.shape}; expected (N, {IMAGE_SIZE}, {IMAGE_SIZE}) images.")
        if labels.shape != (len(images),):
            raise DataError(f"y_{split} has shape {labels.shape}; expected ({len(images)},), one label per image.")
        if not np.issubdtype(images.dtype, np.integer):
            raise DataError(f"x_{split} has dtype {images.dtype}; expected integer (uint8) pixels 0-255.")
        if images.min() < 0 or images.max() > 255:
            raise DataError(f"x_{split} has pixels outside 0-255; expected uint8 pixels.")
        if not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0 or labels.max() >= NUM_CLASSES:
            raise DataError(
                f"y_{split} must hold integer labels 0-{NUM_CLASSES - 1}; found {labels.dtype} "
                f"from {labels.min()} to {labels.max()}."
            )
        checked[f"x_{split}"] = images.astype(np.uint8, copy=False)
        checked[f"y_{split}"] = labels.astype(np.uint8, copy=False)
    return checked
