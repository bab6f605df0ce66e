"""The outbox (rule 20): one event per committed change, numbered without gaps, on both engines."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from app.db import Database, drivers
from app.domain.outbox.store import events_after, latest_seq
from app.domain.outbox.types import _BY_ACTION, EVENT_TYPES, NO_EVENT, event_type
from app.domain.outbox.views import document
from app.domain.types import Change
from app.domain.users.service import (
    UserCreate,
    UserUpdate,
    create_user,
    delete_user,
    set_user_status,
    update_user,
)
from app.graphql.types.enums import AuditAction
from tests.support import counting, owner


async def _feed(db: Database, after: int = 0) -> list[dict[str, Any]]:
    async with db.transaction(write=False) as tx:
        return [document(e) for e in await events_after(tx, after, 1000)]


async def test_each_change_yields_one_event_in_order_with_the_resource_as_it_now_is(
    clean_db: Database,
) -> None:
    actor = owner()
    async with clean_db.transaction() as tx:
        user = await create_user(tx, actor=actor, data=UserCreate(login_id="ada@example.com"))
    async with clean_db.transaction() as tx:
        await update_user(
            tx, actor=actor, user_id=user.id, data=UserUpdate({"displayName": "Ada L"})
        )
    async with clean_db.transaction() as tx:
        await set_user_status(tx, actor=actor, user_id=user.id, active=False, reason="left")
    async with clean_db.transaction() as tx:
        await delete_user(tx, actor=actor, user_id=user.id)

    events = await _feed(clean_db)
    assert [(e["seq"], e["type"]) for e in events] == [
        (1, "user.created"),
        (2, "user.updated"),
        (3, "user.deactivated"),
        (4, "user.deleted"),
    ]
    updated = events[1]
    assert updated["actor"] == {"type": "ADMIN", "id": actor.id, "label": actor.label}
    assert updated["resourceType"] == "User"
    assert updated["resourceId"] == user.id
    assert updated["changes"] == [
        {"field": "profile.displayName", "before": None, "after": "Ada L"}
    ]
    assert updated["resource"]["loginId"] == "ada@example.com"
    assert updated["resource"]["profile"]["displayName"] == "Ada L"
    assert "token_hash" not in str(events)
    assert events[2]["resource"]["status"] == "INACTIVE"
    assert events[3]["resource"]["deletedAt"] is not None
    assert len({e["id"] for e in events}) == 4


async def test_a_rolled_back_change_leaves_no_event_and_no_gap(clean_db: Database) -> None:
    actor = owner()
    with pytest.raises(RuntimeError):
        async with clean_db.transaction() as tx:
            await create_user(tx, actor=actor, data=UserCreate(login_id="gone@example.com"))
            raise RuntimeError("the request failed after the write")
    async with clean_db.transaction() as tx:
        await create_user(tx, actor=actor, data=UserCreate(login_id="kept@example.com"))
    events = await _feed(clean_db)
    assert [(e["seq"], e["resource"]["loginId"]) for e in events] == [(1, "kept@example.com")]


async def test_a_rolled_back_savepoint_drops_its_event_only(clean_db: Database) -> None:
    actor = owner()
    async with clean_db.transaction() as tx:
        await create_user(tx, actor=actor, data=UserCreate(login_id="one@example.com"))
        with pytest.raises(RuntimeError):
            async with tx.savepoint():
                await create_user(tx, actor=actor, data=UserCreate(login_id="two@example.com"))
                raise RuntimeError("undone")
        await create_user(tx, actor=actor, data=UserCreate(login_id="three@example.com"))
    events = await _feed(clean_db)
    assert [(e["seq"], e["resource"]["loginId"]) for e in events] == [
        (1, "one@example.com"),
        (2, "three@example.com"),
    ]


def test_every_audit_action_is_classified() -> None:
    actions = {a.value for a in AuditAction} - {"other"}
    assert actions - set(_BY_ACTION) - set(NO_EVENT) == set()
    assert set(_BY_ACTION.values()) <= set(EVENT_TYPES)
    with pytest.raises(KeyError):
        event_type("user.teleport")


@pytest.mark.parametrize(
    ("action", "changes", "expected"),
    [
        ("user.update", [Change("status", "ACTIVE", "INACTIVE")], "user.deactivated"),
        ("user.unlock", [Change("status", "INACTIVE", "ACTIVE")], "user.reactivated"),
        ("user.update", [Change("loginId", "a", "b")], "user.updated"),
        ("group.update", [Change("members", None, ["u1"])], "group.members.added"),
        ("group.update", [Change("members", ["u1"], None)], "group.members.removed"),
        ("group.update", [Change("members", ["u1"], ["u2"])], "group.updated"),
        (
            "group.update",
            [Change("displayName", "a", "b"), Change("members", None, ["u1"])],
            "group.updated",
        ),
        ("audit.purge", [], None),
        ("guard.release", [], None),
    ],
)
def test_event_type_names_what_happened(
    action: str, changes: list[Change], expected: str | None
) -> None:
    assert event_type(action, changes) == expected


async def test_concurrent_writers_never_let_a_reader_see_a_gap(database: Database) -> None:
    """16 writers commit users as fast as they can while a reader follows the feed: every page
    it reads continues exactly where the last one ended (a reader that saw n+1 before n
    committed would skip n for good). A plain sequence fails this on PostgreSQL."""
    async with database.transaction() as tx:
        start = await latest_seq(tx)
    writers, each = 16, 15
    done = asyncio.Event()

    async def write(w: int) -> None:
        for k in range(each):
            async with database.transaction() as tx:
                await create_user(
                    tx, actor=owner(), data=UserCreate(login_id=f"gap-{w}-{k}@example.com")
                )

    seen: list[int] = []

    async def read() -> None:
        last = start
        while True:
            finished = done.is_set()
            async with database.transaction(write=False) as tx:
                page = await events_after(tx, last, 1000)
            seen.extend(e.seq for e in page)
            if page:
                last = page[-1].seq
            if finished and not page:
                return
            await asyncio.sleep(0)

    reader = asyncio.create_task(read())
    await asyncio.gather(*(write(w) for w in range(writers)))
    done.set()
    await reader
    assert seen == list(range(start + 1, start + 1 + writers * each))


async def test_numbering_takes_no_lock_of_its_own_and_the_counter_keeps_the_last_number(
    clean_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 0010c: on PostgreSQL the event's own statement takes its number from the
    counter row (whose lock orders the writers); no advisory lock is taken any more, on either
    engine. The row holds the last number given on both engines (SQLite by a trigger)."""
    locks: list[str] = []
    for cls in (drivers.SqliteTx, drivers.PgTx):
        original = cls.lock

        async def lock(self: Any, name: str, original: Any = original) -> None:
            locks.append(name)
            await original(self, name)

        monkeypatch.setattr(cls, "lock", lock)
    with counting(monkeypatch) as seen:
        async with clean_db.transaction() as tx:
            await create_user(tx, actor=owner(), data=UserCreate(login_id="a@example.com"))
            await create_user(tx, actor=owner(), data=UserCreate(login_id="b@example.com"))
        async with clean_db.transaction() as tx:
            await create_user(tx, actor=owner(), data=UserCreate(login_id="c@example.com"))
    monkeypatch.undo()
    assert locks == []
    numbering = [sql for sql in seen if "INTO outbox_events" in sql]
    assert len(numbering) == 3
    if clean_db.kind == "postgresql":
        assert all("UPDATE outbox_counter" in sql and "pg_notify" in sql for sql in numbering)
    async with clean_db.transaction(write=False) as tx:
        counter = await tx.fetchval("SELECT seq FROM outbox_counter WHERE id = 1")
        assert (int(counter), await latest_seq(tx)) == (3, 3)
    assert [e["seq"] for e in await _feed(clean_db)] == [1, 2, 3]


async def test_on_postgresql_notices_go_out_before_the_numbering_lock_is_taken(
    clean_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The event's statement takes the numbering lock, held to the commit; the transaction's
    other notices (a provisioning event's, here one of the test's) are sent before it, so no
    round trip sits under the lock every write needs."""
    if clean_db.kind != "postgresql":
        pytest.skip("SQLite sends no NOTIFY: its wake-ups are in process")
    original = drivers.PgTx.flush_notices
    with counting(monkeypatch) as seen:

        async def flush(self: Any) -> None:
            if self._notices:
                seen.append("NOTIFY " + ",".join(c for c, _ in self._notices))
            await original(self)

        monkeypatch.setattr(drivers.PgTx, "flush_notices", flush)
        async with clean_db.transaction() as tx:
            tx.notify("roster_test", "before")
            await create_user(tx, actor=owner(), data=UserCreate(login_id="n@example.com"))
    monkeypatch.undo()
    order = [s for s in seen if s.startswith("NOTIFY") or "INTO outbox_events" in s]
    assert [s.split(" (")[0] for s in order] == [
        "NOTIFY roster_test",
        "WITH n AS",
    ]
