"""Every package the code imports is pinned in pyproject.toml, and the lock files hold each pin as it is there.

A package that only arrives because another one needs it can change or vanish when that one moves; so what the
code imports is named, with its version, in pyproject.toml (the app's in `dependencies`, the tests' and tools'
in the `dev` extra), and `uv pip compile` writes the hashed requirements files from it (see pyproject.toml).
"""

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

import pytest

from support import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
APP_CODE = ["app.py", "train.py", "digitlab", "app_pages"]
DEV_CODE = ["tools", "tests"]


def pins(requirements: list[str]) -> dict[str, str]:
    return dict(_name_and_version(line) for line in requirements)


def _name_and_version(requirement: str) -> tuple[str, str]:
    name, version = re.match(r"\s*([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*==\s*([^\s;#\\]+)", requirement).groups()
    return _normal(name), version


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_packages(places: list[str]) -> set[str]:
    """The distributions that the top-level modules imported in `places` come from (not the standard library's,
    not the project's own)."""
    modules = set()
    for place in places:
        path = ROOT / place
        for file in [path] if path.is_file() else path.rglob("*.py"):
            for node in ast.walk(ast.parse(file.read_text())):
                if isinstance(node, ast.Import):
                    modules.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    modules.add(node.module.split(".")[0])
    sources = packages_distributions()
    return {_normal(sources[module][0]) for module in modules - set(sys.stdlib_module_names) if module in sources}


APP_PINS = pins(PROJECT["dependencies"])
DEV_PINS = pins(PROJECT["optional-dependencies"]["dev"])


def test_every_package_the_app_imports_is_pinned_as_the_app_s():
    assert imported_packages(APP_CODE) - set(APP_PINS) == set()


def test_every_package_the_tests_and_tools_import_is_pinned():
    assert imported_packages(DEV_CODE) - set(APP_PINS) - set(DEV_PINS) == set()


@pytest.mark.parametrize(
    "lock, wanted", [("requirements.txt", APP_PINS), ("requirements-dev.txt", {**APP_PINS, **DEV_PINS})]
)
def test_the_lock_files_hold_every_pin_with_hashes(lock, wanted):
    text = (ROOT / lock).read_text()
    locked = pins([line for line in text.splitlines() if re.match(r"[A-Za-z0-9]", line)])
    assert {name: locked.get(name) for name in wanted} == wanted
    assert text.count("--hash=sha256:") >= len(locked)  # every package, with at least one hash
