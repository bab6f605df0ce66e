"""SQLite's stand-in for LISTEN/NOTIFY (`app.db.watch`): a commit by another process (another
worker, the CLI) wakes this process's readers within a poll or two; no commit, and no commit of
this process's own (announced in process already), no wake-up. The other process is played by a
plain sqlite3 connection, so nothing is announced in-process."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from app.db import Database
from app.db.wakeup import follow, wakeup
from app.db.watch import Watcher, watcher_of
from app.domain.provisioning.feed import follow_provisioning_events, provisioning_events
from app.domain.provisioning.model import ProvisioningEventRecord
from app.settings import Settings


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    """This process's own Database (its watcher closes with it)."""
    db = Database(settings)
    yield db
    await db.close()
    assert watcher_of(db) is None


def _touch(conn: sqlite3.Connection) -> None:
    """A change (a write that changes nothing leaves the file, so the version, as it was)."""
    conn.execute("UPDATE service_state SET updated_at = ?", (str(uuid.uuid4()),))


async def test_a_commit_by_another_process_wakes_the_watcher_and_nothing_else_does(
    db: Database, other_process: sqlite3.Connection
) -> None:
    woken: list[str] = []
    watcher = Watcher(db.data_version, interval=0.01)
    watcher.callbacks["test"] = lambda: woken.append("commit")
    await watcher.start()
    try:
        await asyncio.sleep(0.2)
        idle = list(woken)
        other_process.execute("BEGIN")
        other_process.execute("SELECT count(*) FROM users").fetchall()
        other_process.execute("COMMIT")  # a read commits nothing
        async with db.transaction() as tx:  # this process's own commit
            await tx.execute("UPDATE service_state SET updated_at = :u", {"u": str(uuid.uuid4())})
        await asyncio.sleep(0.2)
        after_read_and_own = list(woken)
        other_process.execute("BEGIN IMMEDIATE")
        _touch(other_process)
        await asyncio.sleep(0.2)
        uncommitted = list(woken)
        other_process.execute("COMMIT")
        await asyncio.sleep(0.2)
        after_commit = list(woken)
    finally:
        await watcher.stop()
    assert (idle, after_read_and_own, uncommitted, after_commit) == ([], [], [], ["commit"])
    assert watcher.rounds == 1


async def test_outbox_readers_wake_when_another_process_commits(
    db: Database, other_process: sqlite3.Connection
) -> None:
    assert await follow(db)
    await asyncio.sleep(0.1)
    before = wakeup.generation
    assert not await wakeup.wait_after(before, 0.2)  # nothing committed: no wake-up
    _touch(other_process)
    assert await wakeup.wait_after(before, 2.0)


def _insert(conn: sqlite3.Connection, event_id: str, resource_id: str) -> None:
    conn.execute(
        "INSERT INTO provisioning_events (id, at, token_id, method, resource_type, resource_id,"
        " external_id, outcome, status_code, error_detail, duration_ms, request_id, ignored)"
        " VALUES (?, '2026-12-06T17:00:00.000000Z', NULL, 'POST', 'User', ?, NULL, 'SUCCESS',"
        " 201, NULL, 1.5, NULL, NULL)",
        (event_id, resource_id),
    )


async def _collect(events: Any, into: list[ProvisioningEventRecord]) -> None:
    async for event in events:
        into.append(event)


async def test_events_another_process_commits_reach_subscribers_once_in_commit_order(
    db: Database, other_process: sqlite3.Connection
) -> None:
    _insert(other_process, "01890000-0000-7000-8000-0000000000a0", "before")  # before following
    assert await follow_provisioning_events(db)
    seen: list[ProvisioningEventRecord] = []
    async with provisioning_events.subscribe() as events:
        reader = asyncio.create_task(_collect(events, seen))
        # ids out of time order: commit order is what counts
        _insert(other_process, "01890000-0000-7000-8000-0000000000c1", "first")
        other_process.execute("BEGIN IMMEDIATE")
        _insert(other_process, "01890000-0000-7000-8000-0000000000b2", "second")
        _insert(other_process, "01890000-0000-7000-8000-0000000000a3", "third")
        other_process.execute("COMMIT")
        async with asyncio.timeout(5):
            while len(seen) < 3:  # noqa: ASYNC110 (the state lives in the reader task)
                await asyncio.sleep(0.02)
        _touch(other_process)  # another commit: the events are not delivered again
        await asyncio.sleep(0.3)
        reader.cancel()
    assert [(e.id[-2:], e.resource_id, e.method, e.status_code) for e in seen] == [
        ("c1", "first", "POST", 201),
        ("b2", "second", "POST", 201),
        ("a3", "third", "POST", 201),
    ]
