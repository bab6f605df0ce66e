"""The provisioning event log's writer (provisioning package): one entry per SCIM write, success or
failure, announced to live subscribers once its transaction commits
(`app.domain.provisioning.feed`)."""

from __future__ import annotations

from collections.abc import Sequence

from app.db import Tx
from app.domain.clock import new_id, now_iso
from app.domain.provisioning.events_store import insert_event
from app.domain.provisioning.feed import announce_provisioning_event
from app.domain.provisioning.model import ProvisioningEventRecord


def _storable(text: str | None, limit: int | None = None) -> str | None:
    """Client-supplied text (a path id, a detail quoting a value) as both engines store it:
    U+0000, which PostgreSQL cannot hold, shown as U+FFFD, and cut to the column's length
    (PostgreSQL enforces it, SQLite does not). The log must record a failed write whatever
    the client sent."""
    if text is None:
        return None
    return text.replace("\x00", "\ufffd")[:limit]


async def record_provisioning_event(
    tx: Tx,
    *,
    token_id: str | None,
    method: str,
    resource_type: str,
    resource_id: str | None,
    external_id: str | None,
    outcome: str,
    status_code: int,
    error_detail: str | None,
    duration_ms: float,
    request_id: str | None,
    ignored: Sequence[str] = (),
) -> ProvisioningEventRecord:
    """Append a provisioning event (outcome SUCCESS, WARNING or ERROR).

    Subscribers of `provisioning_events`, in every worker, receive it once
    the transaction commits (never when it rolls back).
    """
    event = ProvisioningEventRecord(
        new_id(),
        now_iso(),
        token_id,
        method,
        resource_type,
        _storable(resource_id, 36),
        _storable(external_id, 255),
        outcome,
        status_code,
        _storable(error_detail),
        round(duration_ms, 3),
        request_id,
        [_storable(p, 255) or "" for p in ignored[:50]],
    )
    await insert_event(tx, event)
    announce_provisioning_event(tx, event)
    return event
