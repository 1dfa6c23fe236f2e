"""One training at a time on the whole server, however many processes serve it.

A training keeps two processors busy (digitlab.live_training), so thirty learners starting thirty trainings
would make every one of them crawl. Within a process a lock is enough; a school runs several processes
behind one address (deploy/), so the slot is also held where they all look:

- with a PostgreSQL class store, a session-level advisory lock on a connection of its own;
- with a SQLite store, an exclusive lock (flock) on a file beside it, for processes on one host.

Both are let go by the operating system or the database when the process that holds them dies, so a crashed
server never leaves the slot taken.
"""

import logging
import threading
from pathlib import Path

import sqlalchemy as sa

from digitlab.database import advisory_key, default_url, engine, is_postgres
from digitlab.store_errors import StoreError

try:
    import fcntl
except ImportError:  # Windows: one process serves there, and the in-process lock is the slot
    fcntl = None

ADVISORY_KEY = advisory_key("training")  # the PostgreSQL advisory lock of the server's one training
LOCK_FILE = "training.lock"

log = logging.getLogger(__name__)


class TrainingSlot:
    """acquire() (never waits) and release(); locked() says whether this process holds it."""

    def __init__(self, url: str | None = None):
        self._url = url
        self._here = threading.Lock()
        self._held = None  # what holds the slot across processes: a database connection, or an open file

    def acquire(self) -> bool:
        if not self._here.acquire(blocking=False):
            return False
        try:
            self._held = self._take_across_processes()
        except BaseException:
            self._here.release()
            raise
        if self._held is None:
            self._here.release()
            return False
        return True

    def release(self) -> None:
        held, self._held = self._held, None
        try:
            if isinstance(held, sa.Connection):
                held.execute(sa.select(sa.func.pg_advisory_unlock(ADVISORY_KEY)))
                held.close()
            elif held is not None and held is not True:
                held.close()  # closing the file lets its flock go
        except sa.exc.DBAPIError as error:  # the connection is gone, and its lock with it
            log.warning("training slot: %s", error)
        finally:
            self._here.release()

    def locked(self) -> bool:
        return self._here.locked()

    def _take_across_processes(self):
        """What now holds the slot for this process (True where nothing else can), or None if another has it."""
        url = self._url or default_url()
        made = engine(url)
        if is_postgres(made):
            try:
                connection = made.connect()
                if connection.execute(sa.select(sa.func.pg_try_advisory_lock(ADVISORY_KEY))).scalar():
                    connection.commit()  # end the query's transaction; a session-level lock outlives it
                    return connection
                connection.close()
                return None
            except sa.exc.DBAPIError as error:
                log.warning("training slot: the class store does not answer: %s", error.orig)
                raise StoreError("Trainings cannot start now: the server's store does not answer. Try again soon.")
        if fcntl is None or not made.url.database:
            return True
        path = Path(made.url.database).parent / LOCK_FILE
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(path, "a")
        except OSError as error:  # nowhere to put it: this process's lock is all there is
            log.warning("training slot: no lock file at %s (%s); one process only", path, error)
            return True
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return None
        return handle
