"""The class's trainings, in the class store: what every process serving the class shows, and the line to train.

A school runs several server processes behind one address, and a student's browser may be served by any of
them; a reload may land elsewhere than the starter's first page. So a training's progress cannot live in the
memory of the process that runs it. Each training is a row of the store's `trainings` table (digitlab.schema),
one per class at a time, that its owning process keeps up to date and every other process reads:

- the owning process's keeper thread (ClassTraining) copies the child's progress into the row, at most once
  every TICK_S, with a heartbeat; it reads back `stop_requested` (a Stop pressed on any process) and
  `watched` (a viewer on any process looked lately), and stops the child for either;
- a row that is waiting or running but whose heartbeat is older than STALE_S reads as stopped: its process
  died (killed, or the machine lost), and nothing else would ever say so;
- how many run at once across the whole server is capped ($DIGITLAB_MAX_TRAININGS: a training keeps the
  processors busy, and a school's classes share them). The rest wait in line, first come first served by row
  id, and each waiting keeper starts its child by itself when its turn comes. Admission counts the live running
  rows inside a transaction that takes turns with every other admission, so two processes never both take the
  last place; a dead process's rows stop counting once their heartbeat is stale, so no place is held for ever.

The starter is known only by a hash of their browser's id (app_pages.shared.browser_id), so that the store
never holds anything a visitor could replay; the finished network stays in the process that trained it.
Wall-clock times are compared across processes: the hosts of a school must keep time (NTP does).
"""

import contextlib
import hashlib
import json
import logging
import os
import threading
import time
import weakref
from dataclasses import dataclass, replace
from datetime import datetime, timezone

import sqlalchemy as sa

from digitlab.config import DEFAULT_CLASS
from digitlab.database import as_url, default_url, take_turns, transaction
from digitlab.live_training import (
    ACTIVE,
    FAILED,
    RUNNING,
    STOPPED,
    WAITING,
    LiveTraining,
    Progress,
    describe,
    training_report,
)
from digitlab.report import Report
from digitlab.schema import ready, trainings
from digitlab.store_errors import StoreError

MAX_TRAININGS_VARIABLE = "DIGITLAB_MAX_TRAININGS"
TICK_S = 0.5  # the keeper's pace: progress and heartbeat written at most this often
STALE_S = 5.0  # a waiting or running row whose heartbeat is older has lost its process
WATCH_EVERY_S = 10.0  # a viewer renews `watched` at most this often: a class of viewers costs few writes
KEPT_PER_CLASS = 5  # ended rows kept per class: the latest is shown, the others let late viewers collect theirs
TURNS = "trainings"  # take_turns' lock for admissions

DIED = "Its server process stopped answering. Start again to retry."
LOST_STORE = "It lost touch with the class store. Start again to retry."
UNWATCHED = "It stopped itself: nobody was watching it any more."
BUSY_CLASS = "A training is already running for the class. Watch it, and start yours when it has ended."
COULD_NOT_START = "The training could not start on the server. Try again."

log = logging.getLogger(__name__)


class TrainingBusy(Exception):
    """The class has a training already; watch it, and start another when it has ended."""


def max_trainings() -> int:
    """How many trainings may run at once on the whole server: $DIGITLAB_MAX_TRAININGS if it is a whole number,
    else one (a typo must not unleash every class's training at once)."""
    given = os.environ.get(MAX_TRAININGS_VARIABLE, "").strip()
    try:
        return max(1, int(given)) if given else 1
    except ValueError:
        log.warning("%s=%r is not a whole number; 1 training at a time", MAX_TRAININGS_VARIABLE, given)
        return 1


def owner_hash(browser: str) -> str:
    """What the store keeps of a browser's id: enough to recognise the starter, useless to anyone who reads it."""
    return hashlib.sha256(browser.encode()).hexdigest()


def ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 22nd."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


@dataclass(frozen=True)
class TrainingView:
    """One training as its row says now, read by any process."""

    id: int
    class_code: str
    progress: Progress
    variant: str
    images: int
    test_images: int
    batch_size: int
    owner: str  # owner_hash of the starter's browser
    by_teacher: bool
    stop_requested: bool
    watched: float
    place: int | None = None  # while waiting: 1 for the next to start
    at_once: int = 1  # how many run at once on the server

    @property
    def state(self) -> str:
        return self.progress.state

    @property
    def over(self) -> bool:
        return self.progress.over

    @property
    def settings(self) -> str:
        return describe(self.variant, self.images, self.progress.epochs)

    def started_by(self, owner: str) -> str:
        """Who started it, as the viewer whose owner_hash is `owner` should read it: no names are known."""
        if owner == self.owner:
            return "you"
        return "the teacher" if self.by_teacher else "a student of the class"

    def may_stop(self, owner: str, teacher: bool) -> bool:
        return not self.over and (teacher or owner == self.owner)

    def waiting_message(self) -> str:
        at_once = "one training runs" if self.at_once == 1 else f"{self.at_once} trainings run"
        return (
            f"Waiting for the server: {ordinal(self.place or 1)} in line ({at_once} at a time on this server). "
            "It starts by itself when its turn comes; keep this page open."
        )

    def report(self) -> Report:
        return training_report(self.variant, self.images, self.test_images, self.progress, self.batch_size)


