"""Reading the provisioning event log, its counters, and the audit log (newest first)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from app.db import Row, Tx
from app.domain.clock import iso_in
from app.domain.directory.pager import Keyset, Page, PageRequest, fetch_page
from app.domain.events import EVENT_COLUMNS, ProvisioningEventRecord, event_from_row

_EVENT_COLUMNS = f"SELECT {EVENT_COLUMNS} FROM provisioning_events"
_AUDIT_COLUMNS = (
    "SELECT id, at, actor_type, actor_id, actor_label, action, target_type, target_id,"
    " target_label, changes, reason, request_id FROM audit_entries"
)
_NEWEST_FIRST = Keyset("at", "id", descending=True)


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Conditions on provisioning events, combined with AND."""

    outcomes: Sequence[str] = ()
    resource_type: str | None = None
    resource_id: str | None = None
    token_id: str | None = None
    since: str | None = None
    until: str | None = None


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Conditions on audit entries, combined with AND. ``action`` ending in '.' is a prefix."""

    actor: str | None = None
    target: str | None = None
    action: str | None = None
    since: str | None = None
    until: str | None = None


@dataclass(frozen=True, slots=True)
class AuditEntryRecord:
    """One audit entry; ``changes`` holds ``{field, before, after}`` dicts."""

    id: str
    at: str
    actor_type: str
    actor_id: str | None
    actor_label: str
    action: str
    target_type: str
    target_id: str | None
    target_label: str | None
    changes: list[dict[str, Any]]
    reason: str | None
    request_id: str | None


@dataclass(frozen=True, slots=True)
class ProvisioningStats:
    """Owned records per auth provider and SCIM traffic of the last 24 hours."""

    users_by_provider: dict[str, int]
    groups_by_provider: dict[str, int]
    requests_24h: int
    errors_24h: int
    last_request_at: str | None


def _event(row: Row) -> ProvisioningEventRecord:
    return event_from_row(row)


def _audit(row: Row) -> AuditEntryRecord:
    raw = row["changes"]
    changes = orjson.loads(raw) if isinstance(raw, str | bytes) else list(raw or [])
    return AuditEntryRecord(
        id=row["id"],
        at=row["at"],
        actor_type=row["actor_type"],
        actor_id=row["actor_id"],
        actor_label=row["actor_label"],
        action=row["action"],
        target_type=row["target_type"],
        target_id=row["target_id"],
        target_label=row["target_label"],
        changes=changes,
        reason=row["reason"],
        request_id=row["request_id"],
    )


def _range(since: str | None, until: str | None, params: dict[str, Any]) -> list[str]:
    out = []
    if since is not None:
        params["since"] = since
        out.append("at >= :since")
    if until is not None:
        params["until"] = until
        out.append("at < :until")
    return out


def _event_conditions(tx: Tx, f: EventFilter) -> tuple[list[str], dict[str, Any]]:
    params: dict[str, Any] = {}
    where = _range(f.since, f.until, params)
    if f.outcomes:
        params["o"] = tx.dialect.list_param(list(f.outcomes))
        where.append(tx.dialect.in_list("outcome", "o"))
    for column, value in (
        ("resource_type", f.resource_type),
        ("resource_id", f.resource_id),
        ("token_id", f.token_id),
    ):
        if value is not None:
            params[column] = value
            where.append(f"{column} = :{column}")
    return where, params


async def list_provisioning_events(
    tx: Tx, *, filter: EventFilter, page: PageRequest
) -> Page[ProvisioningEventRecord]:
    """Provisioning events, newest first; raises InvalidValue (cursor, page size)."""
    where, params = _event_conditions(tx, filter)
    return await fetch_page(
        tx,
        select=_EVENT_COLUMNS,
        where=where,
        params=params,
        keyset=_NEWEST_FIRST,
        page=page,
        row_map=_event,
    )


async def provisioning_stats(tx: Tx) -> ProvisioningStats:
    """Counters for the provisioning page (four indexed aggregate reads)."""
    users = await tx.fetch(
        "SELECT auth_provider, COUNT(*) FROM users WHERE deleted_at IS NULL"
        " GROUP BY auth_provider ORDER BY auth_provider"
    )
    groups = await tx.fetch(
        "SELECT auth_provider, COUNT(*) FROM groups GROUP BY auth_provider ORDER BY auth_provider"
    )
    row = await tx.fetchrow(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN outcome = 'ERROR' THEN 1 ELSE 0 END), 0)"
        " FROM provisioning_events WHERE at >= :since",
        {"since": iso_in(-1)},
    )
    last = await tx.fetchval("SELECT MAX(at) FROM provisioning_events")
    assert row is not None
    return ProvisioningStats(
        users_by_provider={r[0]: int(r[1]) for r in users},
        groups_by_provider={r[0]: int(r[1]) for r in groups},
        requests_24h=int(row[0]),
        errors_24h=int(row[1]),
        last_request_at=last,
    )


def _audit_conditions(f: AuditFilter) -> tuple[list[str], dict[str, Any]]:
    params: dict[str, Any] = {}
    where = _range(f.since, f.until, params)
    if f.actor is not None:
        params["actor"] = f.actor
        where.append("(actor_id = :actor OR actor_label = :actor)")
    if f.target is not None:
        params["target"] = f.target
        where.append("target_id = :target")
    if f.action is not None and f.action.endswith("."):
        params["action"] = f.action.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"
        where.append("action LIKE :action ESCAPE '!'")
    elif f.action is not None:
        params["action"] = f.action
        where.append("action = :action")
    return where, params


async def list_audit_entries(
    tx: Tx, *, filter: AuditFilter, page: PageRequest
) -> Page[AuditEntryRecord]:
    """Audit entries, newest first; raises InvalidValue (cursor, page size)."""
    where, params = _audit_conditions(filter)
    return await fetch_page(
        tx,
        select=_AUDIT_COLUMNS,
        where=where,
        params=params,
        keyset=_NEWEST_FIRST,
        page=page,
        row_map=_audit,
    )


def event_matches(f: EventFilter, e: ProvisioningEventRecord) -> bool:
    """The event passes the filter (for live subscribers; same meaning as the SQL filter)."""
    checks = (
        not f.outcomes or e.outcome in f.outcomes,
        f.resource_type is None or e.resource_type == f.resource_type,
        f.resource_id is None or e.resource_id == f.resource_id,
        f.token_id is None or e.token_id == f.token_id,
        f.since is None or e.at >= f.since,
        f.until is None or e.at < f.until,
    )
    return all(checks)


async def _capped_count(
    tx: Tx, table: str, where: list[str], params: dict[str, Any], cap: int
) -> int:
    """Rows matching, counted up to ``cap``: a bounded scan however long the log grows."""
    cond = (" WHERE " + " AND ".join(where)) if where else ""
    sql = f"SELECT COUNT(*) FROM (SELECT 1 FROM {table}{cond} LIMIT :cap) AS capped"
    return int(await tx.fetchval(sql, {**params, "cap": cap}))


async def count_provisioning_events(tx: Tx, *, filter: EventFilter, cap: int) -> int:
    """Events matching ``filter``, counted up to ``cap``."""
    where, params = _event_conditions(tx, filter)
    return await _capped_count(tx, "provisioning_events", where, params, cap)


async def count_audit_entries(tx: Tx, *, filter: AuditFilter, cap: int) -> int:
    """Audit entries matching ``filter``, counted up to ``cap``."""
    where, params = _audit_conditions(filter)
    return await _capped_count(tx, "audit_entries", where, params, cap)


async def provisioning_event_by_id(tx: Tx, event_id: str) -> ProvisioningEventRecord | None:
    """One event, or None."""
    row = await tx.fetchrow(f"{_EVENT_COLUMNS} WHERE id = :id", {"id": event_id})
    return _event(row) if row is not None else None


async def audit_entry_by_id(tx: Tx, entry_id: str) -> AuditEntryRecord | None:
    """One audit entry, or None."""
    row = await tx.fetchrow(f"{_AUDIT_COLUMNS} WHERE id = :id", {"id": entry_id})
    return _audit(row) if row is not None else None
