"""The committed networks: their accuracy, and ONNX Runtime's reading of their .onnx files against Keras itself."""

import os
import subprocess
import sys

import numpy as np
import pytest

from digitlab.config import model_path, report_path
from digitlab.inference import Network, load_network
from digitlab.model_errors import ModelError
from digitlab.report import Report
from support import ROOT


def test_committed_network_reads_the_committed_mnist_sample(dense_network, mnist_small):
    predicted = dense_network.probabilities(mnist_small.x_test).argmax(axis=1)
    assert (predicted == mnist_small.y_test).mean() >= 0.97


def test_committed_report_matches_the_seed_recipe():
    report = Report.load(report_path("dense"))
    assert report.recipe.epochs == 5 and report.recipe.batch_size == 128
    assert report.recipe.training_images == 60000 and report.recipe.test_images == 10000
    assert report.train_accuracy > report.test_accuracy >= 0.975
    assert len(report.history) == 5


def test_onnx_runtime_equals_keras(dense_network, mnist_small):
    """The committed samples through the committed .onnx (ONNX Runtime) and the committed .keras (Keras)."""
    images = mnist_small.x_test
    keras_output = np.asarray(dense_network.model(images.reshape(len(images), -1).astype(np.float32) / 255))
    np.testing.assert_allclose(dense_network.probabilities(images), keras_output, atol=1e-6)
    floats = images.astype(np.float32) / 255
    np.testing.assert_allclose(dense_network.probabilities(floats), keras_output, atol=1e-6)


def test_missing_and_corrupt_models_say_how_to_fix_them(tmp_path):
    with pytest.raises(ModelError, match="python train.py"):
        load_network(tmp_path / "dense.keras")
    (tmp_path / "dense.keras").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ModelError, match="python train.py --onnx-only --out"):  # the .onnx missing
        load_network(tmp_path / "dense.keras")
    (tmp_path / "dense.onnx").write_bytes(b"\x08\x07\x12 truncated")
    with pytest.raises(ModelError, match="python train.py --out"):
        load_network(tmp_path / "dense.keras")


@pytest.fixture(scope="module")
def cnn_network():
    return load_network(model_path("cnn"))


@pytest.fixture(scope="module")
def convnet_on_pen_dev(cnn_network, pen_dev):
    from digitlab.evaluate import evaluate

    return evaluate(cnn_network, pen_dev)


def test_committed_convnet_reads_mnist_as_its_report_says(cnn_network):
    """On MNIST's whole test set (bundled) it scores what its report says, and at least 99 %."""
    from digitlab.test_set import load_test_set

    images, labels = load_test_set()
    accuracy = (cnn_network.probabilities(images).argmax(axis=1) == labels).mean()
    assert accuracy == pytest.approx(cnn_network.report.test_accuracy, abs=1e-4) and accuracy >= 0.99


def test_committed_convnet_reads_98_percent_of_real_pen_drawn_digits(convnet_on_pen_dev):
    """Issue #3's targets, through the app's own pipeline: >= 98 % of the 6 308 pen-drawn dev digits, and
    >= 95 % for every source with 100 digits or more."""
    assert convnet_on_pen_dev["accuracy"] >= 0.98
    assert {
        source: share["accuracy"]
        for source, share in convnet_on_pen_dev["per_source"].items()
        if share["samples"] >= 100 and share["accuracy"] < 0.95
    } == {}


@pytest.mark.parametrize(
    "variant",
    [{"brush": 8}, {"brush": 40}, {"height": 0.3}, {"height": 0.9}, {"spread": 0.25}, {"black_on_white": True}],
)
def test_convnet_reads_drawings_however_they_are_drawn(cnn_network, pen_dev, convnet_on_pen_dev, variant):
    """Brush width, digit size, position and polarity cost at most 1 point on the whole pen dev set.

    (On a few hundred digits one digit is a third of a point, and the check would measure chance.)"""
    from digitlab.evaluate import Rendering, evaluate

    drawn = evaluate(cnn_network, pen_dev, Rendering(**variant))["accuracy"]
    assert drawn >= convnet_on_pen_dev["accuracy"] - 0.01 - 1e-9


