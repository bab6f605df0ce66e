"""The audit package's SQL that reads the audit log back (pages, capped counts, one entry), and what
the provisioning event log's reads share with it (`app.domain.provisioning.events_store`): the
newest-first order, time ranges and capped counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from app.db import Row, Tx
from app.db.records import json_column, record_of
from app.domain.audit.entries import AuditEntryRecord, AuditFilter
from app.domain.directory.pager import Keyset, Page, PageRequest, fetch_page

_AUDIT_COLUMNS = (
    "SELECT id, at, actor_type, actor_id, actor_label, action, target_type, target_id,"
    " target_label, changes, reason, request_id FROM audit_entries"
)
_NEWEST_FIRST = Keyset("at", "id", descending=True)
"""The order of both logs' pages."""
T = TypeVar("T")


def _audit(row: Row) -> AuditEntryRecord:
    return record_of(AuditEntryRecord, row, changes=list(json_column(row["changes"]) or []))


Conditions = tuple[list[str], dict[str, Any]]
"""WHERE conditions (combined with AND) and their parameters."""


async def newest_first_page(
    tx: Tx, select: str, conditions: Conditions, page: PageRequest, row_map: Callable[[Row], T]
) -> Page[T]:
    """One page of a log (``select``: ``SELECT cols FROM table``), newest first; raises
    InvalidValue (cursor, page size)."""
    where, params = conditions
    return await fetch_page(
        tx,
        select=select,
        where=where,
        params=params,
        keyset=_NEWEST_FIRST,
        page=page,
        row_map=row_map,
    )


def time_range(since: str | None, until: str | None, params: dict[str, Any]) -> list[str]:
    """Conditions on a log's ``at``: from ``since`` (inclusive) to ``until`` (exclusive)."""
    out = []
    if since is not None:
        params["since"] = since
        out.append("at >= :since")
    if until is not None:
        params["until"] = until
        out.append("at < :until")
    return out


async def capped_count(tx: Tx, table: str, conditions: Conditions, cap: int) -> int:
    """Rows matching, counted up to ``cap``: a bounded scan however long the log grows."""
    where, params = conditions
    cond = (" WHERE " + " AND ".join(where)) if where else ""
    sql = f"SELECT COUNT(*) FROM (SELECT 1 FROM {table}{cond} LIMIT :cap) AS capped"
    return int(await tx.fetchval(sql, {**params, "cap": cap}))


def _audit_conditions(f: AuditFilter) -> Conditions:
    params: dict[str, Any] = {}
    where = time_range(f.since, f.until, params)
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
    return await newest_first_page(tx, _AUDIT_COLUMNS, _audit_conditions(filter), page, _audit)


async def count_audit_entries(tx: Tx, *, filter: AuditFilter, cap: int) -> int:
    """Audit entries matching ``filter``, counted up to ``cap``."""
    return await capped_count(tx, "audit_entries", _audit_conditions(filter), cap)


async def audit_entry_by_id(tx: Tx, entry_id: str) -> AuditEntryRecord | None:
    """One audit entry, or None."""
    row = await tx.fetchrow(f"{_AUDIT_COLUMNS} WHERE id = :id", {"id": entry_id})
    return _audit(row) if row is not None else None
