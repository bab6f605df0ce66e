"""The SQL of the provisioning event log (provisioning package): appending an event, pages and
counts for the admin API, one event by id, what the live feed catches up on, and the provisioning
page's counters. The time range, the capped count and the newest-first page are the audit log's
too (`app.domain.audit.entries_store`)."""

from __future__ import annotations

from typing import Any

import orjson

from app.db import Row, Tx
from app.domain.audit.entries_store import (
    Conditions,
    capped_count,
    newest_first_page,
    time_range,
)
from app.domain.clock import iso_in
from app.domain.directory.pager import Page, PageRequest
from app.domain.provisioning.model import EventFilter, ProvisioningEventRecord, ProvisioningStats

_COLUMNS = (
    "id, at, token_id, method, resource_type, resource_id, external_id, outcome, status_code,"
    " error_detail, duration_ms, request_id, ignored"
)
_SELECT = f"SELECT {_COLUMNS} FROM provisioning_events"


def _event(row: Row) -> ProvisioningEventRecord:
    """An event as `_COLUMNS` select it."""
    event = ProvisioningEventRecord(*(row[i] for i in range(12)))
    raw = row[12]
    if raw is not None:
        paths = orjson.loads(raw) if isinstance(raw, str | bytes) else raw
        event.ignored = [str(p) for p in paths]
    return event


async def insert_event(tx: Tx, event: ProvisioningEventRecord) -> None:
    """Append ``event`` to the log."""
    await tx.execute(
        f"INSERT INTO provisioning_events ({_COLUMNS})"
        " VALUES (:id, :at, :tok, :m, :rt, :rid, :ext, :o, :sc, :err, :dur, :req, :ign)",
        {
            "id": event.id,
            "at": event.at,
            "tok": event.token_id,
            "m": event.method,
            "rt": event.resource_type,
            "rid": event.resource_id,
            "ext": event.external_id,
            "o": event.outcome,
            "sc": event.status_code,
            "err": event.error_detail,
            "dur": event.duration_ms,
            "req": event.request_id,
            "ign": orjson.dumps(event.ignored).decode() if event.ignored else None,
        },
    )


def _event_conditions(tx: Tx, f: EventFilter) -> Conditions:
    params: dict[str, Any] = {}
    where = time_range(f.since, f.until, params)
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
    return await newest_first_page(tx, _SELECT, _event_conditions(tx, filter), page, _event)


async def count_provisioning_events(tx: Tx, *, filter: EventFilter, cap: int) -> int:
    """Events matching ``filter``, counted up to ``cap``."""
    return await capped_count(tx, "provisioning_events", _event_conditions(tx, filter), cap)


async def provisioning_event_by_id(tx: Tx, event_id: str) -> ProvisioningEventRecord | None:
    """One event, or None."""
    row = await tx.fetchrow(f"{_SELECT} WHERE id = :id", {"id": event_id})
    return _event(row) if row is not None else None


async def events_since(tx: Tx, since: str, limit: int) -> list[ProvisioningEventRecord]:
    """Up to ``limit`` events at or after ``since``, oldest first."""
    rows = await tx.fetch(
        f"{_SELECT} WHERE at >= :since ORDER BY at, id LIMIT {int(limit)}", {"since": since}
    )
    return [_event(r) for r in rows]


async def events_after_row(
    tx: Tx, row: int, limit: int
) -> tuple[list[ProvisioningEventRecord], int]:
    """SQLite only: up to ``limit`` events stored after the row numbered ``row``, in the order
    they committed, and the number of the last one (``row`` when there is none). Every write
    transaction holds SQLite's one writer lock, and a new row gets the highest rowid plus one,
    so rowids grow in commit order and a reader that has seen up to ``row`` misses nothing."""
    rows = await tx.fetch(
        f"SELECT {_COLUMNS}, rowid FROM provisioning_events WHERE rowid > :row"
        f" ORDER BY rowid LIMIT {int(limit)}",
        {"row": row},
    )
    return [_event(r) for r in rows], int(rows[-1][13]) if rows else row


async def last_event_row(tx: Tx) -> int:
    """SQLite only: the rowid of the newest stored event (0 when there is none)."""
    return int(await tx.fetchval("SELECT coalesce(max(rowid), 0) FROM provisioning_events"))


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
