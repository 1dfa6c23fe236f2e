"""The class's collection, on SQLite and on PostgreSQL: concurrent saves, deletion, the export round trip, classes
kept apart, older stores upgraded, and its bounds and failures."""

import io
import threading
import time

import numpy as np
import pytest
from PIL import Image

from digitlab import collection as store
from digitlab.collection import ClassCollection
from digitlab.database import as_url, default_path, default_url
from digitlab.store_errors import StoreError
from support import STORE_FAILURES, broken_store


@pytest.fixture
def collection(store_url):
    return ClassCollection(store_url)


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


def save_from_threads(collection, threads: int, per_thread: int) -> list[Exception]:
    """Each thread saves `per_thread` drawings, all at once; the errors they met."""
    errors = []

    def save_many(seed):
        rng = np.random.default_rng(seed)
        for _ in range(per_thread):
            try:
                collection.save(rng.random((28, 28)), label=int(rng.integers(10)))
            except Exception as error:
                errors.append(error)

    workers = [threading.Thread(target=save_many, args=(seed,)) for seed in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return errors


def test_many_threads_saving_at_once_lose_nothing(collection):
    threads, per_thread = 16, 25
    assert save_from_threads(collection, threads, per_thread) == []
    assert len(collection) == threads * per_thread
    assert len({d.id for d in collection.drawings()}) == threads * per_thread


def test_saves_at_once_never_overfill_a_class(collection, monkeypatch):
    """The count and the insert are one step even when 16 saves race for the last places."""
    monkeypatch.setattr(store, "MAX_DRAWINGS", 50)
    errors = save_from_threads(collection, 16, 5)
    assert len(collection) == 50
    assert len(errors) == 30 and all(isinstance(e, StoreError) and "full" in str(e) for e in errors)


def test_each_class_sees_only_its_own_drawings(store_url, monkeypatch):
    """Listing, reading a picture, counting, deleting, clearing, exporting and the limit: one class's, never
    another's, even given the other's ids."""
    monkeypatch.setattr(store, "MAX_DRAWINGS", 3)
    ours, theirs, default = (ClassCollection(store_url, code) for code in ("ABC234", "XYZ789", ""))
    picture = np.full((50, 50), 255, np.uint8)
    our_ids = [ours.save(np.zeros((28, 28)), label=1, picture=picture) for _ in range(3)]
    their_id = theirs.save(np.ones((28, 28)), label=2, picture=picture)
    default.save(np.ones((28, 28)), label=3)
    assert [d.id for d in ours.drawings()] == our_ids and [d.id for d in theirs.drawings()] == [their_id]
    assert len(ours) == 3 and len(theirs) == 1 and len(default) == 1
    assert ours.picture(their_id) is None and theirs.picture(our_ids[0]) is None and ours.picture(our_ids[0])
    assert theirs.arrays()[1].tolist() == [2]
    assert ours.delete(their_id) is False and len(theirs) == 1
    assert ours.clear() == 3 and len(theirs) == 1 and len(default) == 1
    for _ in range(2):
        theirs.save(np.zeros((28, 28)), label=4)  # the limit is the class's: "theirs" fills up, not "ours"
    with pytest.raises(StoreError, match="full"):
        theirs.save(np.zeros((28, 28)), label=4)
    ours.save(np.zeros((28, 28)), label=5)


OLD_SCHEMA = """
CREATE TABLE IF NOT EXISTS drawings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
    predicted INTEGER CHECK (predicted BETWEEN 0 AND 9),
    network TEXT,
    pixels BLOB NOT NULL,
    picture BLOB
)
"""  # the SQLite file of Digit Lab 0.7, before class codes


def test_a_store_from_before_class_codes_is_upgraded_in_place(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as old:
        old.execute(OLD_SCHEMA)
        old.execute(
            "INSERT INTO drawings (created, label, predicted, network, pixels) VALUES (?, 7, 1, 'cnn', ?)",
            ("2026-11-01T10:00:00+00:00", bytes(range(256)) * 3 + bytes(16)),
        )
    old.close()
    (kept,) = ClassCollection(path).drawings()
    assert (kept.id, kept.label, kept.predicted, kept.network) == (1, 7, 1, "cnn") and kept.pixels[0, 5] == 5
    assert ClassCollection(path, "ABC234").drawings() == []
    assert ClassCollection(path).save(np.zeros((28, 28)), label=2) == 2


def test_migration_runs_once_whoever_comes_first(store_url):
    """Processes that start together on a new store: each migrates, one does the work, none fails."""
    from digitlab.schema import VERSION, migrate

    url, before = as_url(store_url), []
    workers = [threading.Thread(target=lambda: before.append(migrate(url))) for _ in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(before) == [0] + [VERSION] * 5


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


def test_default_store_is_outside_the_repository_and_the_variable_takes_a_path_or_a_url(monkeypatch, tmp_path):
    from support import ROOT

    monkeypatch.delenv("DIGITLAB_CLASS_DB", raising=False)
    assert ROOT not in default_path().parents and default_url() == f"sqlite:///{default_path()}"
    monkeypatch.setenv("DIGITLAB_CLASS_DB", str(tmp_path / "x.sqlite"))
    assert default_url() == f"sqlite:///{tmp_path / 'x.sqlite'}"
    monkeypatch.setenv("DIGITLAB_CLASS_DB", "postgresql://teacher:secret@db.school/digits")
    assert default_url() == "postgresql+psycopg://teacher:secret@db.school/digits"


def test_a_database_server_that_is_down_or_locked_fails_fast_with_one_clear_message(postgres_server, caplog):
    """No server at the address: the visitor is told at once. A table another connection holds locked: within
    the busy timeout, "busy". Never the URL, its password or the driver's words."""
    import psycopg

    down = ClassCollection(postgres_server.replace("host=/tmp/", "host=/tmp/gone-") + "&password=hunter2")
    started = time.perf_counter()
    with pytest.raises(StoreError, match="not answering") as raised:
        down.save(np.zeros((28, 28)), label=3)
    assert time.perf_counter() - started < 5 and "hunter2" not in str(raised.value) + caplog.text
    assert "gone-" in caplog.text

    ClassCollection(postgres_server).save(np.zeros((28, 28)), label=1)
    with psycopg.connect(postgres_server) as holder:
        holder.execute("LOCK TABLE drawings IN ACCESS EXCLUSIVE MODE")
        started = time.perf_counter()
        with pytest.raises(StoreError, match="busy") as raised:
            ClassCollection(postgres_server).save(np.zeros((28, 28)), label=3)
        assert time.perf_counter() - started < 5
    assert "postgres" not in str(raised.value).lower() and len(str(raised.value)) < 120


def test_when_every_connection_is_taken_a_save_says_busy_in_seconds(store_url_postgresql, monkeypatch):
    """A crowd of saves on a PostgreSQL store: the pool's connections all in use, the next one waits at most
    the busy timeout, then is told to try again, not shown a traceback."""
    from digitlab import database

    url = as_url(store_url_postgresql)
    ClassCollection(url).save(np.zeros((28, 28)), label=1)  # made and migrated
    engine = database.engine(url)
    held = [engine.connect() for _ in range(engine.pool.size() + engine.pool._max_overflow)]
    try:
        started = time.perf_counter()
        with pytest.raises(StoreError, match="busy"):
            ClassCollection(url).save(np.zeros((28, 28)), label=2)
        assert time.perf_counter() - started < database.BUSY_TIMEOUT_S + 2
    finally:
        for connection in held:
            connection.close()
    assert len(ClassCollection(url)) == 1


def test_a_save_repeated_with_its_token_is_stored_once(store_url):
    from digitlab.store_errors import AlreadySaved

    collection = ClassCollection(store_url)
    first = collection.save(np.zeros((28, 28)), label=3, token="t1")
    with pytest.raises(AlreadySaved) as again:  # a double click, or a retry after a crash, on any process
        collection.save(np.zeros((28, 28)), label=5, token="t1")
    assert again.value.drawing_id == first and [d.label for d in collection.drawings()] == [3]
    assert ClassCollection(store_url, "ABCDEF").save(np.zeros((28, 28)), label=3, token="t1")  # another class's


def test_saves_a_minute_are_counted_per_visitor_across_sessions(store_url):
    """However many sessions a visitor opens, the store counts its saves; a refused save is not counted."""
    collection = ClassCollection(store_url)
    stored = refused = 0
    for session in range(30):
        try:
            collection.save(np.full((28, 28), session / 30), label=1, visitor="one address", per_minute=12)
            stored += 1
        except StoreError as error:
            assert "wait a minute" in str(error)
            refused += 1
    assert (stored, refused) == (12, 18)
    assert collection.save(np.zeros((28, 28)), label=2, visitor="another address", per_minute=12)


FROZEN_S = 20  # a database server stopped dead (SIGSTOP) for this long, as a hung disk or a swapping host would
ANSWER_GOAL_S = 3.5  # every save answers within this, however long the server stays frozen


def test_a_frozen_database_answers_every_save_in_seconds_and_loses_none(store_url_postgresql):
    """Every save answers within 3.5 s while the server is frozen; after the thaw, every save that said it was
    stored is there, and one that was given up on is stored at most once, and once when tried again."""
    import signal
    import threading

    import psutil

    from digitlab.store_errors import AlreadySaved
    from tools.postgres import server_pid

    collection = ClassCollection(store_url_postgresql)
    collection.save(np.zeros((28, 28)), label=0, token="before")  # made and migrated
    postmaster = psutil.Process(server_pid(store_url_postgresql))
    outcomes, stop = [], threading.Event()

    def saver(n: int) -> None:
        k = 0
        while not stop.is_set():
            token, started = f"{n}-{k}", time.perf_counter()
            try:
                outcomes.append((token, collection.save(np.full((28, 28), 0.5), label=k % 10, token=token)))
            except StoreError:
                outcomes.append((token, None))
            outcomes[-1] += (time.perf_counter() - started,)
            k += 1
            time.sleep(0.2)

    savers = [threading.Thread(target=saver, args=(n,)) for n in range(4)]
    for thread in savers:
        thread.start()
    time.sleep(1)
    frozen = [postmaster, *postmaster.children(recursive=True)]
    try:
        for process in frozen:
            process.send_signal(signal.SIGSTOP)
        time.sleep(FROZEN_S)
    finally:
        for process in frozen:
            process.send_signal(signal.SIGCONT)
    time.sleep(1)
    stop.set()
    for thread in savers:
        thread.join()

    slowest = max(seconds for *_, seconds in outcomes)
    given_up = [token for token, made, _ in outcomes if made is None]
    assert slowest <= ANSWER_GOAL_S and len(given_up) >= 4  # each saver was told, in time, at least once
    deadline = time.monotonic() + 30  # the calls given up on finish once the server answers again
    while time.monotonic() < deadline:
        try:
            for token in given_up:
                try:
                    collection.save(np.full((28, 28), 0.5), label=1, token=token)
                except AlreadySaved:
                    pass
            break
        except StoreError:
            time.sleep(1)
    stored = {d.id for d in collection.drawings()}
    assert {made for _, made, _ in outcomes if made is not None} <= stored  # none that said "saved" is lost
    assert len(stored) == 1 + len(outcomes)  # every drawing once: none twice, whatever was given up on


def test_a_save_repeated_after_its_process_was_killed_mid_save_is_stored_once(store_url):
    """A server process killed while it saves, before it could say so: the student presses Save again (served by
    another process) and each drawing is stored once, the one in flight too, whether or not it had landed."""
    import signal
    import subprocess
    import sys

    from digitlab.store_errors import AlreadySaved
    from support import ROOT

    saving = (
        "import numpy as np\n"
        "from digitlab.collection import ClassCollection\n"
        f"collection = ClassCollection({str(store_url)!r})\n"
        "for k in range(100_000):\n"
        "    collection.save(np.full((28, 28), 0.5), label=k % 10, token=f't{k}')\n"
        "    print(k, flush=True)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", saving], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    confirmed = [int(child.stdout.readline()) for _ in range(20)][-1]  # saves it said were done
    child.send_signal(signal.SIGKILL)  # in the middle of a later one, most likely
    child.wait()
    confirmed = max([confirmed, *(int(line) for line in child.stdout.read().split())])
    again = []
    for k in range(confirmed + 2):  # every drawing it confirmed, and the one it was saving when it died
        try:
            ClassCollection(store_url).save(np.full((28, 28), 0.5), label=k % 10, token=f"t{k}")
            again.append(k)
        except AlreadySaved:
            pass
    assert set(again) <= {confirmed + 1}  # none it confirmed is stored twice
    assert len(ClassCollection(store_url)) == confirmed + 2  # each once
