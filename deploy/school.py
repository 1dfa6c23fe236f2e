"""Digit Lab for a school without Docker: PostgreSQL, N Streamlit processes and nginx, from Debian's packages.

    apt-get install postgresql nginx
    DIGITLAB_TEACHER_KEY='four random words' python -m deploy.school [--replicas 2] [--port 8080]
        [--data /srv/digitlab | --database-url postgresql://user:password@host/db]

The same shape as deploy/compose.yaml: one address (nginx, deploy/nginx.conf.template), each browser kept on
one Streamlit process by a cookie, every process on one shared class store. Without --database-url it runs
its own PostgreSQL server with its data in --data/postgres (made the first time, kept after). Prints one JSON
line when the school is served ({"url": ..., "replicas": [...], "database": ...}), then serves until it is
stopped (Ctrl-C or SIGTERM), and stops everything it started. The tests and tools.classroom_load start it so.

A Streamlit process that dies (a crash, the kernel's out-of-memory killer) is started again on its own port
(supervised): meanwhile nginx sends its browsers to the others, where the pages rerun by themselves
(app_pages/recovery.py).
"""

import argparse
import contextlib
import json
import os
import shutil
import signal
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from digitlab.config import PROJECT_DIR
from digitlab.database import DATABASE_VARIABLE, shown
from tools.browser import StreamlitServer, free_port
from tools.postgres import private_server, server_pid

TEMPLATE = Path(__file__).with_name("nginx.conf.template")
NGINX = "/usr/sbin/nginx"
WATCH_EVERY = 0.5  # s between looks at the Streamlit processes
RESTART_PAUSE = 5.0  # s at least between two starts of one process: one that cannot start must not spin


def nginx_config(upstreams: list[str], listen: str, state: Path) -> str:
    """The template with its blanks filled: `upstreams` as host:port, nginx's own files in `state`."""
    lines = "\n".join(f"        server {address};" for address in upstreams)
    return string.Template(TEMPLATE.read_text()).safe_substitute(
        UPSTREAMS=lines, LISTEN=listen, STATE=state
    )  # nginx keeps its own $variables


@contextlib.contextmanager
def nginx(upstreams: list[str], port: int, host: str = "127.0.0.1", cpus: set[int] | None = None):
    """nginx on host:port in front of `upstreams`, checked (nginx -t) before it starts; stopped after. Yields
    its URL and process. cpus: the CPUs it may run on (all, if None)."""
    state = Path(tempfile.mkdtemp(prefix="digitlab-nginx-"))
    try:
        config = state / "nginx.conf"
        config.write_text(nginx_config(upstreams, f"{host}:{port}", state))
        checked = subprocess.run(
            [NGINX, "-t", "-q", "-c", str(config), "-p", str(state)], capture_output=True, text=True
        )
        if checked.returncode:
            raise RuntimeError(f"nginx refused its configuration {config}:\n{checked.stderr}")
        process = subprocess.Popen(
            [NGINX, "-c", str(config), "-p", str(state), "-g", "daemon off;"],
            preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
        )
        try:
            local = "127.0.0.1" if host == "0.0.0.0" else host
            wait_for_answer(f"http://{local}:{port}/_stcore/health", process)
            yield f"http://{local}:{port}/", process
        finally:
            process.terminate()
            process.wait(timeout=10)
    finally:
        shutil.rmtree(state, ignore_errors=True)


def wait_for_answer(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with code {process.returncode}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        time.sleep(0.1)
    raise RuntimeError(f"nothing answered at {url} within {timeout:.0f} s")


@contextlib.contextmanager
def class_store(database_url: str | None, data: Path | None):
    """The given database, or a PostgreSQL server of our own (its data in data/postgres, or a temporary one)."""
    if database_url:
        yield database_url
    else:
        with private_server(folder=data / "postgres" if data else None) as url:
            yield url


def restart_if_dead(server: StreamlitServer) -> bool:
    """Starts `server` again, on its own port, if its process has ended; whether it did. Not sooner than
    RESTART_PAUSE after its last start, so that a process that dies as it starts is not started in a tight loop.
    Its port is the same: nginx's list of processes never changes, and it takes the process back once it answers."""
    ended = server.process.poll()
    if ended is None or time.perf_counter() - server.started_at < RESTART_PAUSE:
        return False
    print(f"deploy.school: the Streamlit process on {server.url} ended ({ended}); starting it again", file=sys.stderr)
    server.start()
    return True


@contextlib.contextmanager
def supervised(servers: list[StreamlitServer], pids: list[int]):
    """While the context lasts, a thread starts again any of `servers` whose process ended, and puts its new
    process id in its place in `pids` (the first len(servers) entries), for those who watch the processes."""
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(WATCH_EVERY):
            for index, server in enumerate(servers):
                if restart_if_dead(server):
                    pids[index] = server.process.pid

    thread = threading.Thread(target=watch, name="school-supervisor", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@contextlib.contextmanager
def school(
    replicas: int = 2,
    port: int | None = None,
    database_url: str | None = None,
    data: Path | None = None,
    host: str = "127.0.0.1",
    cpus: set[int] | None = None,
):
    """Everything up; yields what the JSON line says, with the server's process ids (for the benchmarks; a
    Streamlit process started again gets its new id in the same place). Replicas start one after another: each
    imports the app's libraries, and starting them at once on a small machine only makes each slower. cpus: the
    CPUs the replicas and nginx may run on (all, if None)."""
    port = port or free_port()
    with class_store(database_url, data) as url, contextlib.ExitStack() as stack:
        servers = []
        for _ in range(replicas):
            server = StreamlitServer(PROJECT_DIR / "app.py", env={DATABASE_VARIABLE: url}, cpus=cpus)
            stack.enter_context(server)
            servers.append(server)
        addresses = [f"127.0.0.1:{server.port}" for server in servers]
        proxy, proxy_process = stack.enter_context(nginx(addresses, port, host, cpus))
        pids = [server.process.pid for server in servers] + [p for p in (proxy_process.pid, server_pid(url)) if p]
        stack.enter_context(supervised(servers, pids))  # left first: nothing is started again while all stop
        yield {"url": proxy, "replicas": [server.url for server in servers], "database": shown(url), "pids": pids}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=2, help="Streamlit processes (default 2)")
    parser.add_argument("--port", type=int, default=8080, help="the school's port (0: a free one)")
    parser.add_argument("--host", default="0.0.0.0", help="the address to serve on (default: every interface)")
    parser.add_argument("--database-url", help="an existing PostgreSQL database (default: a server of our own)")
    parser.add_argument("--data", type=Path, help="folder for our own server's data (default: a temporary one)")
    args = parser.parse_args()
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    try:
        with school(args.replicas, args.port or None, args.database_url, args.data, args.host) as served:
            print(json.dumps(served), flush=True)
            while not stopping:
                time.sleep(0.5)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    os.chdir(PROJECT_DIR)
    main()
