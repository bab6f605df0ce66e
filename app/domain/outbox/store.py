"""The outbox's SQL: numbering and writing events, the resource as it now is, reading pages.

Numbering (rule 20, "no gaps"): just before its commit the writer takes the next number
under a lock held until the commit, so the next writer's number follows this event's, and an
event that rolls back frees its number for the next one. A reader that has seen ``n`` has
therefore seen every event below ``n``: nothing can commit later with a smaller number.
PostgreSQL's lock is the row of `outbox_counter` (migration 0010c): one statement updates it,
inserts the event and sends its NOTIFY, since an `UPDATE` waits for the previous writer's
commit and then reads the committed value. SQLite needs no lock (one writer at a time): it
writes ``max(seq) + 1``, and a trigger keeps the counter equal (docs/events.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.db import Dialect, Row, Tx
from app.db.records import json_column, record_of

_COLUMNS = (
    "seq, id, type, at, actor_type, actor_id, actor_label, request_id, resource_type,"
    " resource_id, changes, resource"
)
# The resource as it now is, per audit target type: its table, the key column, and the public
# fields (no hashes, no secrets) as (name in the APIs, column). JSON columns are listed in
# `_JSON_FIELDS`. A type not listed has no resource document. The document is built by the
# database inside the event's own INSERT (`Dialect.json_object`), so the outbox adds one
# statement to a write, not two.
_SNAPSHOTS: dict[str, tuple[str, str, tuple[tuple[str, str], ...]]] = {
    "User": (
        "users",
        "id",
        (
            ("id", "id"),
            ("loginId", "login_id"),
            ("externalId", "external_id"),
            ("authProvider", "auth_provider"),
            ("status", "status"),
            ("profile", "profile"),
            ("version", "version"),
            ("createdAt", "created_at"),
            ("updatedAt", "updated_at"),
            ("deletedAt", "deleted_at"),
        ),
    ),
    "Group": (
        "groups",
        "id",
        (
            ("id", "id"),
            ("displayName", "display_name"),
            ("externalId", "external_id"),
            ("authProvider", "auth_provider"),
            ("memberCount", "member_count"),
            ("version", "version"),
            ("createdAt", "created_at"),
            ("updatedAt", "updated_at"),
        ),
    ),
    "ApiToken": (
        "api_tokens",
        "id",
        (
            ("id", "id"),
            ("userId", "user_id"),
            ("name", "name"),
            ("hint", "hint"),
            ("createdAt", "created_at"),
            ("expiresAt", "expires_at"),
            ("revokedAt", "revoked_at"),
        ),
    ),
    "ScimToken": (
        "scim_tokens",
        "id",
        (
            ("id", "id"),
            ("name", "name"),
            ("hint", "hint"),
            ("createdAt", "created_at"),
            ("expiresAt", "expires_at"),
            ("revokedAt", "revoked_at"),
        ),
    ),
    "ProfileAttribute": (
        "profile_attributes",
        "name",
        (
            ("name", "name"),
            ("displayName", "display_name"),
            ("datatype", "datatype"),
            ("sourcePriority", "source_priority"),
            ("status", "status"),
            ("scimPath", "scim_path"),
            ("version", "version"),
        ),
    ),
}
_JSON_FIELDS = frozenset({"profile"})


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


def _snapshot_sql(dialect: Dialect, resource_type: str) -> str:
    """A scalar subquery: the resource's public fields as one JSON document as the transaction
    sees them (NULL when the row is gone), or NULL for a type without a document."""
    described = _SNAPSHOTS.get(resource_type)
    if described is None:
        return "NULL"
    table, key, fields = described
    pairs = [(name, column, column in _JSON_FIELDS) for name, column in fields]
    return f"(SELECT {dialect.json_object(pairs)} FROM {table} WHERE {key} = :snapshot_id)"


async def insert_event(tx: Tx, event: OutboxEventRecord, channel: str) -> int:
    """Write one event with the next number, with the resource as it now is read by the same
    statement, announce its number on ``channel`` at commit, and return it: one statement.
    ``event.resource`` is not used: the database fills it in."""
    d = tx.dialect
    values = (
        " :id, :type, :at, :actor_type, :actor_id, :actor_label, :request_id, :resource_type,"
        f" :resource_id, {d.json_value('changes')}, {_snapshot_sql(d, event.resource_type)}"
    )
    params = {
        "id": event.id,
        "type": event.type,
        "at": event.at,
        "actor_type": event.actor_type,
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "request_id": event.request_id,
        "resource_type": event.resource_type,
        "resource_id": event.resource_id,
        "snapshot_id": event.resource_id,  # apart: PostgreSQL types each use of a name once
        "changes": d.json_param(event.changes),
    }
    if d.name == "postgresql":  # numbered, written and announced in one statement
        sql = (
            "WITH n AS (UPDATE outbox_counter SET seq = seq + 1 WHERE id = 1 RETURNING seq),"
            f" e AS (INSERT INTO outbox_events ({_COLUMNS}) SELECT n.seq,{values} FROM n"
            " RETURNING seq) SELECT seq, pg_notify(:channel, seq::text) FROM e"
        )
        return int(await tx.fetchval(sql, {**params, "channel": channel}))
    sql = (
        f"INSERT INTO outbox_events ({_COLUMNS}) SELECT coalesce(max(seq), 0) + 1,{values}"
        " FROM outbox_events RETURNING seq"
    )
    seq = int(await tx.fetchval(sql, params))
    tx.notify(channel, str(seq))
    return seq


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
