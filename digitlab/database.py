"""The class store's database: one SQLAlchemy engine per URL, and every failure of it as one message.

A classroom server keeps the class's drawings in a SQLite file (the default, nothing to install). A school
serves from several processes, often on hosts whose disk does not last, so the store can also be a shared
PostgreSQL server: $DIGITLAB_CLASS_DB takes a URL (postgresql://user:password@host/db) as well as a path.
Both go through SQLAlchemy Core, so the queries are written once (digitlab.collection, digitlab.classes).

A visitor must get an answer within seconds, never a hang or a traceback: a write waits for others at most
BUSY_TIMEOUT_S, a server that does not answer is given up on as fast, and every database failure becomes a
StoreError whose message a visitor can act on; the server's log keeps the URL (without its password) and the
driver's own words.
"""

import concurrent.futures
import contextlib
import functools
import hashlib
import logging
import os
import sqlite3
import sys
import threading
from pathlib import Path

import sqlalchemy as sa

from digitlab.store_errors import BUSY, FAILURES, NOT_ANSWERING, UNAVAILABLE, StoreError

DATABASE_VARIABLE = "DIGITLAB_CLASS_DB"  # a path (SQLite) or a URL; set it to keep the collection elsewhere
BUSY_TIMEOUT_S = 2  # one save takes milliseconds, so a class's saves queue well within this
ANSWER_S = 3.0  # every call to the store answers within this, whatever the database does (see answers_in_time)
# The database's own limits end before ANSWER_S, so that a visitor is told what happened (busy, full, ...)
# whenever the database can say it; ANSWER_S is for when it cannot.
CALLERS = 64  # store calls running at once in a process; more wait their turn, within ANSWER_S

log = logging.getLogger(__name__)


_callers = concurrent.futures.ThreadPoolExecutor(max_workers=CALLERS, thread_name_prefix="store")
_on_caller = threading.local()


def answers_in_time(function):
    """Makes `function` (a call to the store) answer within ANSWER_S: with the result, or a StoreError saying the
    store does not answer.

    The database's own timeouts are enforced by its server, so a server that is frozen (stopped, swapping, its
    disk hung) enforces none, and the driver waits as long as the socket stays open: a visitor would too. So the
    call runs on a thread of its own, and the visitor's thread waits for it at most ANSWER_S. A call given up
    on finishes by itself once the database answers again: what it writes is written, or not, in one
    transaction, never half (a save that lands late is found again by its token: digitlab.collection)."""

    @functools.wraps(function)
    def within(*args, **kwargs):
        if getattr(_on_caller, "busy", False):  # a store call inside another: already on a store thread
            return function(*args, **kwargs)
        call = _callers.submit(_on_store_thread, function, args, kwargs)
        try:
            return call.result(timeout=ANSWER_S)
        except concurrent.futures.TimeoutError:
            call.cancel()  # if it has not started, it never will
            log.warning("class store: %s did not answer within %s s", function.__qualname__, ANSWER_S)
            raise StoreError(NOT_ANSWERING) from None

    return within


def _on_store_thread(function, args, kwargs):
    _on_caller.busy = True
    try:
        return function(*args, **kwargs)
    finally:
        _on_caller.busy = False


def default_url() -> str:
    """$DIGITLAB_CLASS_DB as a URL (a plain path is a SQLite file), else the SQLite file of default_path()."""
    given = os.environ.get(DATABASE_VARIABLE)
    return as_url(given) if given else as_url(default_path())


def default_path() -> Path:
    """digitlab/class-digits.sqlite in the user's data folder: never the repository."""
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "digitlab" / "class-digits.sqlite"


def as_url(location: str | Path) -> str:
    """A URL for SQLAlchemy: a path becomes sqlite:///path, and postgresql:// speaks through psycopg 3."""
    text = str(location)
    if "://" not in text:
        return f"sqlite:///{Path(text).expanduser()}"
    if text.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    return text


def shown(url: str) -> str:
    """The URL for the server's log: without its password (given before the host, or as ?password=)."""
    parsed = sa.make_url(url)
    if "password" in parsed.query:
        parsed = parsed.update_query_dict({"password": "***"})
    return parsed.render_as_string(hide_password=True)


