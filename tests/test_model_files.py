"""A network's .keras and .json replaced as one pair: processes killed with SIGKILL at every step of a save
leave the old pair or the new pair, never a mix, and no litter once settled. Standard library only: fast."""

import hashlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys

import pytest

from digitlab.model_files import OutputError, check_writable, save_pair, settle
from support import ROOT

# Run in a child process before the code under test: arm(n) makes the n-th (from 0) of the file operations
# below, counted from then on, kill the process with SIGKILL, as a power cut or the OOM killer would.
KILLER = r"""
import os, signal, sys

def arm(kill_at, operations=("replace", "fsync", "unlink", "remove")):
    calls = [0]

    def tick():
        if calls[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        calls[0] += 1

    def counted(function):
        def wrapper(*args, **kwargs):
            tick()
            return function(*args, **kwargs)
        return wrapper

    for name in operations:
        setattr(os, name, counted(getattr(os, name)))
    return tick
"""

SAVE_NEW_PAIR = (
    KILLER
    + r"""
from digitlab.model_files import save_pair

NEW = b"new weights " * 40_000  # as OLD, NEW and NEWER below
tick = arm(int(sys.argv[2]))

def write_model(path):  # killable before it starts and halfway through
    tick()
    with open(path, "wb") as file:
        file.write(NEW[:len(NEW) // 2])
        file.flush()
        tick()
        file.write(NEW[len(NEW) // 2:])

save_pair(sys.argv[1], "net", write_model, {"weights": "new"})
"""
)

OLD, NEW, NEWER = (f"{which} weights ".encode() * 40_000 for which in ("old", "new", "newer"))


def writer(content: bytes):
    return lambda path: open(path, "wb").write(content)


def pair(folder):
    return (folder / "net.keras").read_bytes(), (folder / "net.json").read_bytes()


def test_a_save_killed_at_any_step_leaves_the_old_pair_or_the_new_pair(tmp_path):
    old, new, newer = tmp_path / "old", tmp_path / "new", tmp_path / "newer"
    for folder, content, which in ((old, OLD, "old"), (new, NEW, "new"), (newer, NEWER, "newer")):
        save_pair(folder, "net", writer(content), {"weights": which})
    names = {content: which for which, folder in (("old", old), ("new", new)) for content in pair(folder)}

    def state(folder):  # ("old", "old"), ("new", "old"), ...: which save the .keras and the .json are from
        return tuple(names.get(content, "neither") for content in pair(folder))

    before_settling, after_settling = [], []
    for kill_at in itertools.count():
        folder = tmp_path / f"killed-at-{kill_at}"
        shutil.copytree(old, folder)
        child = subprocess.run(
            [sys.executable, "-c", SAVE_NEW_PAIR, str(folder), str(kill_at)],
            cwd=ROOT,  # python -c puts the current folder on the path: digitlab is imported from it
            capture_output=True,
            text=True,
            timeout=60,
        )
        if child.returncode == 0:
            break
        assert child.returncode == -signal.SIGKILL, child.stderr
        before_settling.append(state(folder))
        assert "neither" not in before_settling[-1]  # each file whole, old or new: renames are atomic
        saved_again = tmp_path / f"saved-again-{kill_at}"
        shutil.copytree(folder, saved_again)
        settle(folder, "net")
        after_settling.append(state(folder))
        assert after_settling[-1] in {("old", "old"), ("new", "new")}, f"killed at step {kill_at}"
        assert sorted(os.listdir(folder)) == ["net.json", "net.keras"]  # no temporary file, journal or lock
        save_pair(saved_again, "net", writer(NEWER), {"weights": "newer"})  # the next save cleans up too
        assert pair(saved_again) == pair(newer) and sorted(os.listdir(saved_again)) == ["net.json", "net.keras"]
    assert kill_at >= 10, "killed at fewer steps than a save has"
    assert state(folder) == ("new", "new") and sorted(os.listdir(folder)) == ["net.json", "net.keras"]
    assert ("new", "old") in before_settling  # killed between the two renames: only the journal put it right
    outcomes = [keras for keras, _ in after_settling]
    assert outcomes == sorted(outcomes, reverse=True) and set(outcomes) == {"old", "new"}  # old until the commit


