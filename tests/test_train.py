"""train.py end to end on a small slice, then the saved network loaded and used; a bad --out refused at once;
train.py killed while it saves."""

import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from digitlab.config import model_path, onnx_path, report_path
from digitlab.inference import load_network
from digitlab.model_errors import ModelError
from digitlab.model_files import settle
from digitlab.report import Report
from support import DATA, ROOT
from test_model_files import KILLER


def run_train(*args):
    return subprocess.run(
        [sys.executable, str(ROOT / "train.py"), *args], capture_output=True, text=True, timeout=600, cwd=ROOT
    )


def test_trains_saves_and_reloads(tmp_path, mnist_small):
    result = run_train(
        "--data", str(DATA / "mnist_small.npz"), "--limit", "2000", "--epochs", "1", "--out", str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dense.json", "dense.keras", "dense.onnx", "dense.test.npz"]
    # no temporary files left; the test-set answers kept for the Mistakes page

    report = Report.load(tmp_path / "dense.json")
    assert report.recipe.layers == ["Dense(512, relu)", "Dense(10, softmax)"]
    assert report.recipe.training_images == 2000 and report.recipe.epochs == 1
    assert report.parameters == 784 * 512 + 512 + 512 * 10 + 10
    assert len(report.history) == 1
    epoch = report.history[0]
    assert {"train_accuracy", "test_accuracy", "train_loss", "test_loss", "running_accuracy"} <= set(epoch)
    assert report.test_accuracy == epoch["test_accuracy"] and report.data["sha256"] == mnist_small.checksum()
    assert report.weights_sha256 == hashlib.sha256((tmp_path / "dense.keras").read_bytes()).hexdigest()
    assert report.onnx_sha256 == hashlib.sha256((tmp_path / "dense.onnx").read_bytes()).hexdigest()

    network = load_network(tmp_path / "dense.keras")
    probabilities = network.probabilities(mnist_small.x_test)  # ONNX Runtime, from the .onnx
    keras_output = network.model(mnist_small.x_test.reshape(-1, 784).astype(np.float32) / 255, training=False)
    np.testing.assert_allclose(probabilities, np.asarray(keras_output), atol=1e-6)
    predicted = probabilities.argmax(axis=1)
    accuracy = (predicted == mnist_small.y_test).mean()
    assert abs(accuracy - report.test_accuracy) < 1e-3  # same test set, same network, same figure
    assert accuracy > 0.8


def test_same_seed_same_network(tmp_path):
    for run in ("a", "b"):
        result = run_train(
            "--data",
            str(DATA / "mnist_small.npz"),
            "--limit",
            "300",
            "--epochs",
            "1",
            "--seed",
            "7",
            "--out",
            str(tmp_path / run),
        )
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
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dense.json", "dense.keras", "dense.onnx"]
    assert np.isfinite(load_network(tmp_path / "dense.keras").probabilities(mnist_small.x_test[:5])).all()


# train.py run in a child that then says whether TensorFlow was imported
TRAIN_AND_TELL = """
import runpy, sys
sys.argv = ["train.py", *sys.argv[1:]]
try:
    runpy.run_path("train.py", run_name="__main__")
finally:
    print("TensorFlow imported" if "tensorflow" in sys.modules else "TensorFlow not imported")
"""


@pytest.mark.parametrize("out", ["a-file", "a-file/below", "/proc/digitlab-nowhere"])
def test_an_unwritable_out_stops_before_loading_data_or_tensorflow(tmp_path, out):
    (tmp_path / "a-file").write_text("not a folder")
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", TRAIN_AND_TELL, "--data", str(DATA / "mnist_small.npz"), "--out", str(tmp_path / out)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert time.perf_counter() - started < 20
    assert result.returncode == 2, result.stderr
    assert result.stdout == "TensorFlow not imported\n"  # and no "Training ..." line
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert str(tmp_path / out) in result.stderr and "Traceback" not in result.stderr


def test_a_failed_save_is_one_line_and_leaves_no_litter(tmp_path, monkeypatch, capsys):
    import train
    from digitlab import model_files

    def disk_full(*args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(model_files, "_commit", disk_full)
    assert (
        train.main(["--data", str(DATA / "mnist_small.npz"), "--limit", "300", "--epochs", "1", "--out", str(tmp_path)])
        == 2
    )
    assert capsys.readouterr().err == f"error: cannot save into {tmp_path}: No space left on device\n"
    assert list(tmp_path.iterdir()) == []


# train.py run in a child that is killed, once the network is trained and written, at the (argv[1])-th rename
KILL_TRAIN_WHILE_SAVING = (
    KILLER
    + """
import runpy
from digitlab import model_files

kill_at, sys.argv = int(sys.argv[1]), ["train.py", *sys.argv[2:]]
save_network = model_files.save_network

def save_network_then_die(folder, name, report, keras, onnx):
    def write_then_arm(path):
        onnx(path)
        arm(kill_at, operations=("replace",))  # counted from here: the journal's rename, then the .keras's, ...
    return save_network(folder, name, report, keras=keras, onnx=write_then_arm)

model_files.save_network = save_network_then_die  # before train.py imports digitlab.training, which imports it
runpy.run_path("train.py", run_name="__main__")
"""
)


def test_train_killed_between_its_renames_leaves_matching_files_once_settled(tmp_path, mnist_small):
    """The issue's case: killed inside save(), train.py had left new weights beside the old report (and now
    could leave them beside the old .onnx)."""
    for path in (model_path("dense"), onnx_path("dense"), report_path("dense")):
        shutil.copy(path, tmp_path)
    old_report, old_onnx = report_path("dense", tmp_path).read_bytes(), onnx_path("dense", tmp_path).read_bytes()
    killed_before_renaming_the_onnx = [sys.executable, "-u", "-c", KILL_TRAIN_WHILE_SAVING, "2"]  # journal, .keras
    result = subprocess.run(
        [
            *killed_before_renaming_the_onnx,
            "--data",
            str(DATA / "mnist_small.npz"),
            "--limit",
            "300",
            "--epochs",
            "1",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert "Training 'dense' on 300 images" in result.stdout and "Saved" not in result.stdout
    weights = model_path("dense", tmp_path).read_bytes()
    assert weights != model_path("dense").read_bytes() and report_path("dense", tmp_path).read_bytes() == old_report
    assert onnx_path("dense", tmp_path).read_bytes() == old_onnx  # the new weights beside the old .onnx, until...

    settle(tmp_path, "dense")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dense.json", "dense.keras", "dense.onnx"]
    report = Report.load(report_path("dense", tmp_path))
    assert model_path("dense", tmp_path).read_bytes() == weights  # the new files, finished
    assert report.weights_sha256 == hashlib.sha256(weights).hexdigest()
    assert (
        report.onnx_sha256
        == hashlib.sha256(onnx_path("dense", tmp_path).read_bytes()).hexdigest()
        != (hashlib.sha256(old_onnx).hexdigest())
    )
    assert report.recipe.training_images == 300
    assert np.isfinite(load_network(model_path("dense", tmp_path)).probabilities(mnist_small.x_test[:5])).all()


def test_onnx_only_exports_the_saved_network_without_training(tmp_path, mnist_small):
    """A network saved before the app read .onnx files: refused with the command, which then makes its .onnx."""
    shutil.copy(model_path("dense"), tmp_path)
    report = json.loads(report_path("dense").read_text())
    del report["onnx_sha256"]
    report_path("dense", tmp_path).write_text(json.dumps(report))
    with pytest.raises(ModelError, match="--onnx-only"):
        load_network(model_path("dense", tmp_path))

    result = run_train("--onnx-only", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dense.json", "dense.keras", "dense.onnx"]
    saved = json.loads(report_path("dense", tmp_path).read_text())
    assert saved == {**report, "onnx_sha256": hashlib.sha256(onnx_path("dense", tmp_path).read_bytes()).hexdigest()}
    exported = load_network(model_path("dense", tmp_path)).probabilities(mnist_small.x_test[:100])
    np.testing.assert_allclose(exported, load_network(model_path("dense")).probabilities(mnist_small.x_test[:100]))


def test_onnx_only_refuses_weights_its_report_does_not_describe(tmp_path):
    shutil.copy(model_path("dense"), tmp_path)
    shutil.copy(report_path("cnn"), report_path("dense", tmp_path))
    result = run_train("--onnx-only", "--out", str(tmp_path))
    assert result.returncode == 2 and "does not describe the weights" in result.stderr
    assert "Traceback" not in result.stderr and not onnx_path("dense", tmp_path).exists()
