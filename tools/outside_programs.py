"""Which programs a process starts, for the tests that prove a picture never runs one: Pillow hands PostScript
to Ghostscript (`gs`), which runs a looping program for ever. A watch samples the process's tree (psutil)
every few milliseconds while a picture is read, and keeps the names it saw; a Ghostscript left running after
a failed test is ended, by its pid, so that the next test starts clean."""

import shutil
import threading

import psutil

GHOSTSCRIPT = ("gs", "ghostscript", "gsc", "gsx")  # the names Ghostscript's command runs under


def ghostscript_installed() -> bool:
    """Whether Ghostscript is there to be run: without it, a test that it never runs would prove nothing."""
    return any(shutil.which(name) for name in GHOSTSCRIPT)


class ProgramWatch(threading.Thread):
    """A context manager: the names of the programs started under process `pid` while it lasts (`seen`)."""

    def __init__(self, pid: int, period: float = 0.002):
        super().__init__(name="program-watch", daemon=True)
        self.pid, self.period = pid, period
        self.seen: set[str] = set()
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.is_set():
            self.look()
            self.stop_event.wait(self.period)

    def look(self) -> None:
        try:
            children = psutil.Process(self.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return
        for child in children:
            try:
                self.seen.add(child.name())
            except psutil.NoSuchProcess:
                continue

    def ghostscript(self) -> bool:
        return any(name in GHOSTSCRIPT for name in self.seen)

    def __enter__(self) -> "ProgramWatch":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop_event.set()
        self.join()
        self.look()  # one last look, in case a program started between two samples


def end_ghostscripts(pid: int) -> None:
    """Ends each Ghostscript under process `pid`, by its own pid (a looping one never ends by itself)."""
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return
    for child in children:
        try:
            if child.name() in GHOSTSCRIPT:
                child.kill()
        except psutil.NoSuchProcess:
            continue
