"""The class's own digits: drawings saved with the label their author gave, in a local SQLite file.

Each saved drawing keeps the network's 28 x 28 input (what any network can be re-tested on), a small
re-encoded picture of what was drawn or photographed (never the upload itself: a 19 MB photo would
become a 19 MB row), the label, what the network said, which network and when. So a row costs at most
about 80 KB, and the store at most MAX_DRAWINGS rows. Listing the drawings never reads the pictures,
so the Our class page costs the same whatever was uploaded.

SQLite in WAL mode lets a classroom of sessions save at once without losing a row. A save waits for
another writer at most BUSY_TIMEOUT_S, then fails: a visitor gets an answer within seconds, not a hang.
Every failure of the file (locked, read-only, damaged, in a folder that cannot be made) is a StoreError
whose message a visitor can act on; the server's log keeps the path and SQLite's own words.
"""

import io
import logging
import os
import sqlite3
import sys
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from PIL import Image

from digitlab.config import CANVAS_SIZE, IMAGE_SIZE, NUM_CLASSES
from digitlab.preprocess import grayscale

DATABASE_VARIABLE = "DIGITLAB_CLASS_DB"  # set it to keep the collection somewhere else
BUSY_TIMEOUT_S = 3  # one save takes milliseconds, so a class's saves queue well within this
MAX_DRAWINGS = 5_000  # a class of 30 saving 150 drawings each; then the teacher exports and clears
PICTURE_SIDE = CANVAS_SIZE  # px: the longer side of a saved picture, a canvas's worth

SCHEMA = """
CREATE TABLE IF NOT EXISTS drawings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
    predicted INTEGER CHECK (predicted BETWEEN 0 AND 9),
    network TEXT,
    pixels BLOB NOT NULL,
    picture BLOB
)
"""

# What a visitor is told for each kind of SQLite failure (sqlite3.Error.sqlite_errorname).
BUSY = "The class's collection is busy with other saves. Try again in a moment."
FAILURES = {
    "SQLITE_BUSY": BUSY,
    "SQLITE_LOCKED": BUSY,
    "SQLITE_READONLY": "The class's collection is read-only on this server, so nothing can be saved. Tell the teacher.",
    "SQLITE_NOTADB": "The class's collection file is damaged. Tell the teacher.",
    "SQLITE_CORRUPT": "The class's collection file is damaged. Tell the teacher.",
    "SQLITE_FULL": "The server's disk is full, so nothing can be saved. Tell the teacher.",
}
UNAVAILABLE = "The class's collection cannot be opened on this server. Tell the teacher."

log = logging.getLogger(__name__)


class StoreError(Exception):
    """The collection cannot be read or written now; the message tells a visitor what to do."""


def default_database() -> Path:
    """$DIGITLAB_CLASS_DB, else digitlab/class-digits.sqlite in the user's data folder (never the repository)."""
    if os.environ.get(DATABASE_VARIABLE):
        return Path(os.environ[DATABASE_VARIABLE])
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "digitlab" / "class-digits.sqlite"


