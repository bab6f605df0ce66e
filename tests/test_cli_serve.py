"""`roster serve`: flags over the environment, the banner, and a busy port (real processes)."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from app.cli import version
from app.cli_serve import self_command, shared_sqlite_problem
from tests.e2e.test_health import free_port

ROOT = Path(__file__).resolve().parents[1]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROSTER_")}
    return {
        **env,
        "ROSTER_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "ROSTER_LOG_LEVEL": "warning",
        **extra,
    }


@pytest.fixture
def busy() -> Iterator[int]:
    """A port another process listens on."""
    with socket.socket() as held:
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield int(held.getsockname()[1])


async def _serve(env: dict[str, str], *flags: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        "serve",
        *flags,
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _finished(proc: asyncio.subprocess.Process) -> tuple[int, str, str]:
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_a_busy_port_is_one_clear_line_before_anything_else(
    tmp_path: Path, busy: int
) -> None:
    line = (
        f"roster: 127.0.0.1:{busy} is already in use (another server?); choose another with"
        " --port PORT or ROSTER_PORT\n"
    )
    by_flag = await _serve(_env(tmp_path, ROSTER_PORT=str(free_port())), "--port", str(busy))
    assert await _finished(by_flag) == (1, "", line)
    by_env = await _serve(_env(tmp_path, ROSTER_PORT=str(busy)))
    assert await _finished(by_env) == (1, "", line)
    elsewhere = await _serve(_env(tmp_path), "--host", "192.0.2.1", "--port", str(busy))
    assert await _finished(elsewhere) == (  # TEST-NET-1: no interface has it
        1,
        "",
        f"roster: cannot listen on 192.0.2.1:{busy}: Cannot assign requested address; check"
        " --host and --port\n",
    )
    assert not (tmp_path / "serve.db").exists()  # refused before migrating anything


async def test_flags_override_the_environment_and_the_banner_says_how_to_start(
    tmp_path: Path, busy: int
) -> None:
    port = free_port()
    proc = await _serve(
        _env(tmp_path, ROSTER_PORT=str(busy), ROSTER_HOST="localhost"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    )
    assert proc.stderr is not None
    base = f"http://127.0.0.1:{port}"
    try:
        banner = [
            (await asyncio.wait_for(proc.stderr.readline(), 60)).decode().rstrip("\n")
            for _ in range(6)
        ]
        assert banner == [
            f"Roster {version()} on {base}  (database: sqlite)",
            f"  console   {base}/console   sign in with an admin API token; make one with:",
            "            python -m app token create-admin --login you@example.com",
            f"  GraphQL   {base}/graphql   (GraphiQL in a browser: Headers"
            ' {"Authorization": "Bearer <admin token>"})',
            f"  SCIM 2.0  {base}/scim/v2   (the IdP's token: python -m app token create-scim"
            " --name okta)",
            f"  health    {base}/healthz  {base}/readyz  {base}/metrics",
        ]
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                try:
                    ready = await client.get(base + "/readyz", timeout=1)
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
        assert ready.status_code == 200
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 30)


async def test_several_workers_are_refused_on_an_in_memory_sqlite_database(
    tmp_path: Path,
) -> None:
    env = _env(tmp_path, ROSTER_DATABASE_URL="sqlite:///:memory:")
    proc = await _serve(env, "--workers", "2", "--port", str(free_port()))
    assert await _finished(proc) == (
        2,
        "",
        "roster: an in-memory SQLite database lives in one process; ROSTER_WORKERS > 1 needs"
        " a file\n",
    )


def test_a_sqlite_file_is_switched_to_wal_for_several_workers_or_refused(tmp_path: Path) -> None:
    shared = tmp_path / "shared.db"
    assert shared_sqlite_problem(str(shared)) is None
    with closing(sqlite3.connect(shared)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchall() == [("wal",)]

    held = tmp_path / "held.db"
    with closing(sqlite3.connect(held, isolation_level=None)) as owner:
        owner.execute("PRAGMA locking_mode=EXCLUSIVE")  # another program keeps the file
        owner.execute("CREATE TABLE t (x)")
        problem = shared_sqlite_problem(str(held), wait=0.1)
    assert problem == (
        f"{held} cannot use WAL mode (journal mode unknown: database is locked), which several"
        " workers on SQLite need; keep it on a local filesystem, or serve with ROSTER_WORKERS=1"
    )


def test_the_banner_names_roster_as_this_shell_can_run_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / ".venv" / "bin" / "roster"
    script.parent.mkdir(parents=True)
    script.touch()
    monkeypatch.chdir(tmp_path)
    assert self_command(str(script), None) == ".venv/bin/roster"  # make run: not on PATH
    assert self_command(str(script), str(script)) == "roster"  # an activated venv, pipx
    assert self_command("/x/app/__main__.py", None) == "python -m app"
