"""The provisioning event log: one entry per SCIM write, success or failure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from app.db import Row, Tx
from app.db.broadcast import Broadcaster, Recent
from app.domain.clock import new_id, now_iso


@dataclass(slots=True)
class ProvisioningEventRecord:
    """One SCIM write as logged."""

    id: str
    at: str
    token_id: str | None
    method: str
    resource_type: str
    resource_id: str | None
    external_id: str | None
    outcome: str
    status_code: int
    error_detail: str | None
    duration_ms: float
    request_id: str | None
    # Attribute paths the write deliberately ignored (rule 18): `password`, `roles`,
    # `entitlements`, rule 5's local-priority values.
    ignored: list[str] = field(default_factory=list)


EVENT_COLUMNS = (
    "id, at, token_id, method, resource_type, resource_id, external_id, outcome, status_code,"
    " error_detail, duration_ms, request_id, ignored"
)


def event_from_row(row: Row) -> ProvisioningEventRecord:
    """An event as `EVENT_COLUMNS` select it."""
    event = ProvisioningEventRecord(*(row[i] for i in range(12)))
    event.ignored = _paths(row[12])
    return event


def _paths(raw: Any) -> list[str]:
    if raw is None:
        return []
    return [str(p) for p in (orjson.loads(raw) if isinstance(raw, str | bytes) else raw)]


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
    await tx.execute(
        "INSERT INTO provisioning_events (id, at, token_id, method, resource_type, resource_id,"
        " external_id, outcome, status_code, error_detail, duration_ms, request_id, ignored)"
        " VALUES (:id, :at, :tok, :m, :rt, :rid, :ext, :o, :sc, :err, :dur, :req, :ign)",
        {
            "id": event.id,
            "at": event.at,
            "tok": token_id,
            "m": method,
            "rt": resource_type,
            "rid": event.resource_id,
            "ext": event.external_id,
            "o": outcome,
            "sc": status_code,
            "err": event.error_detail,
            "dur": event.duration_ms,
            "req": request_id,
            "ign": orjson.dumps(event.ignored).decode() if event.ignored else None,
        },
    )
    announce_provisioning_event(tx, event)
    return event


CHANNEL = "roster_provisioning_events"
MAX_INLINE = 7900  # bytes of JSON sent in the NOTIFY itself (PostgreSQL's limit is 8000)

provisioning_events: Broadcaster[ProvisioningEventRecord] = Broadcaster()
"""Every recorded provisioning event, published after its transaction commits
(app.domain.notify feeds it from every worker)."""

_recent = Recent(10_000)


def publish_provisioning_event(event: ProvisioningEventRecord) -> None:
    """Hand a committed event to this process's subscribers, once per event id."""
    if _recent.first_time(event.id):
        provisioning_events.publish(event)


def encode_event(event: ProvisioningEventRecord) -> str:
    """The NOTIFY payload of an event: its JSON, or its id when the JSON is too long."""
    text = orjson.dumps(event)
    return text.decode() if len(text) < MAX_INLINE else event.id


def announce_provisioning_event(tx: Tx, event: ProvisioningEventRecord) -> None:
    """Have ``event`` reach the subscribers of every worker once ``tx`` commits."""
    if tx.dialect.name == "postgresql":
        tx.notify(CHANNEL, encode_event(event))
    else:
        tx.after_commit(lambda: publish_provisioning_event(event))
