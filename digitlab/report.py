"""A network's training report (model/<network>.json): the contract between train.py, the Train page and the lessons.

It is built in one place (Report.of_training, from a training's history), written by digitlab.model_files beside
the weights, and read in one place (Report.load), which checks what the pages use: a page then reads typed
fields, and a damaged or hand-edited report is one ModelError when it is loaded, not a KeyError halfway down a page.
The final scores are the last epoch's (for a network trained with averaged weights, the averaged ones): they are
derived, written into the JSON for people who read it, and never read back.
"""

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from digitlab.model_errors import unreadable_report

Epoch = dict[str, float]  # "epoch", "train_accuracy", "train_loss", "test_accuracy", "test_loss", and optional extras
SCORES = tuple(f"{split}_{measure}" for split in ("train", "test") for measure in ("accuracy", "loss"))
NUMBER = (int, float)


@dataclass(frozen=True)
class Recipe:
    """How the network was trained: enough to train it again."""

    layers: list[str] | str  # each layer as "Dense(512, relu)"; the Train page's runs give their variant's title
    epochs: int
    training_images: int
    test_images: int
    optimizer: str = "rmsprop"
    loss: str = "categorical_crossentropy"
    batch_size: int | None = None
    seed: int | None = None
    pixels: str = "uint8 / 255"
    scored_train_images: int | None = None  # the training images scored after each epoch, if not all of them
    augmentation: str | None = None
    views: str | None = None  # a network that also reads each drawing turned (digitlab.ensemble)
    variant: str | None = None  # the Train page's network variant
    planned_epochs: int | None = None  # the Train page's: a stopped run has fewer epochs

    @property
    def layer_names(self) -> str:
        return self.layers if isinstance(self.layers, str) else " → ".join(self.layers)

    @property
    def epochs_planned(self) -> int:
        return self.planned_epochs or self.epochs

    @property
    def scored_images(self) -> int:
        return self.scored_train_images or self.training_images


@dataclass(frozen=True)
class Report:
    network: str
    recipe: Recipe
    history: list[Epoch]
    parameters: int | None
    seconds: float
    title: str | None = None
    state: str | None = None  # the Train page's: "running", "finished", "stopped"...
    data: dict | None = None  # where the images came from, and their checksum
    versions: dict | None = None
    weights_sha256: str | None = None  # written by digitlab.model_files: the .keras file this report describes
    onnx_sha256: str | None = None  # and the .onnx file (model_files.CHECKSUMS)

    @property
    def last(self) -> Epoch:
        return self.history[-1] if self.history else {}

    @property
    def train_accuracy(self) -> float | None:
        return self.last.get("train_accuracy")

    @property
    def test_accuracy(self) -> float | None:
        return self.last.get("test_accuracy")

    @property
    def gap_points(self) -> float:
        """Training minus test accuracy, in percentage points: how much more the network knows its own images."""
        return 100 * (self.train_accuracy - self.test_accuracy)

    @property
    def epochs_done(self) -> int:
        return len(self.history)

    def to_dict(self) -> dict:
        """The JSON form: the fields that are set, with the final scores written out for a reader of the file."""
        written = {key: value for key, value in asdict(self).items() if value is not None}
        written["recipe"] = {key: value for key, value in written["recipe"].items() if value is not None}
        return {**written, **{score: self.last[score] for score in SCORES if score in self.last}}

    @classmethod
    def of_training(cls, network: str, recipe: Recipe, history: list[Epoch], **details) -> "Report":
        """The report of a training, finished or not: `details` are the other fields (parameters, seconds...)."""
        return cls(network=network, recipe=recipe, history=[dict(epoch) for epoch in history], **details)

    @classmethod
    def load(cls, path: str | Path) -> "Report":
        """The report saved at `path`, checked; or a ModelError that says how to fix it."""
        path = Path(path)
        try:
            saved = json.loads(path.read_text())
        except FileNotFoundError as error:
            raise unreadable_report(path, "does not exist") from error
        except (OSError, ValueError) as error:
            raise unreadable_report(path, f"is not a readable training report ({error})") from error
        if not isinstance(saved, dict):
            raise unreadable_report(path, "is not a training report (its JSON is not an object)")
        wrong = _wrong_fields(saved)
        if wrong:
            raise unreadable_report(
                path, f"is not a usable training report: it lacks {', '.join(wrong)}, or has them in the wrong form"
            )
        return cls.of_training(
            **{**_known(cls, saved), "recipe": Recipe(**_known(Recipe, saved["recipe"])), "history": saved["history"]}
        )


REQUIRED = {"network": str, "recipe": dict, "history": list, "parameters": int, "seconds": NUMBER}
RECIPE_REQUIRED = {"layers": (list, str), "epochs": int, "training_images": int, "test_images": int}
EPOCH_REQUIRED = {"epoch": int, **{score: NUMBER for score in SCORES}}


def _known(kind, saved: dict) -> dict:
    """The keys of `saved` that are fields of the dataclass `kind` (a newer train.py may write more)."""
    return {field.name: saved[field.name] for field in fields(kind) if field.name in saved}


def _wrong_fields(report: dict) -> list[str]:
    """The fields the pages read that are missing or of the wrong type (at most a few of the history's)."""

    def wrong(record, required: dict, prefix: str = "") -> list[str]:
        if not isinstance(record, dict):
            return [prefix.rstrip(".")]
        return [
            prefix + key
            for key, kind in required.items()
            if not isinstance(record.get(key), kind) or isinstance(record.get(key), bool)
        ]

    found = wrong(report, REQUIRED)
    if not found:
        found = wrong(report["recipe"], RECIPE_REQUIRED, "recipe.")
        found += [error for row in report["history"] for error in wrong(row, EPOCH_REQUIRED, "history.")][:3]
        found += [] if report["history"] else ["history (empty)"]
    return found
