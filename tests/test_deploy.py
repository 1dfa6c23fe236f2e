"""The deployment's files agree with the code: the variables compose.yaml sets are the ones the app reads, and
the nginx template, filled in as deploy/school.py fills it, is a configuration nginx accepts."""

import shutil
import subprocess

from deploy.school import NGINX, TEMPLATE, nginx_config
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
