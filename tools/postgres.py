"""A throwaway PostgreSQL server from Debian's packages, for the tests and the school-sized benchmarks.

    with private_server() as url:      # postgresql://postgres@/digitlab?host=<its folder>&port=<port>
        ...

It runs Debian's own binaries (apt-get install postgresql) on a Unix socket in a temporary folder: no TCP
port, no password, nothing left behind, and no cluster of the machine's touched. PostgreSQL refuses to run
as root, so as root it runs as the `postgres` user that Debian's package makes.
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
def private_server(database: str = DATABASE):
    """A running server with an empty database `database`; yields its URL, and stops and removes it after."""
    bin_dir = binaries()
    if bin_dir is None:
        raise FileNotFoundError("PostgreSQL is not installed (apt-get install postgresql)")
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    folder = Path(tempfile.mkdtemp(prefix="digitlab-pg-"))
    data = folder / "data"
    try:
        if as_user:
            shutil.chown(folder, "postgres")
        run = [*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
        subprocess.run([*run, "--no-sync"], check=True, capture_output=True)
        options = f"-k {folder} -p {PORT} -c listen_addresses='' -c fsync=off -c max_connections=200"
        start = [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log")]
        subprocess.run([*start, "-w", "start"], check=True, capture_output=True)
        try:
            create = [*as_user, str(bin_dir / "createdb"), "-h", str(folder), "-p", str(PORT), "-U", "postgres"]
            subprocess.run([*create, database], check=True, capture_output=True)
            yield f"postgresql://postgres@/{database}?host={folder}&port={PORT}"
        finally:
            stop = [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
            subprocess.run(stop, capture_output=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":  # a quick check: start one, print its URL and version, stop it
    import psycopg

    with private_server() as url:
        with psycopg.connect(url) as connection:
            print(url, connection.execute("SHOW server_version").fetchone()[0])
