"""train.py end to end on a small slice, then the saved network loaded and used."""

import json
import subprocess
import sys

import numpy as np

from conftest import DATA, ROOT
from digitlab.inference import load_network


def run_train(*args):
    return subprocess.run([sys.executable, str(ROOT / "train.py"), *args], capture_output=True, text=True,
                          timeout=600, cwd=ROOT)


def test_trains_saves_and_reloads(tmp_path, mnist_small):
    result = run_train("--data", str(DATA / "mnist_small.npz"), "--limit", "2000", "--epochs", "1",
                       "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dense.json", "dense.keras"]  # no temporary files left

    report = json.loads((tmp_path / "dense.json").read_text())
    assert report["recipe"]["layers"] == ["Dense(512, relu)", "Dense(10, softmax)"]
    assert report["recipe"]["training_images"] == 2000 and report["recipe"]["epochs"] == 1
    assert report["parameters"] == 784 * 512 + 512 + 512 * 10 + 10
    assert len(report["history"]) == 1
    epoch = report["history"][0]
    assert {"train_accuracy", "test_accuracy", "train_loss", "test_loss", "running_accuracy"} <= set(epoch)
    assert report["test_accuracy"] == epoch["test_accuracy"] and report["data"]["sha256"] == mnist_small.checksum()

    network = load_network(tmp_path / "dense.keras")
    predicted = network.probabilities(mnist_small.x_test).argmax(axis=1)
    accuracy = (predicted == mnist_small.y_test).mean()
    assert abs(accuracy - report["test_accuracy"]) < 1e-3  # same test set, same network, same figure
    assert accuracy > 0.8


def test_same_seed_same_network(tmp_path):
    for run in ("a", "b"):
        result = run_train("--data", str(DATA / "mnist_small.npz"), "--limit", "300", "--epochs", "1",
                           "--seed", "7", "--out", str(tmp_path / run))
        assert result.returncode == 0, result.stderr
    a, b = (json.loads((tmp_path / run / "dense.json").read_text()) for run in ("a", "b"))
    assert a["history"][0]["train_loss"] == b["history"][0]["train_loss"]


def test_bad_data_stops_with_one_sentence_and_writes_nothing(tmp_path):
    result = run_train("--data", str(tmp_path / "absent.npz"), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "No such data file" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_bad_options_are_refused():
    result = run_train("--epochs", "0")
    assert result.returncode == 2 and "--epochs must be at least 1" in result.stderr


def test_interrupted_save_keeps_the_old_model(tmp_path, monkeypatch, mnist_small):
    """A crash while writing leaves the previous files in place (the write goes to a temporary file first)."""
    import pytest

    from digitlab import training

    model, report = training.train(mnist_small.limited(200), epochs=1, verbose=0)
    training.save(model, report, tmp_path, "dense")
    before = (tmp_path / "dense.keras").read_bytes()

    def crash(path):
        open(path, "wb").write(b"half a model")
        raise KeyboardInterrupt

    monkeypatch.setattr(model, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        training.save(model, report, tmp_path, "dense")
    assert (tmp_path / "dense.keras").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dense.json", "dense.keras"]
    assert np.isfinite(load_network(tmp_path / "dense.keras").probabilities(mnist_small.x_test[:5])).all()
