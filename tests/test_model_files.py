"""A network's .keras, .onnx and .json replaced as one: processes killed with SIGKILL at every step of a save
leave the old files or the new files, never a mix, and no litter once settled. Standard library only: fast."""

import hashlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys

import pytest

from digitlab.model_files import OutputError, check_writable, save_network, settle
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

SAVE_NEW_FILES = (
    KILLER
    + r"""
from digitlab.model_files import save_network

NEW = b"new weights " * 40_000  # as OLD, NEW and NEWER below
tick = arm(int(sys.argv[2]))

def writer(content):
    def write(path):  # killable before it starts and halfway through
        tick()
        with open(path, "wb") as file:
            file.write(content[:len(content) // 2])
            file.flush()
            tick()
            file.write(content[len(content) // 2:])
    return write

save_network(sys.argv[1], "net", {"weights": "new"}, keras=writer(NEW), onnx=writer(NEW[::-1]))
"""
)

OLD, NEW, NEWER = (f"{which} weights ".encode() * 40_000 for which in ("old", "new", "newer"))
FILES = ["net.json", "net.keras", "net.onnx"]


def writers(content: bytes) -> dict:
    """The .keras writer writes `content`, the .onnx writer another file of the same save: `content` reversed."""
    return {
        "keras": lambda path: open(path, "wb").write(content),
        "onnx": lambda path: open(path, "wb").write(content[::-1]),
    }


def files(folder):
    return tuple((folder / name).read_bytes() for name in ("net.keras", "net.onnx", "net.json"))


def test_a_save_killed_at_any_step_leaves_the_old_files_or_the_new_files(tmp_path):
    old, new, newer = tmp_path / "old", tmp_path / "new", tmp_path / "newer"
    for folder, content, which in ((old, OLD, "old"), (new, NEW, "new"), (newer, NEWER, "newer")):
        save_network(folder, "net", {"weights": which}, **writers(content))
    names = {content: which for which, folder in (("old", old), ("new", new)) for content in files(folder)}

    def state(folder):  # ("old", "old", "old"), ("new", "old", "old"), ...: which save .keras, .onnx, .json are from
        return tuple(names.get(content, "neither") for content in files(folder))

    before_settling, after_settling = [], []
    for kill_at in itertools.count():
        folder = tmp_path / f"killed-at-{kill_at}"
        shutil.copytree(old, folder)
        child = subprocess.run(
            [sys.executable, "-c", SAVE_NEW_FILES, str(folder), str(kill_at)],
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
        assert after_settling[-1] in {("old",) * 3, ("new",) * 3}, f"killed at step {kill_at}"
        assert sorted(os.listdir(folder)) == FILES  # no temporary file, journal or lock
        save_network(saved_again, "net", {"weights": "newer"}, **writers(NEWER))  # the next save cleans up too
        assert files(saved_again) == files(newer) and sorted(os.listdir(saved_again)) == FILES
    assert kill_at >= 14, "killed at fewer steps than a save has"
    assert state(folder) == ("new",) * 3 and sorted(os.listdir(folder)) == FILES
    assert ("new", "old", "old") in before_settling  # killed between the renames: only the journal put it right
    assert ("new", "new", "old") in before_settling  # an .onnx of the new weights beside the old report
    outcomes = [keras for keras, _, _ in after_settling]
    assert outcomes == sorted(outcomes, reverse=True) and set(outcomes) == {"old", "new"}  # old until the commit


def test_the_report_names_both_files_and_all_are_readable_by_all(tmp_path):
    report = {"network": "net"}
    saved = save_network(tmp_path / "a" / "b", "net", report, **writers(NEW))
    assert report == {"network": "net"}  # the caller's dict is left alone
    folder = tmp_path / "a" / "b"
    assert json.loads((folder / "net.json").read_text()) == saved
    assert saved == {
        "network": "net",
        "weights_sha256": hashlib.sha256(NEW).hexdigest(),
        "onnx_sha256": hashlib.sha256(NEW[::-1]).hexdigest(),
    }
    assert files(folder)[:2] == (NEW, NEW[::-1])
    assert {oct((folder / name).stat().st_mode & 0o777) for name in FILES} == {"0o644"}


def test_a_file_left_out_is_kept_with_its_checksum(tmp_path):
    """train.py --onnx-only: a new .onnx and its checksum, the .keras and its checksum as they were."""
    first = save_network(tmp_path, "net", {"network": "net"}, **writers(OLD))
    keras_before = (tmp_path / "net.keras").read_bytes()
    again = save_network(tmp_path, "net", first, onnx=writers(NEW)["onnx"])
    assert (tmp_path / "net.keras").read_bytes() == keras_before and (tmp_path / "net.onnx").read_bytes() == NEW[::-1]
    assert again == {**first, "onnx_sha256": hashlib.sha256(NEW[::-1]).hexdigest()}
    assert save_network(tmp_path, "net", {**again, "note": "a report alone"}) == {**again, "note": "a report alone"}
    assert sorted(os.listdir(tmp_path)) == FILES


def test_a_failed_write_leaves_the_old_files_and_no_litter(tmp_path):
    save_network(tmp_path, "net", {}, **writers(OLD))
    before = files(tmp_path)

    def crash(path):
        open(path, "wb").write(b"half a model")
        raise KeyboardInterrupt

    for failing in ({"keras": crash, "onnx": writers(NEW)["onnx"]}, {"keras": writers(NEW)["keras"], "onnx": crash}):
        with pytest.raises(KeyboardInterrupt):
            save_network(tmp_path, "net", {}, **failing)
        assert files(tmp_path) == before and sorted(os.listdir(tmp_path)) == FILES


def test_the_next_save_removes_what_killed_runs_left_and_only_that(tmp_path):
    litter = [".net-k3j_9x2a.keras", ".net-0a1b2c3d.json", ".net-zz99yy88.pending", ".net.pending", ".net.lock"]
    litter += [".net-q1w2e3r4.onnx"]
    others = [".net-x-k3j_9x2a.keras", ".network-0a1b2c3d.json", ".net-abc.txt", "net-abc.keras", "notes.txt"]
    for entry in litter + others:
        (tmp_path / entry).write_text("left behind")
    save_network(tmp_path, "net", {}, **writers(NEW))
    assert sorted(os.listdir(tmp_path)) == sorted(others + FILES)


def test_settle_finishes_a_committed_save(tmp_path):
    """A journal whose first rename was done and the others not: settle does the others."""
    save_network(tmp_path, "net", {}, **writers(OLD))
    (tmp_path / ".net-aaaaaaaa.keras").write_bytes(NEW)
    (tmp_path / ".net-cccccccc.onnx").write_bytes(NEW[::-1])
    (tmp_path / ".net-bbbbbbbb.json").write_text("the new report\n")
    (tmp_path / ".net.pending").write_text(
        json.dumps(
            [
                [".net-aaaaaaaa.keras", "net.keras"],
                [".net-cccccccc.onnx", "net.onnx"],
                [".net-bbbbbbbb.json", "net.json"],
            ]
        )
    )
    os.replace(tmp_path / ".net-aaaaaaaa.keras", tmp_path / "net.keras")
    settle(tmp_path, "net")
    assert files(tmp_path) == (NEW, NEW[::-1], b"the new report\n") and sorted(os.listdir(tmp_path)) == FILES
    settle(tmp_path, "net")  # idempotent
    assert files(tmp_path) == (NEW, NEW[::-1], b"the new report\n")


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

    save_network(tmp_path, "net", {}, keras=write_and_settle)
    assert seen == [True] and (tmp_path / "net.keras").read_bytes() == NEW


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
