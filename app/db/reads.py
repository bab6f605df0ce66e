"""Reads every table answers alike, written once over `Tx` for both engines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.db.interface import Row, Tx


async def rows_by_ids(tx: Tx, table: str, columns: str, ids: Sequence[str]) -> list[Row]:
    """The ``columns`` of the rows of ``table`` whose id is one of ``ids``, in no order (none
    when ``ids`` is empty, without a query)."""
    if not ids:
        return []
    d = tx.dialect
    return await tx.fetch(
        f"SELECT {columns} FROM {table} WHERE {d.in_list('id', 'ids')}",
        {"ids": d.list_param(list(ids))},
    )


async def taken_by_other(tx: Tx, sql: str, params: dict[str, Any], except_id: str | None) -> bool:
    """Whether ``sql``, which selects the id of the row holding a unique value, finds a row
    other than ``except_id`` (the row being written keeps its own value)."""
    other = await tx.fetchval(sql, params)
    return other is not None and other != except_id
