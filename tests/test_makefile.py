"""`make run` installs the runtime (+ [cli]) only; `make test`/`make lint` add [dev] once.

Checked with `make -n` (what make would run) against a scratch VENV with or without stamps.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="no make (apt-get install make)")

RUNTIME = "pip install -q -e '.[cli]'"
DEV = "pip install -q -e '.[cli,dev]'"


def planned(venv: Path, target: str) -> list[str]:
    """The pip installs `make -n <target>` would run for ``venv``."""
    assert MAKE is not None
    out = subprocess.run(
        [MAKE, "-n", f"VENV={venv}", target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line.split("/bin/python -m ", 1)[1] for line in out.splitlines() if "-e '." in line]


def test_make_run_installs_the_runtime_only(tmp_path: Path) -> None:
    assert planned(tmp_path / "venv", "run") == [RUNTIME]
    assert planned(tmp_path / "venv", "migrate") == [RUNTIME]


def test_make_test_and_lint_add_the_dev_tools_once(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    assert planned(venv, "test") == [RUNTIME, DEV]
    venv.mkdir()
    (venv / ".runtime-stamp").touch()  # after `make run`: only the dev tools are added
    assert planned(venv, "test") == [DEV]
    assert planned(venv, "lint") == [DEV]
    (venv / ".dev-stamp").touch()  # after `make test`: `make run` reinstalls nothing
    assert planned(venv, "run") == []
    assert planned(venv, "test") == []