def test_the_report_names_the_weights_and_both_files_are_readable_by_all(tmp_path):
    report = {"network": "net"}
    model_file, report_file = save_pair(tmp_path / "a" / "b", "net", writer(NEW), report)
    assert report == {"network": "net"}  # the caller's dict is left alone
    saved = json.loads(report_file.read_text())
    assert saved == {"network": "net", "weights_sha256": hashlib.sha256(NEW).hexdigest()}
    assert model_file.read_bytes() == NEW and model_file.name == "net.keras" and report_file.name == "net.json"
    assert {oct(path.stat().st_mode & 0o777) for path in (model_file, report_file)} == {"0o644"}


def test_a_failed_write_leaves_the_old_pair_and_no_litter(tmp_path):
    save_pair(tmp_path, "net", writer(OLD), {})
    before = pair(tmp_path)

    def crash(path):
        open(path, "wb").write(b"half a model")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        save_pair(tmp_path, "net", crash, {})
    assert pair(tmp_path) == before and sorted(os.listdir(tmp_path)) == ["net.json", "net.keras"]


def test_the_next_save_removes_what_killed_runs_left_and_only_that(tmp_path):
    litter = [".net-k3j_9x2a.keras", ".net-0a1b2c3d.json", ".net-zz99yy88.pending", ".net.pending", ".net.lock"]
    others = [".net-x-k3j_9x2a.keras", ".network-0a1b2c3d.json", ".net-abc.txt", "net-abc.keras", "notes.txt"]
    for entry in litter + others:
        (tmp_path / entry).write_text("left behind")
    save_pair(tmp_path, "net", writer(NEW), {})
    assert sorted(os.listdir(tmp_path)) == sorted(others + ["net.json", "net.keras"])


def test_settle_finishes_a_committed_save(tmp_path):
    """A journal whose first rename was done and second was not: settle does the second."""
    save_pair(tmp_path, "net", writer(OLD), {})
    (tmp_path / ".net-aaaaaaaa.keras").write_bytes(NEW)
    (tmp_path / ".net-bbbbbbbb.json").write_text("the new report\n")
    (tmp_path / ".net.pending").write_text(
        json.dumps([[".net-aaaaaaaa.keras", "net.keras"], [".net-bbbbbbbb.json", "net.json"]])
    )
    os.replace(tmp_path / ".net-aaaaaaaa.keras", tmp_path / "net.keras")
    settle(tmp_path, "net")
    assert pair(tmp_path) == (NEW, b"the new report\n") and sorted(os.listdir(tmp_path)) == ["net.json", "net.keras"]
    settle(tmp_path, "net")  # idempotent
    assert pair(tmp_path) == (NEW, b"the new report\n")


def test_settle_follows_only_a_journal_of_its_own(tmp_path):
    (tmp_path / "precious").write_text("keep me")
    (tmp_path / ".net.pending").write_text(json.dumps([["precious", "net.keras"], [".net-aaaaaaaa.json", "../x"]]))
    settle(tmp_path, "net")
    assert sorted(os.listdir(tmp_path)) == ["precious"]
    (tmp_path / ".net.pending").write_text("{not json")
    settle(tmp_path, "net")
    assert sorted(os.listdir(tmp_path)) == ["precious"]


def test_settle_leaves_a_running_save_alone(tmp_path):
    seen = []

    def write_and_settle(path):
        open(path, "wb").write(NEW)
        settle(tmp_path, "net")  # another reader, while this save holds the lock
        seen.append(os.path.exists(path))

    save_pair(tmp_path, "net", write_and_settle, {})
    assert seen == [True] and pair(tmp_path)[0] == NEW


def test_settle_never_raises(tmp_path):
    settle(tmp_path / "missing", "net")
    settle("/proc", "net")
    (tmp_path / "file").write_text("")
    settle(tmp_path / "file", "net")
    assert not (tmp_path / "missing").exists()


def test_check_writable_accepts_a_folder_and_leaves_no_trace(tmp_path):
    check_writable(tmp_path)
    check_writable(tmp_path / "new" / "deeper")  # creatable: fine, and not created yet
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "where, message",
    [
        ("file", "is a file, not a folder"),
        ("file/below", "cannot create the folder"),
        ("/proc/digitlab-nowhere", "cannot create the folder"),
        ("/proc", "cannot write to /proc"),
    ],
)
def test_check_writable_refuses_in_one_sentence(tmp_path, where, message):
    (tmp_path / "file").write_text("")
    with pytest.raises(OutputError, match=message) as refused:
        check_writable(tmp_path / where)
    assert "\n" not in str(refused.value)
