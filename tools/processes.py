"""Processes, for the benchmarks: the memory and CPU time of process trees, the whole machine's CPU use, and
the CPUs split between a server and its clients. Read with psutil; Linux's figures (PSS needs /proc's
smaps_rollup, which psutil reads).

Shared by tools.classroom_load (Monitor), tools.server_cost and tools.training_latency (cpu_seconds,
split_cpus).
"""

import os
import threading
import time

import psutil


def tree(root: int) -> list[psutil.Process]:
    """The process and all its descendants; none if it has ended."""
    try:
        process = psutil.Process(root)
        return [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def memory_and_cpu(processes, proportional: bool = False) -> tuple[int, float]:
    """Summed memory (bytes) and CPU time (user + system, s) of the processes, leaving out those that have
    ended: the memory resident (RSS), or with `proportional` its PSS (shared pages split between the
    processes sharing them, so that a browser's processes are not counted many times over)."""
    memory, cpu = 0, 0.0
    for process in processes:
        try:
            with process.oneshot():
                used = process.memory_full_info().pss if proportional else process.memory_info().rss
                times = process.cpu_times()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        memory += used
        cpu += times.user + times.system
    return memory, cpu


def cpu_seconds(pid: int, descendants: bool = True) -> float:
    """CPU time (user + system, s) used so far by the process and, with `descendants`, by its children."""
    return memory_and_cpu(tree(pid) if descendants else [psutil.Process(pid)])[1]


def machine_busy() -> float:
    """CPU seconds the whole machine has spent busy since boot: all its CPUs' time but idle and iowait."""
    times = psutil.cpu_times()
    # guest time is counted in user time already (psutil's own cpu_percent leaves it out likewise)
    return sum(times) - times.idle - times.iowait - times.guest - times.guest_nice


def split_cpus(server_cores: int) -> tuple[set[int] | None, set[int] | None]:
    """(the server's CPUs, the clients' CPUs), or (None, None) to share them all (too few to split)."""
    cpus = sorted(os.sched_getaffinity(0))
    if server_cores <= 0 or server_cores >= len(cpus):
        return None, None
    return set(cpus[:server_cores]), set(cpus[server_cores:])


class Monitor(threading.Thread):
    """Samples a server's process tree and everything else this script started (browsers, Playwright's
    driver: the clients) every `period` s, by phase: each phase's peak memory, and CPU use between marks."""

    def __init__(self, server_pids: int | list[int], period: float = 1.0):
        """server_pids: the server's process, or its processes (a school's: each replica, the proxy, the database)."""
        super().__init__(name="monitor", daemon=True)
        self.server_pids = [server_pids] if isinstance(server_pids, int) else list(server_pids)
        self.period = period
        self.phase = "start"
        self.peaks: dict[str, dict] = {}
        self.marks: dict[str, dict] = {}
        self.stop_event = threading.Event()

    def sample(self) -> dict:
        server = [process for pid in self.server_pids for process in tree(pid)]
        server_pids = {p.pid for p in server}
        clients = [p for p in tree(os.getpid())[1:] if p.pid not in server_pids]
        server_rss, server_cpu = memory_and_cpu(server)
        client_rss, client_cpu = memory_and_cpu(clients, proportional=True)
        return {
            "server_rss": server_rss,
            "server_cpu": server_cpu,
            "server_processes": len(server),
            "own_cpu": cpu_seconds(os.getpid(), descendants=False),
            "clients_rss": client_rss,
            "clients_cpu": client_cpu,
            "machine_busy": machine_busy(),
            "t": time.monotonic(),
        }

    def run(self) -> None:
        while not self.stop_event.is_set():
            s = self.sample()
            peak = self.peaks.setdefault(self.phase, {"server_rss": 0, "clients_rss": 0})
            peak["server_rss"] = max(peak["server_rss"], s["server_rss"])
            peak["clients_rss"] = max(peak["clients_rss"], s["clients_rss"])
            self.stop_event.wait(self.period)

    def enter(self, phase: str) -> None:
        """Starts a phase: its CPU use is counted from here to the next phase."""
        self.marks[phase] = self.sample()
        self.phase = phase

    def cpu(self, phase: str, until: str) -> dict:
        """Cores used on average from the mark of `phase` to that of `until`: by the server, by the clients, by
        this script itself (in tools.classroom_load, the protocol sessions) and by the whole machine."""
        a, b = self.marks[phase], self.marks[until]
        wall = b["t"] - a["t"]
        return {
            "wall_s": round(wall, 1),
            "server_cores": round((b["server_cpu"] - a["server_cpu"]) / wall, 2),
            "browsers_and_driver_cores": round((b["clients_cpu"] - a["clients_cpu"]) / wall, 2),
            "this_script_cores": round((b["own_cpu"] - a["own_cpu"]) / wall, 2),
            "machine_busy_cores": round((b["machine_busy"] - a["machine_busy"]) / wall, 2),
            "machine_cores": os.cpu_count() or 1,
        }