def small_picture(picture) -> bytes:
    """A grey PNG of at most PICTURE_SIDE px a side: all a person needs to check a label, at most ~80 KB."""
    image = Image.fromarray(grayscale(picture))
    image.thumbnail((PICTURE_SIDE, PICTURE_SIDE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


@dataclass(frozen=True)
class SavedDrawing:
    id: int
    created: str
    label: int
    predicted: int | None
    network: str | None
    pixels: np.ndarray  # (28, 28) uint8, the network's input


class ClassCollection:
    """The store at `path`. Nothing touches the file until it is first used, so making one never fails."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else default_database()
        self._ready = threading.Lock()
        self._created = False

    def save(
        self, x: np.ndarray, label: int, predicted: int | None = None, network: str | None = None, picture=None
    ) -> int:
        """Stores a drawing's (28, 28) input, pixels in [0, 1], with its label and a small copy of `picture`
        (an image or array, as digitlab.preprocess reads); returns its id."""
        if not 0 <= int(label) < NUM_CLASSES:
            raise ValueError(f"label must be a digit 0-9, got {label}")
        x = np.asarray(x)
        if x.shape != (IMAGE_SIZE, IMAGE_SIZE):
            raise ValueError(f"expected a {IMAGE_SIZE} x {IMAGE_SIZE} input, got {x.shape}")
        pixels = np.clip(np.rint(x * 255), 0, 255).astype(np.uint8) if x.dtype != np.uint8 else x
        row = (
            datetime.now(timezone.utc).isoformat(timespec="seconds"),
            int(label),
            None if predicted is None else int(predicted),
            network,
            pixels.tobytes(),
            None if picture is None else small_picture(picture),
            MAX_DRAWINGS,
        )
        with self._connection() as connection:
            cursor = connection.execute(  # one statement: the count and the insert cannot interleave with others
                "INSERT INTO drawings (created, label, predicted, network, pixels, picture) "
                "SELECT ?, ?, ?, ?, ?, ? WHERE (SELECT COUNT(*) FROM drawings) < ?",
                row,
            )
        if cursor.rowcount != 1:
            raise StoreError(
                f"The class's collection is full ({MAX_DRAWINGS:,} drawings). "
                "The teacher can export it and clear it on the Our class page."
            )
        return int(cursor.lastrowid)

    def delete(self, drawing_id: int) -> bool:
        """Removes one drawing (a wrong label, say); True if it was there."""
        with self._connection() as connection:
            return connection.execute("DELETE FROM drawings WHERE id = ?", (int(drawing_id),)).rowcount == 1

    def clear(self) -> int:
        """Removes every drawing; how many there were."""
        with self._connection() as connection:
            return connection.execute("DELETE FROM drawings").rowcount

    def drawings(self) -> list[SavedDrawing]:
        """Every saved drawing, oldest first, without its picture (see picture())."""
        with self._connection() as connection:
            rows = connection.execute(
                "SELECT id, created, label, predicted, network, pixels FROM drawings ORDER BY id"
            ).fetchall()
        return [
            SavedDrawing(
                id=r[0],
                created=r[1],
                label=r[2],
                predicted=r[3],
                network=r[4],
                pixels=np.frombuffer(r[5], np.uint8).reshape(IMAGE_SIZE, IMAGE_SIZE),
            )
            for r in rows
        ]

    def picture(self, drawing_id: int) -> bytes | None:
        """One drawing's small PNG, as it was drawn or photographed (None if it has none)."""
        with self._connection() as connection:
            row = connection.execute("SELECT picture FROM drawings WHERE id = ?", (int(drawing_id),)).fetchone()
        return row[0] if row else None

    def __len__(self) -> int:
        with self._connection() as connection:
            return connection.execute("SELECT COUNT(*) FROM drawings").fetchone()[0]

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(N, 28, 28) uint8 images and (N,) uint8 labels, as MNIST stores them."""
        saved = self.drawings()
        images = np.stack([d.pixels for d in saved]) if saved else np.zeros((0, IMAGE_SIZE, IMAGE_SIZE), np.uint8)
        return images, np.array([d.label for d in saved], dtype=np.uint8)

    def export_npz(self) -> bytes:
        """The collection as an .npz in Keras's MNIST layout: it is a test set, so it fills x_test and y_test
        (x_train and y_train are empty); np.load(...) reads it without pickle."""
        images, labels = self.arrays()
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            x_train=np.zeros((0, IMAGE_SIZE, IMAGE_SIZE), np.uint8),
            y_train=np.zeros(0, np.uint8),
            x_test=images,
            y_test=labels,
        )
        return buffer.getvalue()

    def _connection(self) -> "_Connection":
        return _Connection(self)

    def _connect(self) -> sqlite3.Connection:
        """A fresh connection per operation (safe from any thread), the table made on first use."""
        connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S)
        with self._ready:
            if not self._created:
                try:
                    connection.execute("PRAGMA journal_mode=WAL")
                    connection.execute(SCHEMA)
                except BaseException:
                    connection.close()
                    raise
                self._created = True
        return connection


class _Connection:
    """`with`: a connection whose statements commit together or not at all, closed afterwards, and whose
    failures become one StoreError (the details go to the server's log)."""

    def __init__(self, collection: ClassCollection):
        self.collection, self.connection = collection, None

    def __enter__(self) -> sqlite3.Connection:
        try:
            self.collection.path.parent.mkdir(parents=True, exist_ok=True)
            self.connection = self.collection._connect()
            self.connection.execute("BEGIN")
        except (sqlite3.Error, OSError) as error:
            self.__exit__(type(error), error, None)
        return self.connection

    def __exit__(self, kind, error, traceback) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                connection.commit() if error is None else connection.rollback()
            except sqlite3.Error as failure:
                error = error or failure
            finally:
                connection.close()
        if isinstance(error, (sqlite3.Error, OSError)):
            log.warning("class collection %s: %s: %s", self.collection.path, type(error).__name__, error)
            raise StoreError(FAILURES.get(getattr(error, "sqlite_errorname", None), UNAVAILABLE)) from error
