"""A database that is gone, empty or not migrated, under a running server: every route that
needs it answers 503 with a message and Retry-After (a SCIM error under /scim/v2, a GraphQL
error with a code under /graphql, JSON for /readyz), never a 500; and the server recovers
without a restart once the database is back.

Each test runs its own server on its own database, as it destroys it: a SQLite file in the
test's directory, or the throwaway PostgreSQL database ``<test database>_drop``.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app import migrations
from app.db import Database
from app.domain.access.bootstrap import issue_admin_token, issue_scim_token
from app.settings import Settings
from tests.conftest import POSTGRES_URL, SKIP_PG
from tests.e2e.conftest import start_server, stop_server

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
NOT_MIGRATED = (
    "the database holds no Roster schema or one older than this version: run `roster migrate`"
)
QUERY = {"query": "{ viewer { loginId } }"}
MUTATION = {"query": 'mutation { createGroup(input: {displayName: "g"}) { userErrors { code } } }'}


async def _probe(base: str, scim: str, admin: str) -> list[tuple[str, int, Any, str | None]]:
    """(route, status, body, Retry-After) of a request to each route that needs the database."""
    scim_auth = {"Authorization": f"Bearer {scim}", "Content-Type": "application/scim+json"}
    admin_auth = {"Authorization": f"Bearer {admin}"}
    requests: list[tuple[str, str, dict[str, str], dict[str, Any] | None]] = [
        ("GET", "/scim/v2/Users", scim_auth, None),
        ("GET", "/scim/v2/Users/0", scim_auth, None),
        ("POST", "/scim/v2/Users", scim_auth, {"schemas": [USER], "userName": "a@x.com"}),
        ("GET", "/scim/v2/Schemas", {}, None),
        ("POST", "/graphql", admin_auth, QUERY),
        ("POST", "/graphql", admin_auth, MUTATION),
        ("GET", "/readyz", {}, None),
    ]
    found = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        for method, path, headers, body in requests:
            response = await client.request(method, path, headers=headers, json=body)
            found.append(
                (
                    f"{method} {path}"
                    + (f" {body['query'][:8]}" if body and "query" in body else ""),
                    response.status_code,
                    response.json(),
                    response.headers.get("retry-after"),
                )
            )
    return found


def _expected(detail: str, ready: dict[str, Any]) -> list[tuple[str, int, Any, str | None]]:
    scim = {"schemas": [ERROR], "status": "503", "detail": detail}
    graphql = {"errors": [{"message": detail, "extensions": {"code": "UNAVAILABLE"}}]}
    return [
        ("GET /scim/v2/Users", 503, scim, "1"),
        ("GET /scim/v2/Users/0", 503, scim, "1"),
        ("POST /scim/v2/Users", 503, scim, "1"),
        ("GET /scim/v2/Schemas", 503, scim, "1"),
        ("POST /graphql { viewer", 503, graphql, "1"),
        ("POST /graphql mutation", 503, graphql, "1"),
        ("GET /readyz", 503, ready, None),
    ]


def _not_migrated_ready(revision: str | None = None) -> dict[str, Any]:
    head = migrations.head_revision()
    return {"status": "unavailable", "database": "not migrated", "revision": revision, "head": head}


UNREACHABLE = {"status": "unavailable", "database": "unreachable"}


async def _tokens(settings: Settings) -> tuple[str, str]:
    db = Database(settings)
    await db.connect()
    try:
        async with db.transaction() as tx:
            scim = await issue_scim_token(tx, name="idp", ttl_days=30, max_active=2)
            admin = await issue_admin_token(tx, login_id="owner@example.com", role="owner")
    finally:
        await db.close()
    return scim, admin


async def _users(base: str, scim: str) -> int:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        response = await client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {scim}"})
    return response.status_code


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    """A migrated SQLite database of the test's own."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'roster.db'}", _env_file=None)
    migrations.upgrade(settings)
    return settings


def _remove_sqlite(path: str, *, then_create: bool = False) -> bool:
    """Delete the database and its WAL files (and create an empty file); whether it existed."""
    existed = Path(path).exists()
    for suffix in ("", "-wal", "-shm"):
        Path(path + suffix).unlink(missing_ok=True)
    if then_create:
        Path(path).touch()
    return existed