@functools.cache
def engine(url: str) -> sa.Engine:
    """The engine (and its pool of connections) for `url`, made once per process; nothing connects yet."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        # A connection per use, as sqlite3 costs a fraction of a millisecond to open: a file made read-only,
        # replaced or moved is seen as it is now, not as a pooled connection opened it.
        made = sa.create_engine(parsed, poolclass=sa.pool.NullPool, connect_args={"timeout": BUSY_TIMEOUT_S})
        sa.event.listen(made, "connect", _sqlite_settings)
        sa.event.listen(made, "begin", _sqlite_begin)
        return made
    settings = f"-c lock_timeout={BUSY_TIMEOUT_S * 1000} -c statement_timeout={int(ANSWER_S * 800)}"
    return sa.create_engine(
        parsed,
        pool_pre_ping=True,  # a connection the database server dropped (a restart) is replaced, not used
        pool_timeout=BUSY_TIMEOUT_S,  # every pooled connection busy: as long as a lock, then "busy"
        connect_args={"connect_timeout": BUSY_TIMEOUT_S, "options": settings},
    )


def _sqlite_settings(connection, _record) -> None:
    """WAL lets a class's sessions read while one saves. The driver's own BEGIN is turned off: _sqlite_begin
    says it (SQLAlchemy's recipe for pysqlite), so that a transaction can take the write lock first."""
    connection.isolation_level = None
    connection.execute("PRAGMA journal_mode=WAL")


def _sqlite_begin(connection) -> None:
    """A transaction that reads and then writes (a migration) must hold the write lock from its start: two
    processes that both read first could never both write, and SQLite would fail one at once."""
    writes = connection.get_execution_options().get("writes_first", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def is_postgres(made: sa.Engine) -> bool:
    return made.dialect.name == "postgresql"


def advisory_key(name: str) -> int:
    """The PostgreSQL advisory lock called `name`: a signed 64-bit number made from it."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


def take_turns(connection: sa.Connection, name: str) -> None:
    """Waits until no other transaction holds the lock `name`, and holds it until this one ends. Only PostgreSQL
    needs it: it runs transactions side by side, where SQLite lets one writer at a time."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(advisory_key(name))))


def insert_below(connection: sa.Connection, table: sa.Table, row: dict, count, limit: int, turns: str, also=None):
    """Inserts `row` into `table` only while `count` (a scalar subquery) is below `limit` (and the condition `also`
    holds, if given): its primary key, or None if not. The count and the insert are one statement, and writers
    to the same `turns` lock take turns (take_turns), so racing inserts never pass the limit."""
    take_turns(connection, turns)
    allowed = count < limit if also is None else sa.and_(count < limit, also)
    values = sa.select(*(sa.literal(value, table.c[name].type) for name, value in row.items())).where(allowed)
    key = next(iter(table.primary_key.columns))
    return connection.execute(sa.insert(table).from_select(list(row), values).returning(key)).scalar()


@contextlib.contextmanager
def transaction(url: str, writes_first: bool = False):
    """`with transaction(url) as connection:` statements that commit together or not at all; any failure of the
    database (or of the folder a SQLite file goes in) is a StoreError, the details in the server's log.
    writes_first: it reads, then writes what it read depends on (see _sqlite_begin)."""
    made = engine(url)
    try:
        if made.dialect.name == "sqlite" and made.url.database:
            Path(made.url.database).parent.mkdir(parents=True, exist_ok=True)
        with made.connect() as connection, connection.execution_options(writes_first=writes_first).begin():
            yield connection
    except sa.exc.TimeoutError as error:  # no pooled connection came free in time
        log.warning("class collection %s: %s", shown(url), error)
        raise StoreError(BUSY) from error
    except (sa.exc.DBAPIError, OSError) as error:
        original = getattr(error, "orig", error)
        log.warning("class collection %s: %s: %s", shown(url), type(original).__name__, original)
        raise StoreError(_message(error, original)) from error


def _message(error: BaseException, original: BaseException) -> str:
    """What a visitor is told: what the database said, when it said something; else, for a database server
    that could not be reached or dropped the connection (a restart, a brief outage), to try again in a moment."""
    code = _error_code(original)
    if code in FAILURES:
        return FAILURES[code]
    if isinstance(original, sqlite3.Error):
        return UNAVAILABLE  # a file that cannot be opened stays so until someone fixes it
    if code is None and isinstance(error, sa.exc.OperationalError):
        return NOT_ANSWERING  # the driver's own words: no connection, or a connection lost
    if code and code.startswith(("08", "57P")):  # connection_exception; admin_shutdown, cannot_connect_now
        return NOT_ANSWERING
    return UNAVAILABLE


def _error_code(error: BaseException) -> str | None:
    if isinstance(error, sqlite3.Error):
        return getattr(error, "sqlite_errorname", None)
    return getattr(error, "sqlstate", None)  # psycopg's errors carry PostgreSQL's code
