"""What can go wrong with the class store, in words a visitor can act on.

Apart from digitlab.database, which needs SQLAlchemy: the pages catch a StoreError without importing it, and
the Draw page's first run (the canvas on screen) imports no database code at all.
"""


class StoreError(Exception):
    """The collection cannot be read or written now; the message tells a visitor what to do."""


class AlreadySaved(Exception):
    """The drawing is in the class already (the same token): nothing more was stored."""

    def __init__(self, drawing_id: int):
        super().__init__(f"already saved, as drawing #{drawing_id}")
        self.drawing_id = drawing_id


BUSY = "The class's collection is busy with other saves. Try again in a moment."
READ_ONLY = "The class's collection is read-only on this server, so nothing can be saved. Tell the teacher."
DAMAGED = "The class's collection file is damaged. Tell the teacher."
FULL_DISK = "The server's disk is full, so nothing can be saved. Tell the teacher."
NOT_ANSWERING = (
    "The class's collection is not answering just now. Try again in a moment; if it goes on, tell the teacher."
)
UNAVAILABLE = "The class's collection cannot be opened on this server. Tell the teacher."
# SQLite's error names (sqlite3.Error.sqlite_errorname) and PostgreSQL's SQLSTATE codes, to those messages.
FAILURES = {
    "SQLITE_BUSY": BUSY,
    "SQLITE_LOCKED": BUSY,
    "SQLITE_READONLY": READ_ONLY,
    "SQLITE_NOTADB": DAMAGED,
    "SQLITE_CORRUPT": DAMAGED,
    "SQLITE_FULL": FULL_DISK,
    "55P03": BUSY,  # lock_not_available: lock_timeout ran out
    "57014": BUSY,  # query_canceled: statement_timeout ran out
    "40001": BUSY,  # serialization_failure
    "40P01": BUSY,  # deadlock_detected
    "25006": READ_ONLY,  # read_only_sql_transaction: a standby, or a read-only database
    "53100": FULL_DISK,  # disk_full
}