async def test_sqlite_file_replaced_by_an_empty_one_then_restored(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    scim, admin = await _tokens(sqlite_settings)
    proc, base = await asyncio.to_thread(start_server, sqlite_settings)
    path = sqlite_settings.sqlite_path
    try:
        assert await _users(base, scim) == 200
        with sqlite3.connect(path) as live, sqlite3.connect(tmp_path / "backup.db") as copy:
            live.backup(copy)
        _remove_sqlite(path, then_create=True)  # empty: a valid SQLite database, no tables
        emptied = await _probe(base, scim, admin)
        _remove_sqlite(path)
        shutil.copy(tmp_path / "backup.db", path)  # the restore docs/security.md describes
        restored = await _users(base, scim)
    finally:
        await asyncio.to_thread(stop_server, proc)
    assert emptied == _expected(NOT_MIGRATED, _not_migrated_ready())
    assert restored == 200


async def test_sqlite_file_deleted_under_the_server(sqlite_settings: Settings) -> None:
    scim, admin = await _tokens(sqlite_settings)
    proc, base = await asyncio.to_thread(start_server, sqlite_settings)
    try:
        assert await _users(base, scim) == 200
        _remove_sqlite(sqlite_settings.sqlite_path)
        deleted = await _probe(base, scim, admin)
        still_gone = _remove_sqlite(sqlite_settings.sqlite_path)
    finally:
        await asyncio.to_thread(stop_server, proc)
    missing = "the SQLite database file is missing: restore it, or run `roster migrate`"
    assert deleted == _expected(missing, UNREACHABLE)
    assert not still_gone  # the server did not create an empty database in its place


@pytest.fixture
def dropped_pg() -> Iterator[Settings]:
    """A migrated throwaway PostgreSQL database, dropped (if still there) at the end."""
    if not POSTGRES_URL:
        pytest.skip(SKIP_PG)
    import psycopg

    base = Settings(database_url=POSTGRES_URL, _env_file=None)
    name = base.postgres_dsn.rsplit("/", 1)[1].split("?")[0] + "_drop"
    admin_dsn = base.postgres_dsn.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    settings = Settings(database_url=POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}", _env_file=None)
    migrations.upgrade(settings)
    yield settings
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _sql(dsn: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement.encode())


async def test_postgres_schema_dropped_then_migrated_again(dropped_pg: Settings) -> None:
    scim, admin = await _tokens(dropped_pg)
    proc, base = await asyncio.to_thread(start_server, dropped_pg)
    try:
        assert await _users(base, scim) == 200
        _sql(dropped_pg.postgres_dsn, "DROP SCHEMA public CASCADE", "CREATE SCHEMA public")
        dropped = await _probe(base, scim, admin)
        _sql(dropped_pg.postgres_dsn, "DROP SCHEMA public CASCADE")
        no_schema = await _probe(base, scim, admin)
        _sql(dropped_pg.postgres_dsn, "CREATE SCHEMA public")
        await asyncio.to_thread(migrations.upgrade, dropped_pg)
        scim, admin = await _tokens(dropped_pg)
        back = await _users(base, scim)
    finally:
        await asyncio.to_thread(stop_server, proc)
    assert dropped == _expected(NOT_MIGRATED, _not_migrated_ready())
    assert no_schema == _expected(NOT_MIGRATED, _not_migrated_ready())
    assert back == 200


async def test_postgres_database_dropped(dropped_pg: Settings) -> None:
    scim, admin = await _tokens(dropped_pg)
    proc, base = await asyncio.to_thread(start_server, dropped_pg)
    name = dropped_pg.postgres_dsn.rsplit("/", 1)[1]
    try:
        assert await _users(base, scim) == 200
        admin_dsn = dropped_pg.postgres_dsn.rsplit("/", 1)[0] + "/postgres"
        _sql(admin_dsn, f'DROP DATABASE "{name}" WITH (FORCE)')
        dropped = await _probe(base, scim, admin)
    finally:
        await asyncio.to_thread(stop_server, proc)
    assert dropped == _expected(f'the database "{name}" does not exist', UNREACHABLE)
