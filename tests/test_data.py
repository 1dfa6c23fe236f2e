import numpy as np
import pytest

from digitlab.data import DataError, load_mnist


def write_npz(path, **overrides):
    arrays = {
        "x_train": np.zeros((5, 28, 28), np.uint8),
        "y_train": np.arange(5, dtype=np.uint8),
        "x_test": np.zeros((3, 28, 28), np.uint8),
        "y_test": np.arange(3, dtype=np.uint8),
    }
    arrays.update(overrides)
    np.savez(path, **{key: value for key, value in arrays.items() if value is not None})
    return path


def test_reads_a_well_formed_file(tmp_path):
    data = load_mnist(write_npz(tmp_path / "ok.npz"))
    assert data.x_train.shape == (5, 28, 28) and data.x_train.dtype == np.uint8 and len(data.y_test) == 3
    assert data.source.endswith("ok.npz") and len(data.checksum()) == 64


def test_committed_sample_is_real_mnist(mnist_small):
    assert mnist_small.x_train.shape == (2000, 28, 28) and mnist_small.x_test.shape == (1000, 28, 28)
    assert set(np.unique(mnist_small.y_test)) == set(range(10))


def test_limit_keeps_the_first_training_images_and_the_whole_test_set(mnist_small):
    limited = mnist_small.limited(100)
    assert len(limited.x_train) == 100 and len(limited.x_test) == len(mnist_small.x_test)
    np.testing.assert_array_equal(limited.x_train, mnist_small.x_train[:100])


@pytest.mark.parametrize(
    "overrides,words",
    [
        ({"x_test": None}, "lacks the key(s) x_test"),
        ({"x_train": np.zeros((5, 32, 32), np.uint8)}, "x_train has shape (5, 32, 32)"),
        ({"y_train": np.arange(4, dtype=np.uint8)}, "y_train has shape (4,)"),
        ({"y_test": np.array([0, 1, 10], np.uint8)}, "labels 0-9"),
        ({"y_test": np.array([0, 1, -1], np.int64)}, "labels 0-9"),
        ({"x_train": np.zeros((5, 28, 28), np.float32)}, "dtype float32"),
        ({"x_test": np.full((3, 28, 28), 300, np.int32)}, "outside 0-255"),
    ],
)
def test_malformed_files_are_refused_with_one_clear_sentence(tmp_path, overrides, words):
    with pytest.raises(DataError, match=None) as caught:
        load_mnist(write_npz(tmp_path / "bad.npz", **overrides))
    assert words in str(caught.value)


def test_pickled_objects_are_refused(tmp_path):
    path = write_npz(tmp_path / "pickled.npz", y_train=np.array([0, 1, 2, 3, object()], dtype=object))
    with pytest.raises(DataError, match="Python objects"):
        load_mnist(path)


def test_missing_and_foreign_files(tmp_path):
    with pytest.raises(DataError, match="No such data file"):
        load_mnist(tmp_path / "absent.npz")
    (tmp_path / "text.npz").write_text("not a zip")
    with pytest.raises(DataError, match="not a readable .npz"):
        load_mnist(tmp_path / "text.npz")


def test_failed_download_says_what_to_do(monkeypatch):
    from keras.datasets import mnist

    def offline(*args, **kwargs):
        raise OSError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(mnist, "load_data", offline)
    with pytest.raises(DataError, match="--data path/to/mnist.npz"):
        load_mnist()
