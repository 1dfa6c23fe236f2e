"""Figures the lessons show, computed from a training report (model/<network>.json)."""

import numpy as np
import pandas as pd

from digitlab.config import CLASS_NAMES

SETS = {"train": "training", "test": "test"}


def accuracy_gap_points(report: dict) -> float:
    """Training minus test accuracy, in percentage points."""
    return 100 * (report["train_accuracy"] - report["test_accuracy"])


def history_points(history: list[dict]) -> list[dict]:
    """A training history (one dict per epoch) in long form: one point per epoch, set (training/test) and
    measure (accuracy/loss), as plain dicts for a chart."""
    return [{"epoch": epoch["epoch"], "set": label, "measure": measure, "value": epoch[f"{key}_{measure}"]}
            for epoch in history for key, label in SETS.items() for measure in ("accuracy", "loss")]


def accuracy_per_digit(labels: np.ndarray, predicted: np.ndarray) -> pd.DataFrame:
    """One row per digit: how many there are and the share read right (NaN where there are none)."""
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    rows = []
    for digit, name in enumerate(CLASS_NAMES):
        mine = labels == digit
        rows.append({"digit": name, "count": int(mine.sum()),
                     "accuracy": float((predicted[mine] == digit).mean()) if mine.any() else float("nan")})
    return pd.DataFrame(rows)
