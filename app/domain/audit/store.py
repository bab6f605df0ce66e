"""The audit package's statements that write the logs: the audit entry insert (only `record_audit`
calls it) and the retention purge's count and delete, for every log. Every write to
``audit_entries`` is here; the reads are in `entries_store`.

Kept apart from the reads because those use the directory's pager, and `record_audit` is imported by
nearly every writer of the domain (the directory's own modules among them): its imports must not
load the directory.
"""

from __future__ import annotations

from typing import Any

from app.db import Tx

_INSERT = (
    "INSERT INTO audit_entries (id, at, actor_type, actor_id, actor_label, action, target_type,"
    " target_id, target_label, changes, reason, request_id) VALUES (:id, :at, :actor_type,"
    " :actor_id, :actor_label, :action, :target_type, :target_id, :target_label, :changes,"
    " :reason, :request_id)"
)


async def insert_entry(tx: Tx, values: dict[str, Any]) -> None:
    """Append one audit entry (the columns of `_INSERT`); only `record_audit` calls it."""
    await tx.execute(_INSERT, values)


# What a purge may not remove: the outbox's newest event (numbering continues from it, max + 1,
# so a consumer's cursor never points into a restarted sequence) and a webhook delivery still
# PENDING (it goes when it is delivered or given up).
_KEPT = {
    "outbox_events": " AND seq < (SELECT max(seq) FROM outbox_events)",
    "webhook_deliveries": " AND status <> 'PENDING'",
}
_TIME = {"webhook_deliveries": "created_at"}  # the others have ``at``


def _older(table: str) -> str:
    return f"{_TIME.get(table, 'at')} < :before{_KEPT.get(table, '')}"


async def count_older(tx: Tx, table: str, before: str) -> int:
    """How many rows of the log ``table`` are older than ``before`` (and may go)."""
    sql = f"SELECT count(*) FROM {table} WHERE {_older(table)}"
    return int(await tx.fetchval(sql, {"before": before}))


async def delete_oldest(tx: Tx, table: str, before: str, size: int) -> int:
    """Delete up to ``size`` of the oldest rows of the log ``table`` older than ``before``."""
    return await tx.execute(
        f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE {_older(table)}"
        f" ORDER BY {_TIME.get(table, 'at')} LIMIT :n)",
        {"before": before, "n": size},
    )
