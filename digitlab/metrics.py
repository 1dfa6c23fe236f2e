"""Figures the lessons show, computed from a training report (model/<network>.json)."""

import pandas as pd

SETS = {"train": "training", "test": "test"}


def accuracy_gap_points(report: dict) -> float:
    """Training minus test accuracy, in percentage points."""
    return 100 * (report["train_accuracy"] - report["test_accuracy"])


def history_table(report: dict) -> pd.DataFrame:
    """The per-epoch history in long form: one row per epoch, set (training/test) and measure (accuracy/loss)."""
    rows = [
        {"epoch": epoch["epoch"], "set": label, "measure": measure, "value": epoch[f"{key}_{measure}"]}
        for epoch in report["history"]
        for key, label in SETS.items()
        for measure in ("accuracy", "loss")
    ]
    return pd.DataFrame(rows, columns=["epoch", "set", "measure", "value"])
