"""PostgreSQL going away and coming back, behind a TCP proxy the test controls."""

from __future__ import annotations

import asyncio
import contextlib
import time
from urllib.parse import urlsplit

import httpx
import pytest

from app.db import Database
from app.domain.access.bootstrap import issue_scim_token
from app.settings import Settings
from tests.conftest import POSTGRES_URL, SKIP_PG
from tests.e2e.conftest import spawn_server, start_server, stop_server
from tests.e2e.test_health import free_port


class Proxy:
    """Forwards 127.0.0.1:port to PostgreSQL; `down()` drops every connection and refuses new."""

    def __init__(self, target_port: int) -> None:
        self.port = free_port()
        self.target_port = target_port
        self.server: asyncio.Server | None = None
        self.links: set[asyncio.StreamWriter] = set()

    async def up(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def down(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for writer in list(self.links):
            writer.close()
        self.links.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self.links |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()
        self.links.discard(writer)


def _via(proxy: Proxy) -> Settings:
    url = urlsplit(POSTGRES_URL)
    user = f"{url.username}@" if url.username else ""
    return Settings(
        database_url=f"postgresql://{user}127.0.0.1:{proxy.port}{url.path}", _env_file=None
    )


def _postgres_port() -> int:
    return urlsplit(POSTGRES_URL).port or 5432


async def _until(
    client: httpx.AsyncClient, url: str, status: int, seconds: float = 15, **kw: object
) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        response = await client.get(url, **kw)  # type: ignore[arg-type]
        if response.status_code == status or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.2)


@pytest.fixture
def pg_only(settings: Settings) -> Settings:
    if settings.database_kind != "postgresql" or not POSTGRES_URL:
        pytest.skip(SKIP_PG if not POSTGRES_URL else "a PostgreSQL fault test")
    return settings


async def test_database_lost_mid_run_then_back_without_restart(
    pg_only: Settings, clean_db: Database
) -> None:
    async with clean_db.transaction() as tx:
        token = await issue_scim_token(tx, name="faults", ttl_days=30, max_active=2)
    proxy = Proxy(_postgres_port())
    await proxy.up()
    proc, base = await asyncio.to_thread(start_server, _via(proxy))
    auth = {"Authorization": f"Bearer {token}"}
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            assert (await client.get(base + "/scim/v2/Users", headers=auth)).status_code == 200
            await proxy.down()
            ready = await _until(client, base + "/readyz", 503)
            scim = await _until(client, base + "/scim/v2/Users", 503, headers=auth)
            await proxy.up()
            back = await _until(client, base + "/readyz", 200)
            again = await _until(client, base + "/scim/v2/Users", 200, headers=auth)
    finally:
        await proxy.down()
        await asyncio.to_thread(stop_server, proc)
    assert ready.status_code == 503
    assert scim.status_code == 503
    assert scim.headers["retry-after"].isdigit()
    assert scim.headers["content-type"].startswith("application/scim+json")
    body = scim.json()
    assert (body["schemas"], body["status"]) == (
        ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "503",
    )
    assert (back.status_code, again.status_code) == (200, 200)


async def test_database_down_at_start_then_ready_when_it_returns(pg_only: Settings) -> None:
    proxy = Proxy(_postgres_port())
    spawned = await asyncio.to_thread(spawn_server, _via(proxy))
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            down = await _until(client, spawned.base + "/readyz", 503, seconds=2)
            await proxy.up()
            up = await _until(client, spawned.base + "/readyz", 200)
    finally:
        await proxy.down()
        await asyncio.to_thread(stop_server, spawned.proc)
    assert (down.status_code, up.status_code) == (503, 200)
