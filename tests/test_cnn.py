"""The convnet: its augmentation (digitlab.augment), its network, and a tiny train.py run that saves and reloads it."""

import subprocess
import sys

import numpy as np
import pytest

from support import DATA, ROOT

tf = pytest.importorskip("tensorflow")
from digitlab import augment  # noqa: E402  (needs TensorFlow)
from digitlab.report import Report  # noqa: E402


@pytest.fixture(scope="module")
def batch(mnist_small):
    """32 MNIST training digits as the pipeline feeds them: (32, 28, 28, 1) float32 in [0, 1], and their labels."""
    images = mnist_small.x_train[:32, :, :, None].astype(np.float32) / 255
    return tf.constant(images), tf.constant(mnist_small.y_train[:32].astype(np.int32))


def test_augment_keeps_shape_and_range_and_changes_the_images(batch):
    images, labels = batch
    tf.random.set_seed(0)
    redrawn = augment.augment(images, labels).numpy()
    assert redrawn.shape == images.shape and redrawn.dtype == np.float32
    assert np.isfinite(redrawn).all() and redrawn.min() >= 0 and redrawn.max() <= 1 + 1e-6
    assert np.allclose(redrawn.max(axis=(1, 2, 3)), 1)  # every digit keeps its ink, normalised like the app's
    changed = np.abs(redrawn - images.numpy()).mean(axis=(1, 2, 3)) > 0.005
    assert 0.45 < changed.mean() < 0.85  # most digits are redrawn; about a third stay exactly as MNIST has them
    assert (~changed).any()
    again = augment.augment(images, labels).numpy()
    assert not np.allclose(redrawn, again)  # a fresh redrawing every time


def test_augmented_digits_are_centred_and_sized_like_the_apps(batch):
    images, labels = batch
    tf.random.set_seed(1)
    redrawn = augment.augment(images, labels).numpy()[..., 0]
    grid = np.arange(28)
    mass = redrawn.sum(axis=(1, 2))
    rows = (redrawn.sum(axis=2) @ grid) / mass
    cols = (redrawn.sum(axis=1) @ grid) / mass
    assert np.abs(rows - 14).max() < 2.5 and np.abs(cols - 14).max() < 2.5
    ink = redrawn > 0.1
    height = ink.any(axis=2).sum(axis=1)
    width = ink.any(axis=1).sum(axis=1)
    assert 15 <= np.median(np.maximum(height, width)) <= 23  # about MNIST's 20 px box


def test_thickness_ops_thicken_and_thin(batch):
    images, _ = batch
    ink = float(tf.reduce_sum(images))
    assert float(tf.reduce_sum(augment.dilate(images))) > 1.3 * ink
    assert float(tf.reduce_sum(augment.erode(images))) < 0.7 * ink
    count = len(images)
    widths = [float(tf.reduce_sum(augment.change_thickness(images, tf.fill([count], px)))) for px in (-0.7, 0, 1, 2)]
    assert widths == sorted(widths) and widths[1] == pytest.approx(ink, rel=1e-6)


def test_styles_add_ink_only_to_zeros_ones_and_sevens(batch, monkeypatch):
    images, labels = batch
    monkeypatch.setattr(augment, "STYLE_RATE", {0: 1.0, 1: 1.0, 7: 1.0})
    tf.random.set_seed(2)
    styled = augment.add_styles(images, labels).numpy()
    added = (styled - images.numpy()).sum(axis=(1, 2, 3))
    assert (styled >= images.numpy() - 1e-6).all()  # strokes are only ever added
    chosen = np.isin(labels.numpy(), (0, 1, 7))
    # (a slash can fall on ink already there: a zero written thick enough to be nearly filled)
    assert (added[chosen] > 2).mean() >= 0.8 and np.allclose(added[~chosen], 0), added[chosen]


def test_zeros_are_crossed_flat_slanting_upright_and_leaning_back(batch, monkeypatch):
    """People cross zeros flat (θ), slanting (∅) or upright (ϕ), and an upright stroke may lean either way."""
    images, labels = batch
    zero = images.numpy()[labels.numpy() == 0][:1]
    monkeypatch.setattr(augment, "STYLE_RATE", {0: 1.0, 1: 0.0, 7: 0.0})
    tf.random.set_seed(3)
    crossed = augment.add_styles(tf.constant(np.repeat(zero, 200, axis=0)), tf.zeros(200, tf.int32)).numpy()[..., 0]
    ink = crossed > 0.5
    strokes = ink & ~ink.all(axis=0)  # what was added to the zero's own ink, the same in every copy
    angles = []
    for stroke in strokes:
        rows, cols = np.nonzero(stroke)
        spread = np.cov(cols, -rows)  # x right, y up
        angles.append(np.degrees(0.5 * np.arctan2(2 * spread[0, 1], spread[0, 0] - spread[1, 1])) % 180)
    angles = np.array(angles)  # 0: flat, 90: upright, over 90: the top leans left
    for low, high in [(0, 15), (30, 60), (80, 90), (93, 110)]:
        assert ((angles > low) & (angles < high)).any(), (low, high, np.sort(angles))


def test_cnn_reads_28x28x1_and_is_small_and_fast():
    from digitlab.inference import as_network_input
    from digitlab.networks import build

    model = build("cnn")
    assert model.input_shape == (None, 28, 28, 1) and model.output_shape == (None, 10)
    assert model.count_params() < 800_000
    x = as_network_input(model, np.zeros((1, 28, 28), np.uint8))
    assert x.shape == (1, 28, 28, 1)
    probabilities = np.asarray(model(x, training=False))
    assert probabilities.shape == (1, 10) and probabilities.sum() == pytest.approx(1, abs=1e-5)


def test_train_py_cnn_writes_a_network_that_loads(tmp_path, mnist_small):
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "train.py"),
            "--model",
            "cnn",
            "--limit",
            "500",
            "--epochs",
            "1",
            "--data",
            str(DATA / "mnist_small.npz"),
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    # no temporary files left; the test-set answers kept for the Mistakes page
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cnn.json", "cnn.keras", "cnn.onnx", "cnn.test.npz"]

    report = Report.load(tmp_path / "cnn.json")
    assert report.network == "cnn" and report.recipe.epochs == 1
    assert report.recipe.training_images == 500 and len(report.history) == 1
    assert {"train_accuracy", "test_accuracy", "train_loss", "test_loss", "running_accuracy", "seconds"} <= set(
        report.history[0]
    )
    assert report.recipe.layers[0].startswith("Conv2D(")
    # the last epoch is scored again on the averaged weights, which are the ones saved (checked just below)
    assert {"unaveraged_test_accuracy", "unaveraged_train_accuracy"} <= set(report.history[-1])
    # and again reading each drawing turned and smaller too, which the saved network does (digitlab.ensemble)
    assert {"unturned_test_accuracy", "unturned_train_accuracy"} <= set(report.history[-1])
    from digitlab.ensemble import CONVNET_VIEWS, describe

    assert all(describe(view) in report.recipe.views for view in CONVNET_VIEWS)

    from digitlab.inference import load_network

    network = load_network(tmp_path / "cnn.keras")
    assert [type(layer).__name__ for layer in network.model.layers if "Random" in type(layer).__name__] == []
    predicted = network.probabilities(mnist_small.x_test).argmax(axis=1)
    assert abs((predicted == mnist_small.y_test).mean() - report.test_accuracy) < 1e-3
