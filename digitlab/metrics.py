"""Figures the lessons show, computed from a training report (model/<network>.json)."""

import numpy as np
import pandas as pd

from digitlab.config import CLASS_NAMES

SETS = {"train": "training", "test": "test"}


def overfitting_turn(history: list[dict], learnt: float = 0.99) -> dict:
    """Where a run turns to memorising, for the lesson's sentences: the first epoch at which the training images
    are `learnt` (None if never), the test accuracy then and at the end, and the epoch of the lowest test loss
    (after it, the network grows surer of its answers on new digits, wrong ones included)."""
    at = next((epoch for epoch in history if epoch["train_accuracy"] >= learnt), None)
    lowest = min(history, key=lambda epoch: epoch["test_loss"])
    return {
        "learnt_epoch": at and at["epoch"],
        "test_then": at and at["test_accuracy"],
        "test_last": history[-1]["test_accuracy"],
        "lowest_test_loss_epoch": lowest["epoch"],
    }


def history_points(history: list[dict]) -> list[dict]:
    """A training history (one dict per epoch) in long form: one point per epoch, set (training/test) and
    measure (accuracy/loss), as plain dicts for a chart."""
    return [
        {"epoch": epoch["epoch"], "set": label, "measure": measure, "value": epoch[f"{key}_{measure}"]}
        for epoch in history
        for key, label in SETS.items()
        for measure in ("accuracy", "loss")
    ]


def accuracy_per_digit(labels: np.ndarray, predicted: np.ndarray) -> pd.DataFrame:
    """One row per digit: how many there are and the share read right (NaN where there are none)."""
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    rows = []
    for digit, name in enumerate(CLASS_NAMES):
        mine = labels == digit
        rows.append(
            {
                "digit": name,
                "count": int(mine.sum()),
                "accuracy": float((predicted[mine] == digit).mean()) if mine.any() else float("nan"),
            }
        )
    return pd.DataFrame(rows)
