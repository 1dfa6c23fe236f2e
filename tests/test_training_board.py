"""The class's trainings in the class store (digitlab.training_board), on SQLite and on PostgreSQL: progress that
every process reads, one training per class, a server-wide cap with a line, Stop from any process, and a
training whose process died read as stopped."""

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa

from digitlab.database import as_url, engine
from digitlab.live_training import FINISHED, RUNNING, STOPPED, WAITING, LiveTraining
from digitlab.schema import trainings
from digitlab.training_board import (
    DIED,
    UNWATCHED,
    ClassTraining,
    TrainingBoard,
    TrainingBusy,
    max_trainings,
    ordinal,
    owner_hash,
    trained_here,
)
from support import DATA, ROOT
from test_live_training import wait_for

STUDENT, OTHER = owner_hash("1" * 32), owner_hash("2" * 32)

# Another server process: reads the class's training from the store and prints what a page would show.
READER = """
import json, sys
from digitlab.training_board import TrainingBoard
view = TrainingBoard(sys.argv[1]).latest(sys.argv[2])
print(json.dumps({"state": view.state, "epochs": len(view.progress.history), "batches": view.progress.batches_done,
                  "settings": view.settings, "who": view.started_by(sys.argv[3]), "history": view.progress.history}))
"""

# Another server process that runs a class's training, prints its training process's id once it runs, and then
# only waits (to be killed, as a server that crashes).
OWNER = """
import sys, time
from digitlab.data import load_mnist
from digitlab.live_training import LiveTraining
from digitlab.training_board import ClassTraining, TrainingBoard
mnist = load_mnist(sys.argv[3])
runner = LiveTraining(mnist.x_train[:2000], mnist.y_train[:2000], mnist.x_test[:500], mnist.y_test[:500],
                      variant="smaller", epochs=200)
ClassTraining(TrainingBoard(sys.argv[1]), sys.argv[2], runner, owner="someone").start()
while runner.pid is None:
    time.sleep(0.05)
print(runner.pid, flush=True)
time.sleep(600)
"""


def runner(mnist, images: int = 2000, epochs: int = 200) -> LiveTraining:
    """A small network (Dense 64) on a few images: quick epochs, so many of them that it runs until stopped."""
    return LiveTraining(
        mnist.x_train[:images], mnist.y_train[:images], mnist.x_test[:500], mnist.y_test[:500], "smaller", epochs
    )


def started(board: TrainingBoard, code: str, mnist, owner: str = STUDENT, **options) -> ClassTraining:
    job = ClassTraining(board, code, runner(mnist, **options), owner)
    job.start()
    return job


def state(url: str, training_id: int) -> str:
    """The training's state as a process that never ran it reads it."""
    return TrainingBoard(url).view(training_id).state


def running(url: str, job: ClassTraining) -> ClassTraining:
    """Waits until the training has passed its first batches (its process has imported TensorFlow)."""
    wait_for(lambda: TrainingBoard(url).view(job.id).progress.batches_done > 0, timeout=60)
    return job


def stop_all(*jobs: ClassTraining) -> None:
    for job in jobs:
        job.stop()
    for job in jobs:
        assert job.join(timeout=30)


def is_gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in "ZX"  # a zombie trains no more
    except OSError:
        return True


def test_progress_written_by_the_owner_is_read_by_another_process(store_url, mnist_small):
    url = as_url(store_url)
    job = running(url, started(TrainingBoard(url), "K7P2QD", mnist_small, images=500, epochs=40))
    try:
        wait_for(lambda: len(TrainingBoard(url).view(job.id).progress.history) >= 2, timeout=60)
        read = subprocess.run(
            [sys.executable, "-c", READER, url, "K7P2QD", STUDENT], cwd=ROOT, capture_output=True, text=True
        )
        seen = json.loads(read.stdout)
        assert seen["state"] == RUNNING and seen["epochs"] >= 2 and seen["batches"] >= 2 * 4
        assert seen["settings"] == "Smaller: Dense 64, 500 images, 40 epochs" and seen["who"] == "you"
        assert all(0 <= epoch["test_accuracy"] <= 1 for epoch in seen["history"])
        assert TrainingBoard(url).latest("OTHER2") is None  # another class sees none of it
    finally:
        stop_all(job)
    view = TrainingBoard(url).latest("K7P2QD")
    assert view.state == STOPPED and view.progress.reason is None  # stopped by a person: nothing to explain
    assert view.progress.history == job.runner.progress().history  # the last word is the owner's whole history
    assert view.started_by(OTHER) == "a student of the class" and view.report().recipe.training_images == 500
    assert replace(view, by_teacher=True).started_by(OTHER) == "the teacher"


def test_one_training_per_class_two_classes_at_once_and_the_third_waits_its_turn(store_url, mnist_small):
    url = as_url(store_url)
    board = TrainingBoard(url, at_once=2)
    first, second = started(board, "AAAAAA", mnist_small), started(board, "BBBBBB", mnist_small)
    jobs = [first, second]
    try:
        running(url, first), running(url, second)
        with pytest.raises(TrainingBusy, match="already running for the class"):
            started(board, "AAAAAA", mnist_small, owner=OTHER)
        third = started(board, "CCCCCC", mnist_small)
        fourth = started(board, "DDDDDD", mnist_small)
        jobs += [third, fourth]
        time.sleep(2)  # several of the waiting keepers' turns: none may start
        waiting = [TrainingBoard(url, at_once=2).latest(code) for code in ("CCCCCC", "DDDDDD")]
        assert [view.state for view in waiting] == [WAITING, WAITING] and [view.place for view in waiting] == [1, 2]
        assert waiting[1].waiting_message().startswith("Waiting for the server: 2nd in line (2 trainings run at a")
        assert third.runner.pid is None  # no training process while it waits
        TrainingBoard(url).request_stop(first.id, "AAAAAA", STUDENT, teacher=False)
        asked = time.monotonic()
        wait_for(lambda: state(url, third.id) == RUNNING, timeout=15)  # by itself, first in line first
        assert time.monotonic() - asked < 10 and state(url, first.id) == STOPPED
        assert state(url, fourth.id) == WAITING and TrainingBoard(url).view(fourth.id).place == 1
        assert state(url, second.id) == RUNNING
    finally:
        stop_all(*jobs)
    assert all(TrainingBoard(url).view(job.id).state == STOPPED for job in jobs)


