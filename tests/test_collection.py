"""The class's SQLite collection: concurrent saves, deletion, and the export round trip."""

import io
import threading

import numpy as np
import pytest

from digitlab.collection import ClassCollection, default_database


@pytest.fixture
def collection(tmp_path):
    return ClassCollection(tmp_path / "class.sqlite")


def test_save_and_read_back(collection, mnist_small):
    x = mnist_small.x_test[0].astype(np.float32) / 255
    drawing_id = collection.save(x, label=7, predicted=7, network="dense", picture=b"\x89PNG...")
    (saved,) = collection.drawings()
    assert saved.id == drawing_id and saved.label == 7 and saved.predicted == 7 and saved.network == "dense"
    np.testing.assert_array_equal(saved.pixels, mnist_small.x_test[0])
    assert saved.picture == b"\x89PNG..." and saved.created.endswith("+00:00")


def test_many_threads_saving_at_once_lose_nothing(collection):
    threads, per_thread = 16, 25
    errors = []

    def save_many(seed):
        rng = np.random.default_rng(seed)
        try:
            for _ in range(per_thread):
                collection.save(rng.random((28, 28)), label=int(rng.integers(10)))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    workers = [threading.Thread(target=save_many, args=(seed,)) for seed in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not errors
    assert len(collection) == threads * per_thread
    assert len({d.id for d in collection.drawings()}) == threads * per_thread


def test_a_wrong_label_can_be_deleted(collection):
    keep = collection.save(np.zeros((28, 28)), label=1)
    wrong = collection.save(np.zeros((28, 28)), label=2)
    assert collection.delete(wrong) is True
    assert collection.delete(wrong) is False
    assert [d.id for d in collection.drawings()] == [keep]


def test_export_round_trips_in_keras_layout(collection, mnist_small):
    for image, label in zip(mnist_small.x_test[:5], mnist_small.y_test[:5]):
        collection.save(image.astype(np.float32) / 255, label=int(label))
    with np.load(io.BytesIO(collection.export_npz()), allow_pickle=False) as npz:
        assert set(npz.files) == {"x_train", "y_train", "x_test", "y_test"}
        np.testing.assert_array_equal(npz["x_test"], mnist_small.x_test[:5])
        np.testing.assert_array_equal(npz["y_test"], mnist_small.y_test[:5])
        assert npz["x_test"].dtype == np.uint8 and npz["x_train"].shape == (0, 28, 28)


def test_bad_saves_are_refused(collection):
    with pytest.raises(ValueError):
        collection.save(np.zeros((28, 28)), label=10)
    with pytest.raises(ValueError):
        collection.save(np.zeros((20, 20)), label=1)
    assert len(collection) == 0


def test_default_database_is_outside_the_repository(monkeypatch, tmp_path):
    from conftest import ROOT

    monkeypatch.delenv("DIGITLAB_CLASS_DB", raising=False)
    assert ROOT not in default_database().parents
    monkeypatch.setenv("DIGITLAB_CLASS_DB", str(tmp_path / "x.sqlite"))
    assert default_database() == tmp_path / "x.sqlite"
