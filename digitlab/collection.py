"""The class's own digits: drawings saved with the label their author gave, in a local SQLite file.

Each saved drawing keeps the network's 28 x 28 input (what any network can be re-tested on), the
original canvas picture, the label, what the network said, which network and when. SQLite in WAL mode
with a busy timeout lets a classroom of sessions save at the same time without losing a row.
"""

import io
import os
import sqlite3
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from digitlab.config import IMAGE_SIZE, NUM_CLASSES

DATABASE_VARIABLE = "DIGITLAB_CLASS_DB"  # set it to keep the collection somewhere else
BUSY_TIMEOUT_S = 30

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


@dataclass(frozen=True)
class SavedDrawing:
    id: int
    created: str
    label: int
    predicted: int | None
    network: str | None
    pixels: np.ndarray  # (28, 28) uint8, the network's input
    picture: bytes | None  # the original canvas or photo, PNG


class ClassCollection:
    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else default_database()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        """A fresh connection per operation: safe from any thread; `with` commits or rolls back."""
        return sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S)

    def save(self, x: np.ndarray, label: int, predicted: int | None = None, network: str | None = None,
             picture: bytes | None = None) -> int:
        """Stores a drawing's (28, 28) input, pixels in [0, 1], with its label; returns its id."""
        if not 0 <= int(label) < NUM_CLASSES:
            raise ValueError(f"label must be a digit 0-9, got {label}")
        x = np.asarray(x)
        if x.shape != (IMAGE_SIZE, IMAGE_SIZE):
            raise ValueError(f"expected a {IMAGE_SIZE} x {IMAGE_SIZE} input, got {x.shape}")
        pixels = np.clip(np.rint(x * 255), 0, 255).astype(np.uint8) if x.dtype != np.uint8 else x
        row = (datetime.now(timezone.utc).isoformat(timespec="seconds"), int(label),
               None if predicted is None else int(predicted), network, pixels.tobytes(), picture)
        connection = self._connect()
        try:
            with connection:
                cursor = connection.execute(
                    "INSERT INTO drawings (created, label, predicted, network, pixels, picture) VALUES (?, ?, ?, ?, ?, ?)",
                    row)
            return int(cursor.lastrowid)
        finally:
            connection.close()

    def delete(self, drawing_id: int) -> bool:
        """Removes one drawing (a wrong label, say); True if it was there."""
        connection = self._connect()
        try:
            with connection:
                return connection.execute("DELETE FROM drawings WHERE id = ?", (int(drawing_id),)).rowcount == 1
        finally:
            connection.close()

    def drawings(self) -> list[SavedDrawing]:
        """Every saved drawing, oldest first."""
        connection = self._connect()
        try:
            rows = connection.execute(
                "SELECT id, created, label, predicted, network, pixels, picture FROM drawings ORDER BY id").fetchall()
        finally:
            connection.close()
        return [SavedDrawing(id=r[0], created=r[1], label=r[2], predicted=r[3], network=r[4],
                             pixels=np.frombuffer(r[5], np.uint8).reshape(IMAGE_SIZE, IMAGE_SIZE), picture=r[6])
                for r in rows]

    def __len__(self) -> int:
        connection = self._connect()
        try:
            return connection.execute("SELECT COUNT(*) FROM drawings").fetchone()[0]
        finally:
            connection.close()

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
        np.savez_compressed(buffer, x_train=np.zeros((0, IMAGE_SIZE, IMAGE_SIZE), np.uint8),
                            y_train=np.zeros(0, np.uint8), x_test=images, y_test=labels)
        return buffer.getvalue()