def test_a_stop_asked_through_the_store_stops_the_owner_s_training(store_url, mnist_small):
    url = as_url(store_url)
    job = running(url, started(TrainingBoard(url), "K7P2QD", mnist_small))
    try:
        reader = TrainingBoard(url)  # another process's: it holds no ClassTraining
        assert not reader.request_stop(job.id, "K7P2QD", OTHER, teacher=False)  # not the starter, not the teacher
        assert not reader.request_stop(job.id, "OTHER2", OTHER, teacher=True)  # another class's teacher
        time.sleep(1)
        assert state(url, job.id) == RUNNING
        asked = time.monotonic()
        assert reader.request_stop(job.id, "K7P2QD", OTHER, teacher=True)
        assert job.join(timeout=10) and time.monotonic() - asked < 5
    finally:
        stop_all(job)
    view = TrainingBoard(url).view(job.id)
    assert view.state == STOPPED and view.progress.reason is None and job.runner.progress().state == STOPPED


def test_a_row_whose_heartbeat_is_stale_reads_as_stopped_and_holds_no_place(store_url, mnist_small):
    url = as_url(store_url)
    board = TrainingBoard(url, at_once=1)
    dead = board.enqueue("AAAAAA", runner(mnist_small), STUDENT, by_teacher=False)  # nobody keeps it
    with engine(url).begin() as connection:
        connection.execute(
            sa.update(trainings).where(trainings.c.id == dead).values(state=RUNNING, heartbeat=time.time() - 60)
        )
    view = TrainingBoard(url).latest("AAAAAA")
    assert view.state == STOPPED and view.over and view.progress.reason == DIED and view.place is None
    job = started(board, "BBBBBB", mnist_small, epochs=1, images=500)  # the dead one's place is free
    job2 = None
    try:
        assert job.join(timeout=60) and state(url, job.id) == FINISHED
        job2 = started(board, "AAAAAA", mnist_small, epochs=1, images=500)  # and its class may train again
        assert job2.join(timeout=60) and state(url, job2.id) == FINISHED
    finally:
        stop_all(*[j for j in (job, job2) if j])


def test_a_killed_training_process_is_shown_stopped_within_10_s(store_url, mnist_small):
    url = as_url(store_url)
    job = running(url, started(TrainingBoard(url), "K7P2QD", mnist_small))
    os.kill(job.runner.pid, signal.SIGKILL)  # as the kernel's out-of-memory killer would
    killed = time.monotonic()
    wait_for(lambda: state(url, job.id) == STOPPED, timeout=10)
    assert time.monotonic() - killed < 10
    view = TrainingBoard(url).view(job.id)
    assert "ended unexpectedly" in view.progress.reason and view.progress.error is None
    assert job.join(timeout=10) and trained_here(job.id, url) is job and trained_here(job.id, url + "x") is None


def test_a_killed_server_process_s_training_is_shown_stopped_within_10_s(store_url):
    url = as_url(store_url)
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, url, "K7P2QD", str(DATA / "mnist_small.npz")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        child = int(owner.stdout.readline())
        wait_for(lambda: TrainingBoard(url).latest("K7P2QD").progress.batches_done > 0, timeout=60)
        view = TrainingBoard(url).latest("K7P2QD")
        assert view.state == RUNNING and trained_here(view.id, url) is None  # not this process's
    finally:
        owner.kill()  # as a server that crashes
        owner.wait()
    killed = time.monotonic()
    wait_for(lambda: TrainingBoard(url).latest("K7P2QD").state == STOPPED, timeout=10)
    assert time.monotonic() - killed < 10 and TrainingBoard(url).latest("K7P2QD").progress.reason == DIED
    wait_for(lambda: is_gone(child), timeout=10)  # its training process saw its parent go, and stopped


def test_a_training_nobody_watches_from_any_process_stops_itself(store_url, mnist_small):
    url = as_url(store_url)
    job = ClassTraining(TrainingBoard(url), "K7P2QD", runner(mnist_small), STUDENT, idle_timeout=2)
    job.start()
    assert job.join(timeout=60)
    view = TrainingBoard(url).view(job.id)
    assert view.state == STOPPED and view.progress.reason == UNWATCHED


def test_the_cap_ordinals_and_the_stored_owner():
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "101st",
    ]
    assert len(owner_hash("a" * 32)) == 64 and "a" * 32 not in owner_hash("a" * 32)


@pytest.mark.parametrize("given, expected", [(None, 1), ("3", 3), ("0", 1), ("many", 1), (" 2 ", 2)])
def test_the_server_s_cap_comes_from_the_environment(monkeypatch, given, expected):
    if given is None:
        monkeypatch.delenv("DIGITLAB_MAX_TRAININGS", raising=False)
    else:
        monkeypatch.setenv("DIGITLAB_MAX_TRAININGS", given)
    assert max_trainings() == expected
