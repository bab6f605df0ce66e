"""The README quickstart, run as written: its `<!-- quickstart -->` shell blocks against a live
server (SQLite), and the output it documents compared whole, so the README cannot rot."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import engine_settings
from tests.e2e.conftest import start_server, stop_server

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"<!-- quickstart -->\n```sh\n(.*?)```", re.DOTALL)
OUTPUT = re.compile(r"<!-- quickstart-output -->\n```json\n(.*?)```", re.DOTALL)


def test_the_readme_quickstart_works_as_written(tmp_path: Path) -> None:
    blocks = BLOCK.findall(README)
    assert len(blocks) == 2, "the quickstart's marked shell blocks"
    (documented,) = OUTPUT.findall(README)
    bin_dir = Path(sys.executable).parent  # the .venv/bin of this run
    settings = engine_settings("sqlite", tmp_path)
    server, base = start_server(settings)
    try:
        script = "\n".join(blocks).replace("http://127.0.0.1:8000", base)
        script = script.replace(".venv/bin/", f"{bin_dir}/")
        env = {k: v for k, v in os.environ.items() if not k.startswith("ROSTER_")}
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            env={**env, "ROSTER_DATABASE_URL": settings.database_url},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        token, pushed, answer = done.stdout.splitlines()
        assert re.fullmatch(r"rad_[A-Za-z0-9_-]{43}", token)
        assert json.loads(pushed)["userName"] == "ada@example.com"
        assert json.loads(answer) == json.loads(documented)
        assert done.stderr == "authentication type is now OKTA\n"
        console = httpx.get(base + "/console/", follow_redirects=True, timeout=10)
        assert console.status_code == 200
    finally:
        stop_server(server)
