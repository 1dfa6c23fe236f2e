"""The deployment's files agree with the code: the variables compose.yaml sets are the ones the app reads, and
the nginx template, filled in as deploy/school.py fills it, is a configuration nginx accepts."""

import re
import shutil
import subprocess
import time

from deploy import school
from deploy.school import NGINX, TEMPLATE, WATCH_EVERY, nginx_config, supervised
from digitlab.database import DATABASE_VARIABLE
from digitlab.teacher import KEY_VARIABLE
from digitlab.training_board import MAX_TRAININGS_VARIABLE
from support import ROOT, skip_or_fail

COMPOSE = (ROOT / "deploy" / "compose.yaml").read_text()


def test_compose_sets_what_the_app_reads():
    assert f"{DATABASE_VARIABLE}: postgresql://" in COMPOSE and f"{KEY_VARIABLE}:" in COMPOSE
    assert f"{MAX_TRAININGS_VARIABLE}: ${{{MAX_TRAININGS_VARIABLE}:-1}}" in COMPOSE
    assert "nginx.conf.template" in COMPOSE and "dockerfile: deploy/Dockerfile" in COMPOSE
    blanks = {"UPSTREAMS", "LISTEN", "STATE"}
    assert all(f"${{{blank}}}" in TEMPLATE.read_text() and f"$${blank}" in COMPOSE for blank in blanks)


def test_the_filled_in_template_is_a_configuration_nginx_accepts(tmp_path):
    if not shutil.which(NGINX):
        skip_or_fail("nginx is not installed: apt-get install nginx", "DIGITLAB_REQUIRE_SERVERS")
    config = tmp_path / "nginx.conf"
    config.write_text(nginx_config(["127.0.0.1:8601", "127.0.0.1:8602"], "127.0.0.1:8600", tmp_path))
    checked = subprocess.run([NGINX, "-t", "-c", str(config), "-p", str(tmp_path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert "${" not in config.read_text()  # every blank filled in


def test_compose_starts_every_service_again_after_a_crash():
    services = COMPOSE.split("\nservices:\n", 1)[1].split("\nvolumes:\n", 1)[0]
    blocks = re.split(r"\n(?=  \w[\w-]*:\n)", "\n" + services.strip("\n"))
    names = [block.strip().split(":", 1)[0] for block in blocks if block.strip()]
    assert names == ["db", "app", "proxy"]
    for block in filter(str.strip, blocks):
        assert re.search(r"\n    restart: (unless-stopped|always)\n", block + "\n"), block


class StandIn:  # the part of tools.browser.StreamlitServer the supervisor uses, on a cheap process
    def __init__(self):
        self.url = "http://127.0.0.1:1/"
        self.start()

    def start(self):
        self.process = subprocess.Popen(["sleep", "60"])
        self.started_at = time.perf_counter()
        return self


def test_the_school_starts_a_dead_process_again_and_keeps_its_id_current(monkeypatch):
    monkeypatch.setattr(school, "RESTART_PAUSE", 1.0)  # the test's processes start at once
    servers = [StandIn(), StandIn()]
    pids = [server.process.pid for server in servers] + [1]
    first = list(pids)
    try:
        with supervised(servers, pids):
            servers[0].process.kill()
            died = time.monotonic()
            while pids[0] == first[0] and time.monotonic() - died < 15:
                time.sleep(0.1)
            assert pids[0] != first[0] and servers[0].process.poll() is None
            assert pids[1:] == first[1:]
            assert time.monotonic() - died <= school.RESTART_PAUSE + 2 * WATCH_EVERY
        alive = [server.process for server in servers]
        alive[1].kill()
        time.sleep(school.RESTART_PAUSE + 2 * WATCH_EVERY)
        assert alive[1].poll() is not None and servers[1].process is alive[1]  # none started once the school stops
    finally:
        for server in servers:
            server.process.kill()
            server.process.wait()
