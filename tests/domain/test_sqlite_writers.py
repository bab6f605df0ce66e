"""SQLite: a write transaction that finds the writer lock taken by another connection (another
worker, the CLI) waits for it without blocking the event loop, and gives up with 503 after
``ROSTER_SQLITE_BUSY_TIMEOUT_MS``."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator

import pytest

from app.db import Database
from app.errors import DatabaseUnavailable
from app.settings import Settings


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    """This process's Database, with a busy timeout short enough to wait out in a test."""
    db = Database(settings.model_copy(update={"sqlite_busy_timeout_ms": 400}))
    yield db
    await db.close()


async def _ticks(until: asyncio.Event) -> int:
    """How many times the loop ran this task, every 5 ms, until ``until`` is set."""
    count = 0
    while not until.is_set():
        await asyncio.sleep(0.005)
        count += 1
    return count


async def test_a_write_waits_for_another_writer_and_the_loop_and_reads_go_on(
    other_process: sqlite3.Connection, db: Database
) -> None:
    other_process.execute("BEGIN IMMEDIATE")
    done = asyncio.Event()
    ticker = asyncio.create_task(_ticks(done))

    async def write() -> str:
        async with db.transaction() as tx:
            await tx.execute("UPDATE service_state SET catalogue_version = catalogue_version")
            return str(await tx.fetchval("SELECT 'written'"))

    writing = asyncio.create_task(write())
    await asyncio.sleep(0.1)
    async with db.transaction(write=False) as tx:  # the process's connection is free
        read = await tx.fetchval("SELECT count(*) FROM service_state")
    assert not writing.done()
    other_process.execute("COMMIT")
    written = await asyncio.wait_for(writing, 1)
    done.set()
    ticks = await ticker

    assert (read, written) == (1, "written")
    assert ticks >= 10  # ~20 in 0.1 s; a blocked loop would tick once


async def test_a_write_gives_up_with_503_when_the_lock_stays_taken(
    other_process: sqlite3.Connection, db: Database
) -> None:
    other_process.execute("BEGIN IMMEDIATE")
    done = asyncio.Event()
    ticker = asyncio.create_task(_ticks(done))
    started = time.monotonic()
    try:
        with pytest.raises(DatabaseUnavailable) as raised:
            async with db.transaction():
                pass
    finally:
        other_process.execute("ROLLBACK")
    waited = time.monotonic() - started
    done.set()
    ticks = await ticker

    assert str(raised.value) == "the database is busy; retry shortly"
    assert 0.4 <= waited < 1.5
    assert ticks >= 30  # ~80 in 0.4 s; a blocked loop would tick once
    async with db.transaction() as tx:  # the lock, released, is taken at once
        assert await tx.fetchval("SELECT 1") == 1
