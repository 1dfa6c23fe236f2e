"""The class store's tables, and the steps that bring any older store up to them.

A store outlives the code that made it: a teacher's SQLite file from last term, a school's PostgreSQL
database. So the schema has a version, kept in the store itself (table schema_version), and MIGRATIONS
holds one step per version, each applied once, in order, in the same transaction as the version it
records: a store is never left half-way. Version 1 is the store before class codes; a file made by that
code has its table already and no schema_version, which reads as version 0 and is upgraded in place.
"""

import logging
import threading

import sqlalchemy as sa

from digitlab.config import DEFAULT_CLASS
from digitlab.database import shown, take_turns, transaction
from digitlab.store_errors import UNAVAILABLE, StoreError

CODE_LENGTH = 6

metadata = sa.MetaData()
log = logging.getLogger(__name__)


def _drawings(into: sa.MetaData, *more: sa.Column) -> sa.Table:
    return sa.Table(
        "drawings",
        into,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created", sa.Text, nullable=False),
        sa.Column("label", sa.Integer, sa.CheckConstraint("label BETWEEN 0 AND 9"), nullable=False),
        sa.Column("predicted", sa.Integer, sa.CheckConstraint("predicted BETWEEN 0 AND 9")),
        sa.Column("network", sa.Text),
        sa.Column("pixels", sa.LargeBinary, nullable=False),
        sa.Column("picture", sa.LargeBinary),
        *more,
        sqlite_autoincrement=True,  # ids are never reused: "drawing #12" stays one drawing, even after deletes
    )


CLASS_COLUMN = sa.Column("class_code", sa.String(CODE_LENGTH), nullable=False, server_default=DEFAULT_CLASS)
SAVE_COLUMNS = (
    sa.Column("token", sa.String(64)),  # the page's name for the drawing: a save repeated is found, not stored again
    sa.Column("visitor", sa.String(64)),  # a hash of the address it came from: saves a minute are counted by it
)
SAVE_INDEXES = (
    sa.Index("drawings_by_token", "class_code", "token", unique=True),
    sa.Index("drawings_by_visitor", "visitor", "created"),
)
CLASS_INDEX = sa.Index("drawings_by_class", "class_code", "id")
drawings = _drawings(metadata, CLASS_COLUMN, *SAVE_COLUMNS, CLASS_INDEX, *SAVE_INDEXES)
classes = sa.Table(
    "classes",
    metadata,
    sa.Column("code", sa.String(CODE_LENGTH), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("key_hash", sa.LargeBinary, nullable=False),  # digitlab.classes: scrypt of the class's teacher key
    sa.Column("salt", sa.LargeBinary, nullable=False),
    sa.Column("created", sa.Text, nullable=False),
)
members = sa.Table(
    "members",
    metadata,
    sa.Column("class_code", sa.String(CODE_LENGTH), primary_key=True),
    sa.Column("browser", sa.String(64), primary_key=True),  # a hash of the browser's id (app_pages.shared.browser_id)
    sa.Column("joined", sa.Text, nullable=False),
)
trainings = sa.Table(
    "trainings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),  # also the order of the line to train
    sa.Column("class_code", sa.String(CODE_LENGTH), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # digitlab.live_training's WAITING, RUNNING, FINISHED...
    sa.Column("reason", sa.Text),  # why it stopped or failed, when no one pressed Stop
    sa.Column("owner", sa.String(64), nullable=False),  # a hash of the starter's browser id
    sa.Column("by_teacher", sa.Boolean, nullable=False),
    sa.Column("variant", sa.String(32), nullable=False),
    sa.Column("images", sa.Integer, nullable=False),
    sa.Column("test_images", sa.Integer, nullable=False),
    sa.Column("epochs", sa.Integer, nullable=False),
    sa.Column("batch_size", sa.Integer, nullable=False),
    sa.Column("batches", sa.Integer, nullable=False),
    sa.Column("history", sa.Text, nullable=False),  # JSON: one object per finished epoch
    sa.Column("seconds", sa.Float, nullable=False),
    sa.Column("created", sa.Text, nullable=False),
    sa.Column("heartbeat", sa.Float, nullable=False),  # Unix time of the owning process's last word
    sa.Column("watched", sa.Float, nullable=False),  # Unix time a viewer last looked (from any process)
    sa.Column("stop_requested", sa.Boolean, nullable=False),
    sa.Index("trainings_by_class", "class_code", "id"),
    sa.Index("trainings_by_state", "state", "id"),
    sqlite_autoincrement=True,
)
tries = sa.Table(
    "tries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),  # what was tried: a class code, a key (digitlab.tries)
    sa.Column("visitor", sa.String(64), nullable=False),  # a hash of the address it came from
    sa.Column("at", sa.Float, nullable=False),  # Unix time
    sa.Index("tries_by_kind", "kind", "at"),
)
schema_version = sa.Table("schema_version", metadata, sa.Column("version", sa.Integer, nullable=False))


def _v1(connection) -> None:
    """The drawings, one collection for the whole server (a store from before class codes has it already)."""
    _drawings(sa.MetaData()).create(connection, checkfirst=True)


def _v2(connection) -> None:
    """Class codes: each drawing belongs to a class (the old ones to the default class), and a table of classes."""
    kind = CLASS_COLUMN.type.compile(connection.dialect)
    connection.execute(sa.text(f"ALTER TABLE drawings ADD COLUMN class_code {kind} NOT NULL DEFAULT '{DEFAULT_CLASS}'"))
    CLASS_INDEX.create(connection)
    classes.create(connection)


def _v3(connection) -> None:
    """Who joined each class: one row per browser, so that the room sees how many have come in."""
    members.create(connection)


def _v4(connection) -> None:
    """Trainings in the store, so that every process serving a class can show its training and queue the next."""
    trainings.create(connection)


def _v5(connection) -> None:
    """Saves that can be repeated safely (a token per drawing) and counted per visitor, and the tries of codes
    and keys, counted across all of a school's processes."""
    for column in SAVE_COLUMNS:
        kind = column.type.compile(connection.dialect)
        connection.execute(sa.text(f"ALTER TABLE drawings ADD COLUMN {column.name} {kind}"))
    for index in SAVE_INDEXES:
        index.create(connection)
    tries.create(connection)


MIGRATIONS = (_v1, _v2, _v3, _v4, _v5)  # MIGRATIONS[n] takes a store from version n to n + 1
VERSION = len(MIGRATIONS)
_migrated: set[str] = set()
_migrating = threading.Lock()


def migrate(url: str) -> int:
    """Brings the store at `url` to VERSION (from any older version, or from nothing); its version before."""
    with transaction(url, writes_first=True) as connection:
        take_turns(connection, "migrate")  # one process migrates, the others wait for it
        schema_version.create(connection, checkfirst=True)
        found = connection.execute(sa.select(sa.func.max(schema_version.c.version))).scalar()
        before = found or 0
        if before > VERSION:  # made by a newer Digit Lab: writing to it could lose what that version keeps
            log.warning("class store %s: schema version %s, newer than this code's %s", shown(url), before, VERSION)
            raise StoreError(UNAVAILABLE)
        for step in MIGRATIONS[before:]:
            step(connection)
        if before < VERSION:
            connection.execute(sa.delete(schema_version))
            connection.execute(sa.insert(schema_version).values(version=VERSION))
    return before


def ready(url: str) -> str:
    """`url`, its store migrated (once per process; a failure is a StoreError, and the next use tries again)."""
    with _migrating:
        if url not in _migrated:
            migrate(url)
            _migrated.add(url)
    return url
