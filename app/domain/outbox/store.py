"""The outbox's SQL: numbering and writing events, the resource as it now is, reading pages.

Numbering (rule 20, "no gaps"): the writer takes the transaction lock `LOCK` just before its
commit, reads ``max(seq)`` and writes ``max + 1``. The lock is held until the commit, so the
next writer reads a maximum that includes this event, and an event that rolls back frees its
number for the next one. A reader that has seen ``n`` has therefore seen every event below
``n``: nothing can commit later with a smaller number. SQLite needs no lock (one writer at a
time), PostgreSQL an advisory lock (docs/events.md gives the cost).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.db import Row, Tx
from app.db.records import json_column, record_of

LOCK = "outbox"

_COLUMNS = (
    "seq, id, type, at, actor_type, actor_id, actor_label, request_id, resource_type,"
    " resource_id, changes, resource"
)
# The resource as it now is, per audit target type: public fields only (no hashes, no
# secrets), named as the APIs name them. A type not listed has no resource document. Each
# read starts with the comment `SNAPSHOT`, so statement counts can tell it from the change's
# own statements (it is the one read of the resource the outbox adds to a write).
SNAPSHOT = "/* outbox snapshot */ "
_SNAPSHOTS: dict[str, str] = {
    "User": (
        'SELECT id, login_id AS "loginId", external_id AS "externalId", auth_provider AS'
        ' "authProvider", status, profile, version, created_at AS "createdAt", updated_at AS'
        ' "updatedAt", deleted_at AS "deletedAt" FROM users WHERE id = :id'
    ),
    "Group": (
        'SELECT id, display_name AS "displayName", external_id AS "externalId", auth_provider'
        ' AS "authProvider", member_count AS "memberCount", version, created_at AS "createdAt",'
        ' updated_at AS "updatedAt" FROM groups WHERE id = :id'
    ),
    "ApiToken": (
        'SELECT id, user_id AS "userId", name, hint, created_at AS "createdAt", expires_at AS'
        ' "expiresAt", revoked_at AS "revokedAt" FROM api_tokens WHERE id = :id'
    ),
    "ScimToken": (
        'SELECT id, name, hint, created_at AS "createdAt", expires_at AS "expiresAt",'
        ' revoked_at AS "revokedAt" FROM scim_tokens WHERE id = :id'
    ),
    "ProfileAttribute": (
        'SELECT name, display_name AS "displayName", datatype, source_priority AS'
        ' "sourcePriority", status, scim_path AS "scimPath", version FROM profile_attributes'
        " WHERE name = :id"
    ),
}
_JSON_FIELDS = ("profile",)


@dataclass(frozen=True, slots=True)
class OutboxEventRecord:
    """One event of the feed."""

    seq: int
    id: str
    type: str
    at: str
    actor_type: str
    actor_id: str | None
    actor_label: str
    request_id: str | None
    resource_type: str
    resource_id: str | None
    changes: list[dict[str, Any]]
    resource: dict[str, Any] | None


def _record(row: Row) -> OutboxEventRecord:
    return record_of(
        OutboxEventRecord,
        row,
        seq=int(row["seq"]),
        changes=json_column(row["changes"]),
        resource=json_column(row["resource"]),
    )


async def snapshot(tx: Tx, resource_type: str, resource_id: str | None) -> dict[str, Any] | None:
    """The resource's public fields as the transaction sees them, or None (gone, or a type
    without a document)."""
    sql = _SNAPSHOTS.get(resource_type)
    if sql is None or resource_id is None:
        return None
    row = await tx.fetchrow(SNAPSHOT + sql, {"id": resource_id})
    if row is None:
        return None
    names = row.keys()
    doc = {k: row[k] for k in names}
    for key in _JSON_FIELDS:
        if key in doc:
            doc[key] = json_column(doc[key])
    return doc


async def insert_event(tx: Tx, event: OutboxEventRecord) -> int:
    """Write one event with the next number (``max + 1``; the caller holds `LOCK`) and return
    the number: one statement."""
    d = tx.dialect
    sql = (
        f"INSERT INTO outbox_events ({_COLUMNS}) SELECT coalesce(max(seq), 0) + 1, :id, :type,"
        " :at, :actor_type, :actor_id, :actor_label, :request_id, :resource_type, :resource_id,"
        f" {d.json_value('changes')}, {d.json_value('resource')} FROM outbox_events"
        " RETURNING seq"
    )
    seq = await tx.fetchval(
        sql,
        {
            "id": event.id,
            "type": event.type,
            "at": event.at,
            "actor_type": event.actor_type,
            "actor_id": event.actor_id,
            "actor_label": event.actor_label,
            "request_id": event.request_id,
            "resource_type": event.resource_type,
            "resource_id": event.resource_id,
            "changes": d.json_param(event.changes),
            "resource": None if event.resource is None else d.json_param(event.resource),
        },
    )
    return int(seq)


async def latest_seq(tx: Tx) -> int:
    """The number of the newest event (0 when there is none)."""
    return int(await tx.fetchval("SELECT coalesce(max(seq), 0) FROM outbox_events"))


async def events_after(
    tx: Tx, after: int, limit: int, types: Sequence[str] = ()
) -> list[OutboxEventRecord]:
    """Up to ``limit`` events numbered above ``after``, oldest first, of ``types`` if given."""
    where, params = "seq > :after", {"after": after, "n": limit}
    if types:
        where += " AND " + tx.dialect.in_list("type", "types")
        params["types"] = tx.dialect.list_param(list(types))
    rows = await tx.fetch(
        f"SELECT {_COLUMNS} FROM outbox_events WHERE {where} ORDER BY seq LIMIT :n", params
    )
    return [_record(r) for r in rows]


async def oldest_seq(tx: Tx) -> int:
    """The number of the oldest event still kept (0 when there is none)."""
    return int(await tx.fetchval("SELECT coalesce(min(seq), 0) FROM outbox_events"))


async def count_events_after(tx: Tx, after: int, types: Sequence[str] = ()) -> int:
    """How many events are numbered above ``after`` (of ``types`` if given)."""
    where, params = "seq > :after", {"after": after}
    if types:
        where += " AND " + tx.dialect.in_list("type", "types")
        params["types"] = tx.dialect.list_param(list(types))
    return int(await tx.fetchval(f"SELECT count(*) FROM outbox_events WHERE {where}", params))
