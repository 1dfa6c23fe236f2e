"""A network's files (<name>.keras, .onnx and .json) replaced as one: a crash leaves the old set or the new set.

One file is replaced safely by writing a temporary file beside it and renaming it over the old one: a
rename is atomic. Several renames are not atomic together, and a save killed between them would leave new
weights beside the old report, or an .onnx of other weights than the .keras: files that no longer belong
together. So a save commits the way a database does, through a small journal:

1. the new files are written in full to temporary files in the same folder, and flushed to disk;
2. a journal, `.<name>.pending`, naming the temporary files, is put in place by a rename: the commit;
3. each temporary file is renamed onto its target, then the journal is removed.

Killed before step 2, the old set is untouched and the temporary files are litter; killed after it, the
journal says how to finish. `settle` does either, and the next save settles first, as should a reader
before it loads a network. Saves and settles of one name hold an exclusive flock (which the kernel
releases even when the holder is killed), so no one settles a save that is still running.

The report keeps the SHA-256 of each model file it describes (CHECKSUMS), so that a reader can tell that
the files it finds belong together, whatever was copied by hand.

Standard library only: the app reads networks without importing TensorFlow, and train.py checks its
output folder before paying for that import.
"""

import errno
import fcntl
import hashlib
import json
import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path

from digitlab.config import model_path, onnx_path, report_path

PUBLIC_MODE = 0o644  # mkstemp makes files private; a network is for everyone who runs the app
CHECKSUMS = {".keras": "weights_sha256", ".onnx": "onnx_sha256"}  # the report's key for each model file's SHA-256


class OutputError(Exception):
    """A folder that cannot take a network's files; the message says why, in one sentence."""


def check_writable(folder: str | Path) -> None:
    """Returns if files can be written into `folder` (created with its parents if missing), else raises OutputError.

    train.py calls it first, so that a bad --out stops the run in a second rather than after minutes of
    training. The proof is a real file written there: permission bits prove little (root ignores them,
    and they know nothing of a read-only file system). The folders it had to create are removed again,
    so that a run that stops later for another reason (bad data, Ctrl-C) leaves nothing behind.
    """
    folder = Path(folder)
    try:
        if folder.exists() and not folder.is_dir():
            raise OutputError(f"{folder} is a file, not a folder")
        missing = [path for path in (folder, *folder.parents) if not path.exists()]  # deepest first
    except OSError as error:
        raise OutputError(f"cannot reach {folder}: {_reason(error)}") from error
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot create the folder {folder}: {_reason(error)}") from error
    try:
        with tempfile.TemporaryFile(dir=folder) as probe:  # nameless where possible: nothing to leave behind
            probe.write(b"probe")
            probe.flush()
    except OSError as error:
        raise OutputError(f"cannot write to {folder}: {_reason(error)}") from error
    finally:
        for path in missing:
            try:
                path.rmdir()
            except OSError:
                break


def save_network(folder: str | Path, name: str, report: dict, keras=None, onnx=None) -> dict:
    """Writes <name>.keras (through keras(path)), <name>.onnx (through onnx(path)) and <name>.json (the report)
    into `folder`, as one change; a writer left out keeps its file as it is (an .onnx added to a saved network,
    say, or a report rewritten alone).

    The report is written with the SHA-256 of each file written (CHECKSUMS: "weights_sha256", "onnx_sha256"),
    so that anyone can check that the files belong together; the checksums of files kept are taken from
    `report` as it is. Until the commit an exception (Ctrl-C, a full disk) leaves the old set and no temporary
    files; a kill leaves the old set and litter that the next save or `settle` removes. Returns the report
    as written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    writers = [
        (target, write)
        for target, write in ((model_path(name, folder), keras), (onnx_path(name, folder), onnx))
        if write
    ]
    with _lock(folder, name, wait=True):
        _settle(folder, name)
        temporaries, written = [], dict(report)
        try:
            for target, write in writers:
                temporaries.append((_temporary(folder, name, target.suffix), target))
                write(str(temporaries[-1][0]))
                written[CHECKSUMS[target.suffix]] = _flush(temporaries[-1][0])
            temporaries.append((_temporary(folder, name, ".json"), report_path(name, folder)))
            _write_text(temporaries[-1][0], json.dumps(written, indent=2) + "\n")
            for path, _ in temporaries:
                os.chmod(path, PUBLIC_MODE)
            _commit(folder, name, temporaries)
        except BaseException:
            for path, _ in temporaries:
                _remove(path)
            raise
        _finish(folder, name)
    return written


def settle(folder: str | Path, name: str) -> None:
    """Completes or undoes an interrupted save of <name> in `folder`, and removes its temporary files.

    After it, <name>.keras, .onnx and .json are those of the last save that reached its commit, unless
    a save is running right now (then it does nothing: that save settles first itself). Idempotent and
    never raises: on a folder it cannot change (read-only, say) it leaves things as they are. It creates
    nothing when there is nothing to do, so a reader can call it before every load.
    """
    folder = Path(folder)
    try:
        if not _has_litter(folder, name):
            return
        with _lock(folder, name, wait=False) as locked:
            if locked:
                _settle(folder, name)
    except OSError:
        pass


def _settle(folder: Path, name: str) -> None:
    """settle's work, under the lock: the journal's renames finished, then every other temporary file removed."""
    _finish(folder, name)
    for entry in os.listdir(folder):
        if _temporary_pattern(name).fullmatch(entry):
            _remove(folder / entry)


def _commit(folder: Path, name: str, renames) -> None:
    """Writes the journal of `renames` ((temporary, target) paths) atomically and durably: the save's commit point."""
    temporary = _temporary(folder, name, ".pending")
    try:
        _write_text(temporary, json.dumps([[source.name, target.name] for source, target in renames]))
        os.replace(temporary, _journal(folder, name))
    except BaseException:
        _remove(temporary)
        raise
    _fsync_folder(folder)  # the journal is on disk before any target changes