def test_onnx_runtime_equals_keras_for_the_convnet(cnn_network, mnist_small):
    images = mnist_small.x_test  # 1000: in several batches
    keras_output = np.asarray(cnn_network.model(images[..., None].astype(np.float32) / 255, training=False))
    np.testing.assert_allclose(cnn_network.probabilities(images), keras_output, atol=1e-6)
    np.testing.assert_allclose(cnn_network.probabilities(images[:1]), keras_output[:1], atol=1e-6)  # one drawing


def test_the_digit_or_not_detector_in_onnx_runtime_equals_keras(mnist_small):
    import keras

    from digitlab.verdict import load_judge

    images = mnist_small.x_test[:300].astype(np.float32) / 255
    detector = keras.saving.load_model(model_path("digit_or_not"), compile=False)
    expected = np.asarray(detector(images[..., None], training=False))
    np.testing.assert_allclose(load_judge().class_probabilities(images), expected, atol=1e-6)


def test_a_network_in_memory_reads_with_keras(mnist_small):
    """A network just trained (the Train page's) is called directly, with its own input shape."""
    import keras

    model = keras.saving.load_model(model_path("dense"), compile=False)
    network = Network("experiment", model=model)
    assert network.input_shape == (None, 784)
    expected = np.asarray(model(mnist_small.x_test.reshape(-1, 784).astype(np.float32) / 255, training=False))
    np.testing.assert_allclose(network.probabilities(mnist_small.x_test), expected, atol=1e-6)


def test_a_saved_network_reads_drawings_without_importing_tensorflow():
    """The Draw page's path: the .onnx file in ONNX Runtime; TensorFlow takes seconds to import."""
    script = (
        "import sys, numpy as np; from digitlab.config import model_path; "
        "from digitlab.inference import load_network; "
        "[load_network(model_path(n)).probabilities(np.zeros((k, 28, 28), np.float32)) for n in ('dense', 'cnn') "
        "for k in (1, 200)]; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )  # 200: many files
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]


def test_every_layer_kind_exports_to_onnx_as_keras_runs_it(tmp_path):
    """Batch normalisation (moving statistics far from 0 and 1), unpadded and padded convolutions, pooling,
    dropout: the exported graph, read as the app reads it, gives Keras's own answer."""
    import keras
    from keras import layers

    from digitlab.onnx_export import export_onnx

    keras.utils.set_random_seed(3)
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(4, 3, use_bias=False),
            layers.BatchNormalization(),
            layers.Activation("relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(6, 3, padding="same"),
            layers.BatchNormalization(center=False),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax", name="answer"),
        ]
    )
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.set_weights(
                [
                    np.random.default_rng(len(w)).uniform(0.5, 2.0, w.shape).astype(np.float32)
                    for w in layer.get_weights()
                ]
            )
    model.save(tmp_path / "net.keras")
    export_onnx(model, tmp_path / "net.onnx")
    network = load_network(tmp_path / "net.keras")
    images = np.random.default_rng(0).uniform(0, 1, (5, 28, 28)).astype(np.float32)
    expected = np.asarray(model(images[..., None], training=False))
    np.testing.assert_allclose(network.probabilities(images), expected, atol=1e-6)
    assert network._graph is not None  # ONNX Runtime, not Keras


def test_the_server_can_keep_blas_to_one_thread():
    """digitlab.blas finds NumPy's OpenBLAS and sets it to one thread (app.py does, once per server)."""
    script = (
        "from threadpoolctl import threadpool_info; from digitlab.blas import use_one_blas_thread; "
        "assert use_one_blas_thread() >= 1; "
        "print(*{pool['num_threads'] for pool in threadpool_info() if pool['user_api'] == 'blas'})"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "2"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"
