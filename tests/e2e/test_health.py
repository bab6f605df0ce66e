"""`roster serve` as a real process: health, readiness, and readiness failures."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.main import create_app
from app.settings import Settings


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """`python -m app serve` on a fresh SQLite file; yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "ROSTER_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "ROSTER_PORT": str(port),
        "ROSTER_LOG_LEVEL": "warning",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(base + "/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
        assert "GraphQL" in err and base in err


def test_serve_migrates_and_is_ready(server: str) -> None:
    assert httpx.get(server + "/healthz").json() == {"status": "ok"}
    ready = httpx.get(server + "/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ok"
    assert ready.json()["database"] == "sqlite"


async def _readyz(settings: Settings) -> httpx.Response:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.get("/readyz")


async def test_readyz_is_503_before_migrations(tmp_path: Path) -> None:
    response = await _readyz(
        Settings(database_url=f"sqlite:///{tmp_path / 'n.db'}", _env_file=None)
    )
    assert response.status_code == 503
    assert response.json()["database"] == "not migrated"


async def test_readyz_is_503_when_postgres_is_unreachable() -> None:
    settings = Settings(database_url="postgresql://postgres@127.0.0.1:1/none", _env_file=None)
    response = await _readyz(settings)
    assert (response.status_code, response.json()) == (
        503,
        {"status": "unavailable", "database": "unreachable"},
    )
