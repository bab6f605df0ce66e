"""Staging: one event per audited change, numbered and written just before commit.

`stage_event` runs where the change is audited, in the change's transaction, and registers a
before-commit step. At commit time that step writes the event with the next number (under
the numbering lock, `store`) and the resource as it now is, read by the same statement; after
the commit the event's number is announced (a NOTIFY on PostgreSQL, an in-process wake-up on
SQLite) so long-polling readers and followers see it within milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.db import Tx
from app.db.wakeup import CHANNEL, wake
from app.domain.clock import new_id, now_iso
from app.domain.outbox import store
from app.domain.outbox.types import event_type
from app.domain.types import Actor, Change


def stage_event(
    tx: Tx,
    *,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: str | None,
    changes: Iterable[Change] = (),
) -> None:
    """Stage the event of an audited change (none for an action that yields no event)."""
    changes = list(changes)
    kind = event_type(action, changes)
    if kind is None:
        return
    at = now_iso()
    document = [{"field": c.field, "before": c.before, "after": c.after} for c in changes]

    async def write() -> None:
        event = store.OutboxEventRecord(
            seq=0,  # numbered by the insert
            id=new_id(),
            type=kind,
            at=at,
            actor_type=actor.kind.value,
            actor_id=actor.id,
            actor_label=actor.label,
            request_id=actor.request_id,
            resource_type=target_type,
            resource_id=target_id,
            changes=document,
            resource=None,  # read by the insert, as the resource is at commit
        )
        await store.insert_event(tx, event, CHANNEL)
        tx.after_commit(wake)

    tx.before_commit(write)