@dataclass(frozen=True)
class Beat:
    """What the keeper learns from the store at each heartbeat."""

    state: str
    stop_requested: bool
    watched: float


class TrainingBoard:
    """The trainings of every class in the store at `location` (default: $DIGITLAB_CLASS_DB, as the collection).
    Every method is one short transaction; a store that fails raises a StoreError with what to do."""

    def __init__(self, location=None, at_once: int | None = None):
        self.url = as_url(location) if location else default_url()
        self.at_once = at_once or max_trainings()

    # What every viewer reads.

    def latest(self, class_code: str) -> TrainingView | None:
        """The class's newest training (running, waiting, or the last to end), or None if it never trained."""
        return self._read(trainings.c.class_code == class_code)

    def view(self, training_id: int) -> TrainingView | None:
        return self._read(trainings.c.id == int(training_id))

    def touch(self, view: TrainingView) -> None:
        """A viewer is looking at this training: it must not stop for want of viewers. Written only when the last
        touch is WATCH_EVERY_S old, so a whole class watching costs a write every few seconds."""
        now = time.time()
        if view.over or now - view.watched < WATCH_EVERY_S:
            return
        with self._transaction() as connection:
            connection.execute(sa.update(trainings).where(trainings.c.id == view.id).values(watched=now))

    def request_stop(self, training_id: int, class_code: str, owner: str, teacher: bool) -> bool:
        """Asks the owning process, wherever it runs, to stop the training (it polls for it); True if allowed and
        the training had not ended. Only its starter, or the class's teacher, may."""
        allowed = sa.true() if teacher else trainings.c.owner == owner
        query = (
            sa.update(trainings)
            .where(
                trainings.c.id == int(training_id),
                trainings.c.class_code == class_code,
                trainings.c.state.in_(ACTIVE),
                allowed,
            )
            .values(stop_requested=True)
        )
        with self._transaction() as connection:
            return connection.execute(query).rowcount == 1

    # What the owning process writes (ClassTraining).

    def enqueue(self, class_code: str, runner: LiveTraining, owner: str, by_teacher: bool) -> int:
        """A new waiting row for `runner`'s training in the class; its id. TrainingBusy if the class has one."""
        now = time.time()
        x_train, _, x_test, _ = runner.data
        row = {
            "class_code": class_code,
            "state": WAITING,
            "owner": owner,
            "by_teacher": bool(by_teacher),
            "variant": runner.variant,
            "images": int(len(x_train)),
            "test_images": int(len(x_test)),
            "epochs": runner.epochs,
            "batch_size": runner.batch_size,
            "batches": 0,
            "history": "[]",
            "seconds": 0.0,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "heartbeat": now,
            "watched": now,
            "stop_requested": False,
        }
        with self._transaction(turns=True) as connection:
            self._sweep(connection, now)
            busy = sa.select(sa.func.count()).where(trainings.c.class_code == class_code, trainings.c.state.in_(ACTIVE))
            if connection.execute(busy).scalar():
                raise TrainingBusy(BUSY_CLASS)
            made = connection.execute(sa.insert(trainings).values(row).returning(trainings.c.id)).scalar()
            ended = (
                sa.select(trainings.c.id)
                .where(trainings.c.class_code == class_code, trainings.c.state.not_in(ACTIVE))
                .order_by(trainings.c.id.desc())
                .offset(KEPT_PER_CLASS)
            )
            old = connection.execute(ended).scalars().all()
            if old:
                connection.execute(sa.delete(trainings).where(trainings.c.id.in_(old)))
        return int(made)

    def admit(self, training_id: int) -> Beat | None:
        """A waiting training's heartbeat, and its turn: RUNNING in the Beat if it may start now (a place is free
        and no one came before it). None if its row is gone."""
        now = time.time()
        with self._transaction(turns=True) as connection:
            self._sweep(connection, now)
            row = connection.execute(
                sa.select(trainings.c.state, trainings.c.stop_requested, trainings.c.watched).where(
                    trainings.c.id == int(training_id)
                )
            ).first()
            if row is None or row.state != WAITING:
                return None if row is None else Beat(row.state, row.stop_requested, row.watched)
            running = connection.execute(self._live_count(RUNNING)).scalar()
            before = connection.execute(self._live_count(WAITING, below=training_id)).scalar()
            state = RUNNING if not row.stop_requested and before < self.at_once - running else WAITING
            connection.execute(
                sa.update(trainings).where(trainings.c.id == int(training_id)).values(state=state, heartbeat=now)
            )
        return Beat(state, row.stop_requested, row.watched)

    def beat(self, training_id: int, progress: Progress) -> Beat | None:
        """A running training's progress and heartbeat; None if its row no longer says it runs (another process
        found it stale and closed it: its place may be someone else's by now)."""
        query = (
            sa.update(trainings)
            .where(trainings.c.id == int(training_id), trainings.c.state == RUNNING)
            .values(**_progress_values(progress), heartbeat=time.time())
            .returning(trainings.c.stop_requested, trainings.c.watched)
        )
        with self._transaction() as connection:
            row = connection.execute(query).first()
        return None if row is None else Beat(RUNNING, row.stop_requested, row.watched)

    def close(self, training_id: int, progress: Progress, reason: str | None = None) -> None:
        """The training's last word: its end state, history and why (if no one stopped it)."""
        values = {**_progress_values(progress), "state": progress.state, "heartbeat": time.time()}
        values["reason"] = progress.error if progress.state == FAILED else (reason or progress.reason)
        with self._transaction() as connection:
            connection.execute(
                sa.update(trainings)
                .where(trainings.c.id == int(training_id), trainings.c.state.in_(ACTIVE))
                .values(values)
            )

    # Inside.

    def _read(self, which) -> TrainingView | None:
        now = time.time()
        with self._transaction() as connection:
            row = connection.execute(sa.select(trainings).where(which).order_by(trainings.c.id.desc()).limit(1)).first()
            if row is None:
                return None
            place = None
            if row.state == WAITING and row.heartbeat >= now - STALE_S:
                place = connection.execute(self._live_count(WAITING, below=row.id, now=now)).scalar() + 1
        return _view(row, now, place, self.at_once)

    def _live_count(self, state: str, below: int | None = None, now: float | None = None):
        fresh = (now or time.time()) - STALE_S
        query = sa.select(sa.func.count()).where(trainings.c.state == state, trainings.c.heartbeat >= fresh)
        return query if below is None else query.where(trainings.c.id < int(below))

    @staticmethod
    def _sweep(connection, now: float) -> None:
        """Closes the rows whose process died, so that they no longer hold a place or a class."""
        connection.execute(
            sa.update(trainings)
            .where(trainings.c.state.in_(ACTIVE), trainings.c.heartbeat < now - STALE_S)
            .values(state=STOPPED, reason=DIED)
        )

    def _transaction(self, turns: bool = False):
        if not turns:
            return transaction(ready(self.url))
        return _taking_turns(self.url)


