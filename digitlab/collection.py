"""The class's own digits: drawings saved with the label their author gave, in the class store.

Each saved drawing keeps the network's 28 x 28 input (what any network can be re-tested on), a small
re-encoded picture of what was drawn or photographed (never the upload itself: a 19 MB photo would
become a 19 MB row), the label, what the network said, which network and when. So a row costs at most
about 80 KB, and a class's collection at most MAX_DRAWINGS rows. Listing the drawings never reads the
pictures, so the Our class page costs the same whatever was uploaded.

A collection is one class's (digitlab.classes: a class code; without one, the server's default class):
every query names the class, so no class sees, exports or deletes another's drawings. The store is a
SQLite file or a PostgreSQL server (digitlab.database), its tables those of digitlab.schema, brought up
to date on first use.
"""

import io
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np
import sqlalchemy as sa
from PIL import Image

from digitlab.config import CANVAS_SIZE, DEFAULT_CLASS, IMAGE_SIZE, NUM_CLASSES
from digitlab.database import answers_in_time, as_url, default_url, insert_below, transaction
from digitlab.preprocess import grayscale
from digitlab.schema import drawings, ready
from digitlab.store_errors import AlreadySaved, StoreError

TOO_MANY = "That is a lot of saving from here: wait a minute, then save again."
MAX_DRAWINGS = 5_000  # a class of 30 saving 150 drawings each; then the teacher exports and clears
PICTURE_SIDE = CANVAS_SIZE  # px: the longer side of a saved picture, a canvas's worth


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
    """One class's drawings in the store at `location` (a SQLite path or a database URL; default: $DIGITLAB_CLASS_DB
    or a file in the user's data folder). Nothing touches the store until it is first used, so making one never
    fails."""

    def __init__(self, location=None, class_code: str = DEFAULT_CLASS):
        self.url = as_url(location) if location else default_url()
        self.class_code = class_code

    @answers_in_time
    def save(
        self,
        x: np.ndarray,
        label: int,
        predicted: int | None = None,
        network: str | None = None,
        picture=None,
        token: str | None = None,
        visitor: str | None = None,
        per_minute: int | None = None,
    ) -> int:
        """Stores a drawing's (28, 28) input, pixels in [0, 1], with its label and a small copy of `picture`
        (an image or array, as digitlab.preprocess reads); returns its id.

        token: the page's name for this drawing. A save of the same token again (a double click, a retry after
        an answer that never came, a save whose process died before it could say so) stores nothing and raises
        AlreadySaved. visitor and per_minute: at most per_minute saves a minute from that visitor, counted in
        the store, so across every process and session; one more raises StoreError."""
        if not 0 <= int(label) < NUM_CLASSES:
            raise ValueError(f"label must be a digit 0-9, got {label}")
        x = np.asarray(x)
        if x.shape != (IMAGE_SIZE, IMAGE_SIZE):
            raise ValueError(f"expected a {IMAGE_SIZE} x {IMAGE_SIZE} input, got {x.shape}")
        pixels = np.clip(np.rint(x * 255), 0, 255).astype(np.uint8) if x.dtype != np.uint8 else x
        now = datetime.now(timezone.utc)
        row = {
            "created": now.isoformat(timespec="seconds"),
            "label": int(label),
            "predicted": None if predicted is None else int(predicted),
            "network": network,
            "pixels": pixels.tobytes(),
            "picture": None if picture is None else small_picture(picture),
            "class_code": self.class_code,
            "token": token,
            "visitor": visitor,
        }
        recent = None
        if visitor is not None and per_minute is not None:
            since = (now - timedelta(minutes=1)).isoformat(timespec="seconds")
            recent = (
                sa.select(sa.func.count())
                .select_from(drawings)
                .where(drawings.c.visitor == visitor, drawings.c.created > since)
                .scalar_subquery()
            ) < per_minute
        try:
            with self._transaction() as connection:
                self._not_saved_yet(connection, token)
                made = insert_below(
                    connection, drawings, row, self._count(), MAX_DRAWINGS, f"save:{self.class_code}", also=recent
                )
        except StoreError as error:
            if token is not None and isinstance(error.__cause__, sa.exc.IntegrityError):  # saved a moment ago
                with self._transaction() as connection:
                    self._not_saved_yet(connection, token)
            raise
        if made is None:
            if recent is not None and len(self) < MAX_DRAWINGS:
                raise StoreError(TOO_MANY)
            raise StoreError(
                f"The class's collection is full ({MAX_DRAWINGS:,} drawings). "
                "The teacher can export it and clear it on the Our class page."
            )
        return int(made)

    def _not_saved_yet(self, connection: sa.Connection, token: str | None) -> None:
        """Raises AlreadySaved if a drawing of the class has this token."""
        if token is not None:
            query = sa.select(drawings.c.id).where(self._mine(), drawings.c.token == token)
            if (found := connection.execute(query).scalar()) is not None:
                raise AlreadySaved(int(found))

    @answers_in_time
    def delete(self, drawing_id: int) -> bool:
        """Removes one of the class's drawings (a wrong label, say); True if it was there."""
        with self._transaction() as connection:
            return (
                connection.execute(sa.delete(drawings).where(self._mine(), drawings.c.id == int(drawing_id))).rowcount
                == 1
            )

    @answers_in_time
    def clear(self) -> int:
        """Removes every drawing of the class; how many there were."""
        with self._transaction() as connection:
            return connection.execute(sa.delete(drawings).where(self._mine())).rowcount

    @answers_in_time
    def drawings(self) -> list[SavedDrawing]:
        """Every drawing of the class, oldest first, without its picture (see picture())."""
        columns = [drawings.c[name] for name in ("id", "created", "label", "predicted", "network", "pixels")]
        with self._transaction() as connection:
            rows = connection.execute(sa.select(*columns).where(self._mine()).order_by(drawings.c.id)).all()
        return [
            SavedDrawing(
                id=r.id,
                created=r.created,
                label=r.label,
                predicted=r.predicted,
                network=r.network,
                pixels=np.frombuffer(r.pixels, np.uint8).reshape(IMAGE_SIZE, IMAGE_SIZE),
            )
            for r in rows
        ]

    @answers_in_time
    def picture(self, drawing_id: int) -> bytes | None:
        """One drawing's small PNG, as it was drawn or photographed (None if it has none, or is another class's)."""
        with self._transaction() as connection:
            query = sa.select(drawings.c.picture).where(self._mine(), drawings.c.id == int(drawing_id))
            return connection.execute(query).scalar()

    @answers_in_time
    def __len__(self) -> int:
        with self._transaction() as connection:
            return connection.execute(sa.select(self._count())).scalar()

    @answers_in_time
    def version(self) -> tuple[int, int]:
        """(how many drawings, the newest id): it changes with every save and delete, and costs one small query,
        so a page can ask every few seconds whether it must be drawn again."""
        query = sa.select(sa.func.count(), sa.func.coalesce(sa.func.max(drawings.c.id), 0)).where(self._mine())
        with self._transaction() as connection:
            found, newest = connection.execute(query).one()
        return int(found), int(newest)

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

    def _mine(self):
        return drawings.c.class_code == self.class_code

    def _count(self):
        return sa.select(sa.func.count()).select_from(drawings).where(self._mine()).scalar_subquery()

    def _transaction(self):
        return transaction(ready(self.url))
