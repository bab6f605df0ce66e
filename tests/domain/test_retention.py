"""Retention: `purge_expired` removes old provisioning events, audit entries and downstream
events (the outbox, which always keeps its newest event), in batches."""

from __future__ import annotations

import pytest

from app.db import Database
from app.domain.audit import AuditTarget, record_audit
from app.domain.audit.retention import Purged, count_expired, purge_batch, purge_expired
from app.domain.clock import iso_in
from app.domain.provisioning.events import record_provisioning_event
from app.domain.types import Actor, ActorKind
from app.errors import InvalidValue
from app.settings import Settings

AGES = (400.0, 200.0, 100.0, 95.0, 30.0, 1.0)  # days; 90-day and 365-day retention by default


async def _seed(db: Database) -> None:
    """One provisioning event, one audit entry and its downstream event of each age, tagged."""
    async with db.transaction() as tx:
        for age in AGES:
            tag = f"age-{age}"
            await record_provisioning_event(
                tx,
                token_id=None,
                method="POST",
                resource_type="User",
                resource_id=None,
                external_id=None,
                outcome="SUCCESS",
                status_code=201,
                error_detail=None,
                duration_ms=1.0,
                request_id=tag,
            )
            actor = Actor(ActorKind.SYSTEM, None, "system", request_id=tag)
            await record_audit(
                tx, actor=actor, action="user.create", target=AuditTarget("User", None)
            )
            for table in ("provisioning_events", "audit_entries"):
                await tx.execute(
                    f"UPDATE {table} SET at = :at WHERE request_id = :tag",
                    {"at": iso_in(-age), "tag": tag},
                )
    async with db.transaction() as tx:  # the outbox rows exist once their transaction commits
        for age in AGES:
            await tx.execute(
                "UPDATE outbox_events SET at = :at WHERE request_id = :tag",
                {"at": iso_in(-age), "tag": f"age-{age}"},
            )


async def _ages(db: Database, table: str) -> list[str]:
    async with db.transaction(write=False) as tx:
        rows = await tx.fetch(f"SELECT request_id FROM {table} ORDER BY at")
    return [r[0] for r in rows]


async def test_purge_keeps_what_is_within_retention(clean_db: Database, settings: Settings) -> None:
    await _seed(clean_db)
    dry = await purge_expired(clean_db, settings, dry_run=True)
    expected = [
        ("provisioning_events", 4),
        ("audit_entries", 1),
        ("outbox_events", 5),
        ("webhook_attempts", 0),
        ("webhook_deliveries", 0),
    ]
    assert [(p.log, p.rows) for p in dry] == expected
    assert len(await _ages(clean_db, "audit_entries")) == len(AGES)  # a dry run deletes nothing

    done = await purge_expired(clean_db, settings, batch_size=2)
    assert [(p.log, p.rows) for p in done] == expected
    assert await _ages(clean_db, "provisioning_events") == ["age-30.0", "age-1.0"]
    assert await _ages(clean_db, "outbox_events") == ["age-1.0"]  # 30 days by default
    # The purge is itself audited (and its entry is not purged with the others).
    assert await _ages(clean_db, "audit_entries") == [
        "age-200.0",
        "age-100.0",
        "age-95.0",
        "age-30.0",
        "age-1.0",
        None,
    ]
    async with clean_db.transaction(write=False) as tx:
        entry = await tx.fetchrow(
            "SELECT action, reason FROM audit_entries WHERE request_id IS NULL"
        )
    assert entry is not None and entry[0] == "audit.purge"
    assert entry[1].startswith("retention: provisioning_events before ")

    again = await purge_expired(clean_db, settings)
    assert [p.rows for p in again] == [0, 0, 0, 0, 0]


async def test_zero_days_keeps_a_log_forever(clean_db: Database, settings: Settings) -> None:
    await _seed(clean_db)
    keep = settings.model_copy(
        update={
            "audit_retention_days": 0,
            "provisioning_event_retention_days": 0,
            "event_retention_days": 0,
        }
    )
    assert await purge_expired(clean_db, keep) == []
    only_events = settings.model_copy(update={"audit_retention_days": 0})
    done = await purge_expired(clean_db, only_events)
    assert [(p.log, p.rows) for p in done] == [
        ("provisioning_events", 4),
        ("outbox_events", 5),
        ("webhook_attempts", 0),
        ("webhook_deliveries", 0),
    ]
    assert isinstance(done[0], Purged)
    assert len(await _ages(clean_db, "audit_entries")) == len(AGES) + 1


async def test_batches_delete_the_oldest_first(clean_db: Database) -> None:
    await _seed(clean_db)
    async with clean_db.transaction() as tx:
        cut = iso_in(-50)
        assert await count_expired(tx, log="provisioning_events", before=cut) == 4
        assert await purge_batch(tx, log="provisioning_events", before=cut, size=3) == 3
    assert await _ages(clean_db, "provisioning_events") == ["age-95.0", "age-30.0", "age-1.0"]
    async with clean_db.transaction() as tx:
        assert await purge_batch(tx, log="outbox_events", before=iso_in(1), size=100) == 5
        with pytest.raises(InvalidValue):
            await purge_batch(tx, log="users", before=cut, size=3)
        with pytest.raises(InvalidValue):
            await purge_batch(tx, log="audit_entries", before=cut, size=0)
