"""A real `roster serve` process on 127.0.0.1 over the run's test database (both engines)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from app.db import Database
from app.domain.access.bootstrap import issue_admin_token, issue_scim_token
from app.settings import Settings
from tests.e2e.test_health import free_port


@dataclass
class Live:
    """A running server and tokens for it."""

    base: str
    scim: str
    admin: str
    settings: Settings

    def scim_headers(self) -> dict[str, str]:
        """Headers of a SCIM client."""
        return {"Authorization": f"Bearer {self.scim}", "Content-Type": "application/scim+json"}


def start_server(
    settings: Settings, port: int | None = None, **env: str
) -> tuple[subprocess.Popen[str], str]:
    """`python -m app serve` on ``port`` (a free one by default); returns the process and its
    base URL."""
    port = port or free_port()
    full = {
        **os.environ,
        "ROSTER_DATABASE_URL": settings.database_url,
        "ROSTER_PORT": str(port),
        "ROSTER_ACCESS_LOG": "false",
        "ROSTER_RATE_LIMIT_PER_SECOND": "0",
        "ROSTER_LOG_LEVEL": "warning",
        **env,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "serve"],
        env=full,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60  # a loaded 2-core machine can take this long to start
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                return proc, base
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not become ready within 60 s")


@dataclass
class Spawned:
    """A server process that may not be ready yet."""

    proc: subprocess.Popen[str]
    base: str


def spawn_server(settings: Settings, **env: str) -> Spawned:
    """Start `python -m app serve` and wait only until it answers /healthz."""
    port = free_port()
    full = {
        **os.environ,
        "ROSTER_DATABASE_URL": settings.database_url,
        "ROSTER_PORT": str(port),
        "ROSTER_ACCESS_LOG": "false",
        "ROSTER_LOG_LEVEL": "warning",
        **env,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "serve"],
        env=full,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(base + "/healthz", timeout=1)
            return Spawned(proc, base)
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def stop_server(proc: subprocess.Popen[str]) -> None:
    """Terminate and reap."""
    proc.terminate()
    try:
        proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()


@pytest.fixture
async def live(settings: Settings, clean_db: Database) -> AsyncIterator[Live]:
    """A server on the clean test database, with a SCIM token and an OWNER admin token."""
    async with clean_db.transaction() as tx:
        scim = await issue_scim_token(tx, name="e2e", ttl_days=30, max_active=2)
        admin = await issue_admin_token(tx, login_id="owner@example.com", role="owner")
    proc, base = start_server(settings)
    try:
        yield Live(base, scim, admin, settings)
    finally:
        stop_server(proc)


@pytest.fixture
async def workers(settings: Settings, clean_db: Database) -> AsyncIterator[Live]:
    """`roster serve` with two workers on the test database (either engine), with a SCIM and an
    OWNER token."""
    async with clean_db.transaction() as tx:
        scim = await issue_scim_token(tx, name="okta", ttl_days=30, max_active=2)
        admin = await issue_admin_token(tx, login_id="owner@example.com", role="owner")
    proc, base = start_server(settings, ROSTER_WORKERS="2")
    try:
        yield Live(base, scim, admin, settings)
    finally:
        stop_server(proc)
