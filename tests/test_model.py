"""The committed seed network: its accuracy, and the fast NumPy path against Keras itself."""

import json

import numpy as np
import pytest

from digitlab.config import model_path, report_path
from digitlab.inference import ModelError, load_network


def test_committed_network_reads_the_committed_mnist_sample(dense_network, mnist_small):
    predicted = dense_network.probabilities(mnist_small.x_test).argmax(axis=1)
    assert (predicted == mnist_small.y_test).mean() >= 0.97


def test_committed_report_matches_the_seed_recipe():
    report = json.loads(report_path("dense").read_text())
    assert report["recipe"]["epochs"] == 5 and report["recipe"]["batch_size"] == 128
    assert report["recipe"]["training_images"] == 60000 and report["recipe"]["test_images"] == 10000
    assert report["train_accuracy"] > report["test_accuracy"] >= 0.975
    assert len(report["history"]) == 5


def test_numpy_forward_pass_equals_keras(dense_network, mnist_small):
    images = mnist_small.x_test[:64]
    keras_output = np.asarray(dense_network.model(images.reshape(64, -1).astype(np.float32) / 255))
    np.testing.assert_allclose(dense_network.probabilities(images), keras_output, atol=1e-5)
    floats = images.astype(np.float32) / 255
    np.testing.assert_allclose(dense_network.probabilities(floats), keras_output, atol=1e-5)


def test_missing_and_corrupt_models_say_how_to_fix_them(tmp_path):
    with pytest.raises(ModelError, match="python train.py"):
        load_network(tmp_path / "dense.keras")
    (tmp_path / "dense.keras").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ModelError, match="python train.py"):
        load_network(tmp_path / "dense.keras")


@pytest.fixture(scope="module")
def cnn_network():
    return load_network(model_path("cnn"))


def test_committed_convnet_reads_mnist_and_pen_digits(cnn_network, mnist_small, pen_sample):
    from digitlab.evaluate import evaluate

    predicted = cnn_network.probabilities(mnist_small.x_test).argmax(axis=1)
    assert (predicted == mnist_small.y_test).mean() >= 0.99
    assert evaluate(cnn_network, pen_sample)["accuracy"] >= 0.97


@pytest.mark.parametrize("variant", [{"brush": 8}, {"brush": 40}, {"height": 0.3}, {"height": 0.9},
                                     {"spread": 0.25}, {"black_on_white": True}])
def test_convnet_reads_drawings_however_they_are_drawn(cnn_network, pen_sample, variant):
    """Brush width, digit size, position and polarity cost at most 1 point on the committed pen sample."""
    from digitlab.evaluate import Rendering, evaluate

    default = evaluate(cnn_network, pen_sample)["accuracy"]
    assert evaluate(cnn_network, pen_sample, Rendering(**variant))["accuracy"] >= default - 0.01 - 1e-9


def test_numpy_forward_pass_equals_keras_for_the_convnet(cnn_network, mnist_small):
    images = mnist_small.x_test[:64]
    keras_output = np.asarray(cnn_network.model(images[..., None].astype(np.float32) / 255))
    np.testing.assert_allclose(cnn_network.probabilities(images), keras_output, atol=1e-5)  # NumPy path
    big_batch = cnn_network.probabilities(mnist_small.x_test[:200])  # Keras path
    np.testing.assert_allclose(big_batch[:64], keras_output, atol=1e-5)
