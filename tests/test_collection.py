"""The class's SQLite collection: concurrent saves, deletion, the export round trip, and its bounds and failures."""

import io
import threading
import time

import numpy as np
import pytest
from PIL import Image

from digitlab import collection as store
from digitlab.collection import ClassCollection, StoreError, default_database
from support import STORE_FAILURES, broken_store


@pytest.fixture
def collection(tmp_path):
    return ClassCollection(tmp_path / "class.sqlite")


def test_save_and_read_back(collection, mnist_small):
    x = mnist_small.x_test[0].astype(np.float32) / 255
    canvas = np.zeros((560, 560, 4), np.uint8)  # a high-DPI canvas: white ink, transparent around it
    canvas[100:400, 250:300] = 255
    drawing_id = collection.save(x, label=7, predicted=7, network="dense", picture=canvas)
    (saved,) = collection.drawings()
    assert saved.id == drawing_id and saved.label == 7 and saved.predicted == 7 and saved.network == "dense"
    np.testing.assert_array_equal(saved.pixels, mnist_small.x_test[0])
    assert saved.created.endswith("+00:00") and not hasattr(saved, "picture")  # listing never reads pictures
    picture = Image.open(io.BytesIO(collection.picture(drawing_id)))
    assert picture.format == "PNG" and picture.size == (280, 280) and picture.mode == "L"
    assert np.asarray(picture)[125:200, 130:145].min() > 200 and np.asarray(picture)[:40].max() < 20


def test_a_big_photo_is_stored_small(collection):
    """A 12-megapixel photo of pure noise (the worst case for PNG) keeps at most 280 px and ~80 KB."""
    noise = np.random.default_rng(0).integers(0, 256, (3000, 4000, 3), dtype=np.uint8)
    drawing_id = collection.save(np.zeros((28, 28)), label=1, picture=Image.fromarray(noise))
    stored = collection.picture(drawing_id)
    assert max(Image.open(io.BytesIO(stored)).size) == 280 and len(stored) <= 100_000


def test_a_full_collection_refuses_more(collection, monkeypatch):
    monkeypatch.setattr(store, "MAX_DRAWINGS", 3)
    for _ in range(3):
        collection.save(np.zeros((28, 28)), label=1)
    with pytest.raises(StoreError, match="full"):
        collection.save(np.zeros((28, 28)), label=1)
    assert len(collection) == 3
    assert collection.clear() == 3 and len(collection) == 0


@pytest.mark.parametrize("kind", STORE_FAILURES)
def test_a_broken_store_fails_fast_with_one_clear_message(tmp_path, kind, caplog):
    """Read-only, damaged, unreachable or locked: a StoreError within 5 s, its message without paths, the
    details in the log."""
    with broken_store(kind, tmp_path) as path:
        started = time.perf_counter()
        with pytest.raises(StoreError) as raised:
            ClassCollection(path).save(np.zeros((28, 28)), label=3)
        assert time.perf_counter() - started < 5
    message = str(raised.value)
    assert str(tmp_path) not in message and "sqlite" not in message.lower() and len(message) < 120
    assert str(path) in caplog.text


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
    from support import ROOT

    monkeypatch.delenv("DIGITLAB_CLASS_DB", raising=False)
    assert ROOT not in default_database().parents
    monkeypatch.setenv("DIGITLAB_CLASS_DB", str(tmp_path / "x.sqlite"))
    assert default_database() == tmp_path / "x.sqlite"
