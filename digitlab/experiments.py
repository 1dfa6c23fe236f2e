"""The Train page's experiment: variants of the seed network, and where their data comes from.

The variants change one thing at a time, so that a learner can see what that one thing does to the gap
between training and test accuracy: the width of the hidden layer, or dropout.
"""

from dataclasses import dataclass

import numpy as np

from digitlab.data import Mnist
from digitlab.test_set import load_test_set


@dataclass(frozen=True)
class Variant:
    title: str
    units: int  # in the one hidden Dense layer
    dropout: float = 0.0  # share of the hidden units silenced at random at each training step


VARIANTS = {
    "seed": Variant("Seed network: Dense 512", 512),
    "smaller": Variant("Smaller: Dense 64", 64),
    "wider": Variant("Wider: Dense 2048", 2048),
    "dropout": Variant("Seed + dropout 0.5", 512, dropout=0.5),
}

TRAINING_SIZES = (500, 1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 60_000)
BATCH_SIZE = 128  # as the seed network's recipe


@dataclass(frozen=True)
class Preset:
    title: str
    variant: str
    training_images: int  # asked for: the nearest size the pool allows is used (see images_for)
    epochs: int
    lesson: str  # {images}: the training images it gets; {times}: how many times the first preset's
    duration: str  # as measured by tools.time_presets (see the README), idle and with the server busy

    def images_for(self, pool: int) -> int:
        """The training size this preset sets when `pool` images are available (offline, only 5 000)."""
        return min(sizes_for(pool), key=lambda size: abs(size - self.training_images))

    def describe(self, pool: int) -> str:
        """The lesson, with the sizes this preset really sets from this pool."""
        images = self.images_for(pool)
        times = images / PRESETS["overfit"].images_for(pool)
        lesson = self.lesson.format(images=f"{images:,}", times=TIMES.get(times, f"{times:g} times"))
        return f"{lesson} {self.duration}"


TIMES = {2: "Twice", 5: "Five times", 10: "Ten times", 20: "Twenty times"}

PRESETS = {
    "overfit": Preset(
        "Make it overfit",
        "seed",
        1_000,
        35,
        "Few images, many epochs: the network learns its {images} training images by heart "
        "(training accuracy near 100 %) while the test accuracy stalls far below.",
        "About half a minute on a quiet server; up to a few minutes on a busy one, as a training gives "
        "way to everything else.",
    ),
    "narrow": Preset(
        "Narrow the gap",
        "dropout",
        10_000,
        15,
        "{times} the images ({images}) and dropout: more to learn from and less to memorise with, "
        "so the test curve follows the training curve much more closely.",
        "About 45 seconds on a quiet server; up to four minutes on a busy one.",
    ),
}


def sizes_for(pool: int) -> list[int]:
    """The training sizes offered for a pool of `pool` images: the usual ones below it, and the whole pool."""
    return [size for size in TRAINING_SIZES if size < pool] + [pool]


def build_variant(name: str):
    """The seed network with this variant's hidden width and dropout, compiled as the seed network is: a
    keras.Model. Keras is imported here, not above: the Train page needs only the settings here, and the
    training (digitlab.training_worker) runs in a process of its own."""
    from digitlab.networks import build_dense

    variant = VARIANTS[name]
    return build_dense(variant.units, variant.dropout, name=f"experiment_{name}")


@dataclass(frozen=True)
class ExperimentData:
    """The images an experiment may train on (the pool), those it is tested on, and where they come from."""

    x_pool: np.ndarray
    y_pool: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str  # plain words, for the page

    def training_set(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        """The first `size` images of the pool (all of them if it holds fewer)."""
        return self.x_pool[:size], self.y_pool[:size]


def experiment_data(mnist: Mnist | None) -> ExperimentData:
    """Full MNIST (60 000 to train on, 10 000 to test; digitlab.data.download_or_none), else the bundled
    test set split in two.

    Offline, the 10 000 bundled test images are dealt alternately into a training pool and a test set
    (5 000 each), so that the network is still tested only on images it never trained on.
    """
    if mnist is not None:
        return ExperimentData(
            mnist.x_train,
            mnist.y_train,
            mnist.x_test,
            mnist.y_test,
            "full MNIST (keras.datasets.mnist): 60 000 training images, 10 000 test images",
        )
    images, labels = load_test_set()
    return ExperimentData(
        images[0::2],
        labels[0::2],
        images[1::2],
        labels[1::2],
        "the bundled MNIST test set, as full MNIST could not be downloaded: "
        f"{len(images[0::2]):,} of its images to train on, the other {len(images[1::2]):,} to test",
    )
