"""Provisioning events reach live subscribers once, after commit, from any worker.

A second `Database` stands for a second worker: it writes, and this process's subscriber,
fed by the LISTEN connection of its own `Database`, must receive what was committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from app.db import Database, Tx
from app.db.listen import APPLICATION_NAME, Listener
from app.domain.provisioning.events import record_provisioning_event
from app.domain.provisioning.feed import (
    decode_event,
    encode_event,
    follow_provisioning_events,
    listener_of,
    provisioning_events,
)
from app.domain.provisioning.model import ProvisioningEventRecord
from app.settings import Settings

PG_ONLY = "LISTEN/NOTIFY is PostgreSQL's (SQLite: tests/domain/test_watch.py)"


class _Rollback(Exception):
    pass


async def _record(db: Database, resource_id: str, *, detail: str | None = None) -> str:
    async with db.transaction() as tx:
        event = await record_provisioning_event(
            tx,
            token_id=None,
            method="POST",
            resource_type="User",
            resource_id=resource_id,
            external_id=None,
            outcome="ERROR" if detail else "SUCCESS",
            status_code=400 if detail else 201,
            error_detail=detail,
            duration_ms=1.0,
            request_id=None,
        )
    return event.id


async def _event(tx: Tx, resource_id: str) -> None:
    await record_provisioning_event(
        tx, token_id=None, method="POST", resource_type="User", resource_id=resource_id,
        external_id=None, outcome="SUCCESS", status_code=201, error_detail=None,
        duration_ms=1.0, request_id=None,
    )  # fmt: skip


async def _until(condition: Callable[[], bool], seconds: float = 10) -> None:
    async with asyncio.timeout(seconds):
        # The state lives in another task or a listener callback, not behind an Event.
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


@pytest.fixture
async def worker(settings: Settings, clean_db: Database) -> AsyncIterator[Database]:
    """This process's own Database, following the events (the session's one writes)."""
    db = Database(settings)
    await db.connect()
    assert await follow_provisioning_events(db)
    yield db
    await db.close()
    assert listener_of(db) is None


def test_payloads_are_the_json_or_the_id_of_a_long_event() -> None:
    event = ProvisioningEventRecord(
        "01890000-0000-7000-8000-000000000001", "2026-11-29T04:19:58.123456Z", None, "PATCH",
        "User", "01890000-0000-7000-8000-000000000002", "00u1", "SUCCESS", 200, None, 1.5, "r1",
    )  # fmt: skip
    assert decode_event(encode_event(event)) == event
    event.error_detail = "x" * 8000
    assert encode_event(event) == event.id
    assert decode_event(encode_event(event)) == event.id


async def test_only_committed_events_are_delivered_once(
    worker: Database, clean_db: Database
) -> None:
    seen: list[ProvisioningEventRecord] = []
    async with provisioning_events.subscribe() as events:
        reader = asyncio.create_task(_collect(events, seen))
        with pytest.raises(_Rollback):
            async with clean_db.transaction() as tx:
                await _event(tx, "rolled-back")
                raise _Rollback
        kept = await _record(clean_db, "committed")
        await _until(lambda: bool(seen))
        await asyncio.sleep(0.3)  # a late duplicate or the rolled-back event would be here
        reader.cancel()
    assert [(e.id, e.resource_id) for e in seen] == [(kept, "committed")]


async def test_a_transaction_delivers_its_events_in_order_but_not_a_rolled_back_savepoints(
    worker: Database, clean_db: Database
) -> None:
    seen: list[ProvisioningEventRecord] = []
    async with provisioning_events.subscribe() as events:
        reader = asyncio.create_task(_collect(events, seen))
        async with clean_db.transaction() as tx:
            await _event(tx, "first")
            with pytest.raises(_Rollback):
                async with tx.savepoint():
                    await _event(tx, "undone")
                    raise _Rollback
            async with tx.savepoint():
                await _event(tx, "second")
            await _event(tx, "third")
        await _until(lambda: len(seen) >= 3)
        await asyncio.sleep(0.3)  # the undone event or a duplicate would be here
        reader.cancel()
    assert [e.resource_id for e in seen] == ["first", "second", "third"]


async def test_a_long_event_travels_by_id_and_is_read_back(
    worker: Database, clean_db: Database
) -> None:
    if worker.kind == "sqlite":
        pytest.skip(PG_ONLY)
    seen: list[ProvisioningEventRecord] = []
    async with provisioning_events.subscribe() as events:
        reader = asyncio.create_task(_collect(events, seen))
        kept = await _record(clean_db, "long", detail="d" * 9000)
        await _until(lambda: bool(seen))
        reader.cancel()
    assert [(e.id, e.error_detail) for e in seen] == [(kept, "d" * 9000)]


async def test_the_listener_reconnects_and_catches_up(worker: Database, clean_db: Database) -> None:
    if worker.kind == "sqlite":
        pytest.skip(PG_ONLY)
    listener = listener_of(worker)
    assert isinstance(listener, Listener)
    seen: list[ProvisioningEventRecord] = []
    async with provisioning_events.subscribe() as events:
        reader = asyncio.create_task(_collect(events, seen))
        before = await _record(clean_db, "before")
        await _until(lambda: len(seen) == 1)
        assert await _terminate_listeners(clean_db) == 1
        await _until(lambda: not listener.listening)
        while_away = await _record(clean_db, "while-away")  # no LISTEN: only a catch-up finds it
        await _until(lambda: listener.sessions == 2)
        after = await _record(clean_db, "after")
        await _until(lambda: len(seen) >= 3)
        await asyncio.sleep(0.3)
        reader.cancel()
    assert sorted((e.id, e.resource_id) for e in seen) == [
        (before, "before"),
        (while_away, "while-away"),
        (after, "after"),
    ]


async def _collect(events: Any, into: list[ProvisioningEventRecord]) -> None:
    async for event in events:
        into.append(event)


async def _terminate_listeners(db: Database) -> int:
    """End this database's LISTEN sessions server-side, as a restart or an admin would."""
    async with db.transaction() as tx:
        rows = await tx.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name = :name AND datname = current_database()",
            {"name": APPLICATION_NAME},
        )
    return len(rows)
