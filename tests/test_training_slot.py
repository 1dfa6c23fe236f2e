"""One training at a time across the server's processes: a PostgreSQL advisory lock, or a file lock beside a
SQLite store; and a process that dies lets the slot go."""

import subprocess
import sys
import time

from digitlab.training_slot import TrainingSlot
from support import ROOT

HOLDER = (
    "import sys; from digitlab.training_slot import TrainingSlot; slot = TrainingSlot(); "
    "print('held' if slot.acquire() else 'busy', flush=True); sys.stdin.read()"
)


def other_process() -> tuple[subprocess.Popen, str]:
    """Another server process trying for the slot: the process (holding it until its stdin closes), and its answer."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    return process, process.stdout.readline().strip()


def test_the_slot_is_one_across_processes_and_a_dead_holder_lets_it_go(store_url, monkeypatch):
    monkeypatch.setenv("DIGITLAB_CLASS_DB", store_url)
    holder, answer = other_process()
    try:
        assert answer == "held"
        slot = TrainingSlot()
        assert not slot.acquire() and not slot.locked()
        second, answer = other_process()
        second.kill()
        assert answer == "busy"
    finally:
        holder.kill()  # as a server that crashes mid-training
        holder.wait()
    deadline = time.monotonic() + 10
    while not slot.acquire():
        assert time.monotonic() < deadline, "the dead process's slot was never let go"
        time.sleep(0.1)
    assert slot.locked() and not slot.acquire()  # this process holds it: not twice
    third, answer = other_process()
    third.kill()
    assert answer == "busy"
    slot.release()
    fourth, answer = other_process()
    fourth.communicate("")
    assert answer == "held" and not slot.locked()
