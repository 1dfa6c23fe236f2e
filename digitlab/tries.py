"""How fast anyone may guess: class codes and teacher keys, counted in the store.

A limit kept in a session is reset by opening a new one, and a script opens sessions as fast as it likes; a
limit kept in one process is multiplied by a school's processes. So each wrong try is written to the store,
with a hash of the visitor's address (app_pages.shared.visitor), and a visitor may try again only while both
its own wrong tries and the whole server's, over the last minute, are under their budgets. The server's
budget holds guessing from many addresses at once under one a second. Right answers are not counted: a
class joining at the start of a lesson spends nothing.
"""

import time

import sqlalchemy as sa

from digitlab.database import answers_in_time, take_turns, transaction
from digitlab.schema import ready, tries

WINDOW_S = 60
PER_VISITOR = 5  # wrong tries a minute from one address: plenty for a typo or two
PER_SERVER = 50  # wrong tries a minute from everyone together: under one a second
KEPT_S = 3600  # older tries are removed as new ones come


@answers_in_time
def take_try(url: str, kind: str, visitor: str) -> tuple[int | None, int | None]:
    """(None, the try's id) if `visitor` may try a `kind` ("code", "key") now, the try counted as wrong until
    right_try(id) says otherwise; else (seconds to wait, None). Counting and checking are one transaction, taken
    in turns, so that sessions trying at once cannot all slip under the budget."""
    now = time.time()
    with transaction(ready(url), writes_first=True) as connection:
        take_turns(connection, "tries")
        recent = sa.select(tries.c.visitor, tries.c.at).where(tries.c.kind == kind, tries.c.at > now - WINDOW_S)
        rows = connection.execute(recent).all()
        mine = sorted(at for who, at in rows if who == visitor)
        everyone = sorted(at for _, at in rows)
        waits = [
            times[-budget] + WINDOW_S - now
            for times, budget in ((mine, PER_VISITOR), (everyone, PER_SERVER))
            if len(times) >= budget
        ]
        if waits:
            return max(1, round(max(waits))), None
        connection.execute(sa.delete(tries).where(tries.c.at < now - KEPT_S))
        made = connection.execute(sa.insert(tries).values(kind=kind, visitor=visitor, at=now).returning(tries.c.id))
        return None, int(made.scalar())


@answers_in_time
def right_try(url: str, try_id: int) -> None:
    """The try was right: it is not counted against anyone."""
    with transaction(ready(url)) as connection:
        connection.execute(sa.delete(tries).where(tries.c.id == try_id))
