"""A private PostgreSQL server from Debian's packages: for the tests, the school-sized benchmarks and the
deployment without Docker (deploy/school.py).

    with private_server() as url:      # postgresql://postgres@/digitlab?host=<its folder>&port=<port>
        ...
    with private_server(folder=Path("/srv/digitlab/db")) as url:   # its data kept there, for next time

It runs Debian's own binaries (apt-get install postgresql) on a Unix socket in its folder: no TCP port, no
password, and no cluster of the machine's touched. Without a folder it is a temporary one, removed after.
PostgreSQL refuses to run as root, so as root it runs as the `postgres` user that Debian's package makes.
"""

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

DATABASE = "digitlab"
PORT = 5439  # only names the socket file: the server listens on no TCP port


def binaries() -> Path | None:
    """Debian's newest PostgreSQL bin/ folder (/usr/lib/postgresql/<version>/bin), or None if none is installed."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else None


@contextlib.contextmanager
def private_server(database: str = DATABASE, folder: Path | None = None):
    """A running server with the database `database` (made if new); yields its URL, and stops it after (and
    removes it, unless it lives in `folder`)."""
    bin_dir = binaries()
    if bin_dir is None:
        raise FileNotFoundError("PostgreSQL is not installed (apt-get install postgresql)")
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    kept = folder is not None
    folder = Path(folder).resolve() if kept else Path(tempfile.mkdtemp(prefix="digitlab-pg-"))
    data = folder / "data"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if as_user:
            shutil.chown(folder, "postgres")
        new = not (data / "PG_VERSION").exists()
        if new:
            run = [*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
            subprocess.run(run + ([] if kept else ["--no-sync"]), check=True, capture_output=True)
        durability = "" if kept else " -c fsync=off"  # a throwaway server need not survive a power cut
        options = f"-k {folder} -p {PORT} -c listen_addresses='' -c max_connections=200{durability}"
        start = [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log")]
        subprocess.run([*start, "-w", "start"], check=True, capture_output=True)
        try:
            if new:
                create = [*as_user, str(bin_dir / "createdb"), "-h", str(folder), "-p", str(PORT), "-U", "postgres"]
                subprocess.run([*create, database], check=True, capture_output=True)
            yield f"postgresql://postgres@/{database}?host={folder}&port={PORT}"
        finally:
            how = "fast" if kept else "immediate"  # a kept server shuts down cleanly
            subprocess.run(
                [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", how, "-w", "stop"], capture_output=True
            )
    finally:
        if not kept:
            shutil.rmtree(folder, ignore_errors=True)


def server_pid(url: str) -> int | None:
    """The process id of a private server's postmaster (the first line of its postmaster.pid), from its URL."""
    folder = url.split("host=", 1)[1].split("&", 1)[0] if "host=" in url else None
    pid_file = Path(folder) / "data" / "postmaster.pid" if folder else None
    return int(pid_file.read_text().split()[0]) if pid_file and pid_file.exists() else None


if __name__ == "__main__":  # a quick check: start one, print its URL and version, stop it
    import psycopg

    with private_server() as url:
        with psycopg.connect(url) as connection:
            print(url, connection.execute("SHOW server_version").fetchone()[0])