@contextlib.contextmanager
def _taking_turns(url: str):
    """A transaction that holds the write lock from its start (SQLite) or takes turns with every other admission
    (PostgreSQL): counting the running rows and taking a place must be one step."""
    with transaction(ready(url), writes_first=True) as connection:
        take_turns(connection, TURNS)
        yield connection


def _progress_values(progress: Progress) -> dict:
    return {
        "batches": progress.batches_done,
        "history": json.dumps(list(progress.history)),
        "seconds": progress.seconds,
    }


def _view(row, now: float, place: int | None, at_once: int) -> TrainingView:
    state, reason = row.state, row.reason
    if state in ACTIVE and row.heartbeat < now - STALE_S:
        state, reason, place = STOPPED, DIED, None
    batches_per_epoch = -(-row.images // row.batch_size)
    progress = Progress(
        state,
        row.epochs,
        batches_per_epoch,
        row.batches,
        tuple(json.loads(row.history)),
        row.seconds,
        reason if state == FAILED else None,
        reason if state == STOPPED else None,
    )
    return TrainingView(
        id=row.id,
        class_code=row.class_code,
        progress=progress,
        variant=row.variant,
        images=row.images,
        test_images=row.test_images,
        batch_size=row.batch_size,
        owner=row.owner,
        by_teacher=row.by_teacher,
        stop_requested=row.stop_requested,
        watched=row.watched,
        place=place,
        at_once=at_once,
    )


_keeping: dict[tuple[str, int], "ClassTraining"] = {}  # the trainings this process runs now, held until they end
_here: "weakref.WeakValueDictionary[tuple[str, int], ClassTraining]" = weakref.WeakValueDictionary()  # and ended ones
_keeping_lock = threading.Lock()


def trained_here(training_id: int, location=None) -> "ClassTraining | None":
    """The training with that id in the store at `location` (default: $DIGITLAB_CLASS_DB) if this process runs
    it, or ran it and someone still holds it (for its network)."""
    return _here.get((as_url(location) if location else default_url(), int(training_id)))


class ClassTraining:
    """A class's training run by this process: it waits for its turn, runs its LiveTraining, and keeps its row.

    Held by this process (not by a session) until it ends: a starter who reloads, or whose session goes away,
    does not end it. It ends by itself when it is over, stopped from any process, or unwatched for
    idle_timeout seconds (no viewer anywhere touched its row)."""

    def __init__(
        self,
        board: TrainingBoard,
        class_code: str,
        runner: LiveTraining,
        owner: str,
        by_teacher: bool = False,
        idle_timeout: float | None = None,
    ):
        self.board, self.class_code, self.runner = board, class_code or DEFAULT_CLASS, runner
        self.owner, self.by_teacher, self.idle_timeout = owner, by_teacher, idle_timeout
        self.id: int | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def start(self) -> int:
        """Queues the training (TrainingBusy if the class has one, StoreError if the store fails); its id."""
        self.id = self.board.enqueue(self.class_code, self.runner, self.owner, self.by_teacher)
        with _keeping_lock:
            _keeping[self.board.url, self.id] = self
            _here[self.board.url, self.id] = self
        self._thread = threading.Thread(target=self._keep, name=f"training-{self.id}", daemon=True)
        self._thread.start()
        return self.id

    def stop(self) -> None:
        """Stops it from this process, at once (another process asks through the store: request_stop)."""
        self._stop.set()
        self.runner.stop()

    def join(self, timeout: float | None = None) -> bool:
        """Waits until it has ended and its row says so; True if it has."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self._thread is not None and not self._thread.is_alive()

    @property
    def has_network(self) -> bool:
        return self.runner.has_network

    def _keep(self) -> None:
        try:
            reason = self._wait_for_turn()
            if reason is None and not self._stop.is_set():
                reason = self._run()
            self._close(reason)
        except Exception:  # never leave a child training for nobody
            log.exception("training %s", self.id)
            self.runner.stop()
        finally:
            with _keeping_lock:
                _keeping.pop((self.board.url, self.id), None)

    def _wait_for_turn(self) -> str | None:
        """None once admitted; else why it ended before starting."""
        last_word = time.monotonic()
        while not self._stop.is_set():
            try:
                beat = self.board.admit(self.id)
                last_word = time.monotonic()
            except StoreError:
                if time.monotonic() - last_word > STALE_S - 1:
                    return LOST_STORE
                beat = Beat(WAITING, False, time.time())
            if beat is None or beat.state not in ACTIVE:
                return DIED  # closed by another process, which found it stale
            if beat.stop_requested:
                self._stop.set()
                return None
            if self._unwatched(beat):
                return UNWATCHED
            if beat.state == RUNNING:
                try:
                    self.runner.start()
                except OSError:
                    log.exception("training %s could not start", self.id)
                    return COULD_NOT_START
                return None
            self._stop.wait(TICK_S)
        return None

    def _run(self) -> str | None:
        """Copies progress to the store until the child has ended; why it was stopped, if not by a person."""
        reason, last_word = None, time.monotonic()
        while not self.runner.progress(watching=False).over:
            self.runner.join(TICK_S)
            progress = self.runner.progress(watching=False)
            if progress.over:
                break
            try:
                beat = self.board.beat(self.id, progress)
                last_word = time.monotonic()
            except StoreError:
                if time.monotonic() - last_word > STALE_S - 1:  # others will soon take its place as free
                    reason = reason or LOST_STORE
                    self.runner.stop()
                continue
            if beat is None:
                reason = reason or DIED
                self.runner.stop()
            elif beat.stop_requested or self._stop.is_set():
                self.runner.stop()
            elif self._unwatched(beat):
                reason = reason or UNWATCHED
                self.runner.stop()
        return reason

    def _unwatched(self, beat: Beat) -> bool:
        return self.idle_timeout is not None and time.time() - beat.watched > self.idle_timeout

    def _close(self, reason: str | None) -> None:
        progress = self.runner.progress(watching=False)
        if progress.state == WAITING:  # never started
            failed = reason == COULD_NOT_START
            progress = replace(
                progress, state=FAILED if failed else STOPPED, error=reason if failed else None, reason=reason
            )
        for _ in range(3):
            try:
                self.board.close(self.id, progress, reason)
                return
            except StoreError:
                time.sleep(TICK_S)  # the readers will call it stopped once its heartbeat is stale