def _finish(folder: Path, name: str) -> None:
    """Carries out the journal's renames whose temporary file is still there (the others are done), then drops it."""
    journal = _journal(folder, name)
    try:
        renames = [(str(source), str(target)) for source, target in json.loads(journal.read_text())]
    except FileNotFoundError:
        return
    except (ValueError, TypeError):  # not a journal of ours (they are written whole, then renamed): not to follow
        renames = []
    allowed = {path.name for path in (model_path(name, folder), onnx_path(name, folder), report_path(name, folder))}
    for source, target in renames:
        if _temporary_pattern(name).fullmatch(source) and target in allowed and os.path.lexists(folder / source):
            os.replace(folder / source, folder / target)
    _fsync_folder(folder)  # the renames are on disk before the journal goes
    os.unlink(journal)


@contextmanager
def _lock(folder: Path, name: str, wait: bool):
    """Holds an exclusive flock on <folder>/.<name>.lock, removing the file again on release; yields False if
    wait is False and someone else holds it.

    The lock file is removed so that it does not linger in model/. Removing a lock file is safe only with a
    check: a process that opened it before its removal locks a file no one else will see, so after locking
    we make sure the file at the path is still the one we hold, and start again if not.
    """
    path = folder / f".{name}.lock"
    while True:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, PUBLIC_MODE)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            yield False
            return
        except BaseException:
            os.close(handle)
            raise
        if _is_open_file(handle, path):
            break
        os.close(handle)
    try:
        yield True
    finally:
        _remove(path)
        os.close(handle)


def _is_open_file(handle: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(handle)
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def _has_litter(folder: Path, name: str) -> bool:
    """Whether an interrupted save may have left something: its journal, its lock file or its temporary files."""
    own = {_journal(folder, name).name, f".{name}.lock"}
    return any(entry in own or _temporary_pattern(name).fullmatch(entry) for entry in os.listdir(folder))


def _temporary(folder: Path, name: str, suffix: str) -> Path:
    """A new empty file `.<name>-XXXXXXXX<suffix>` in folder: beside its target, so the rename stays on one disk."""
    handle, path = tempfile.mkstemp(dir=folder, prefix=f".{name}-", suffix=suffix)
    os.close(handle)
    return Path(path)


def _temporary_pattern(name: str) -> re.Pattern:
    """The names _temporary gives for `name` (mkstemp's random part has no "-", so network "a-b"'s are not "a"'s)."""
    return re.compile(rf"\.{re.escape(name)}-[a-z0-9_]+\.(keras|onnx|json|pending)")


def _journal(folder: Path, name: str) -> Path:
    return folder / f".{name}.pending"


def _write_text(path: Path, text: str) -> None:
    with open(path, "w") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())


def _flush(path: Path) -> str:
    """Forces a file written by someone else onto the disk; returns its SHA-256, read on the way."""
    with open(path, "r+b") as file:
        digest = hashlib.file_digest(file, "sha256").hexdigest()
        os.fsync(file.fileno())
    return digest


def sha256_of(path: str | Path) -> str:
    """The checksum a report keeps of a model file (CHECKSUMS): a reader can tell that the files belong together."""
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def sha256_of_bytes(data: bytes) -> str:
    """sha256_of for a file already read: the bytes checked are then the very bytes used."""
    return hashlib.sha256(data).hexdigest()


def _fsync_folder(folder: Path) -> None:
    """Makes the folder's renames durable. Some file systems cannot sync a folder; they get no stronger promise."""
    handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(handle)
    except OSError as error:
        if error.errno not in (errno.EINVAL, errno.ENOTSUP):
            raise
    finally:
        os.close(handle)


def _remove(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _reason(error: OSError) -> str:
    return error.strerror or str(error)
