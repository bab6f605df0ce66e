"""`Database.housekeeping`'s PostgreSQL connection outside the pool (app.db.side): opened on
first use, reopened after a loss, and closed without ever leaving its socket open; and a pooled
connection the server ended answers as an unavailable database, not a 500."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from app.db import Database
from app.errors import DatabaseUnavailable
from app.settings import Settings


@pytest.fixture
async def own_db(settings: Settings) -> AsyncIterator[Database]:
    if settings.database_kind != "postgresql":
        pytest.skip("the connection outside the pool is PostgreSQL's")
    db = Database(settings)
    yield db
    await db.close()


async def _backend(db: Database) -> int:
    async with db.housekeeping() as tx:
        pid = await tx.fetchval("SELECT pg_backend_pid()")
    assert isinstance(pid, int)
    return pid


async def test_one_connection_serves_every_housekeeping_transaction(own_db: Database) -> None:
    first = await _backend(own_db)
    assert await _backend(own_db) == first
    assert own_db.pool_stats()["size"] == 0  # no pool was opened for it


async def test_a_lost_connection_is_replaced(own_db: Database, database: Database) -> None:
    first = await _backend(own_db)
    async with database.transaction() as tx:
        await tx.fetchval("SELECT pg_terminate_backend(:p)", {"p": first})
    for _ in range(50):  # the loss is noticed by the next use, or by the driver first
        try:
            second = await _backend(own_db)
            break
        except DatabaseUnavailable:
            await asyncio.sleep(0.05)
    assert second != first


async def test_a_close_that_hangs_still_closes_the_socket(
    own_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncpg

    await _backend(own_db)
    conn = own_db._side._conn

    async def hang(*_args: object, **_kw: object) -> None:
        await asyncio.sleep(3600)

    monkeypatch.setattr(asyncpg.Connection, "close", hang)
    own_db._side._close_seconds = 0.1
    await own_db.close()
    assert conn.is_closed()
    await own_db.close()  # twice is safe


async def test_a_pooled_connection_the_server_ended_is_unavailable_not_a_500(
    settings: Settings, database: Database
) -> None:
    # The pool's transactions map the driver's errors the same way: a backend ended before the
    # driver noticed fails the next statement with InternalClientError ("cannot switch to
    # state"), which must be a DatabaseUnavailable (503), and the pool then reconnects.
    if settings.database_kind != "postgresql":
        pytest.skip("the pool is PostgreSQL's")
    one = Database(settings.model_copy(update={"db_pool_min": 1, "db_pool_max": 1}))
    try:
        for _ in range(3):
            async with one.transaction() as tx:
                pid = await tx.fetchval("SELECT pg_backend_pid()")
            async with database.transaction() as tx:
                await tx.fetchval("SELECT pg_terminate_backend(:p)", {"p": pid})
            outcomes = []
            for _ in range(50):
                try:
                    async with one.transaction() as tx:
                        await tx.fetchval("SELECT 1")
                    outcomes.append("ok")
                    break
                except DatabaseUnavailable:
                    outcomes.append("unavailable")
                    await asyncio.sleep(0.05)
            assert outcomes[-1] == "ok" and set(outcomes) <= {"ok", "unavailable"}
    finally:
        await one.close()
