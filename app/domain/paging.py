"""Keyset pagination shared by every admin list: opaque cursors, no OFFSET scans.

A cursor encodes the sort key and the id of the last row seen, so the next page is one indexed
range read whatever the page number. Lists order by ``(sort column, id)``; ids are unique, so
the order is total and stable.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson

from app.db import Row, Tx
from app.errors import InvalidValue

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Relay-style window: ``first``/``after`` forward or ``last``/``before`` backward."""

    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None
    max_size: int = 100

    def size(self) -> int:
        """The number of rows asked for; raises InvalidValue when over the cap or negative."""
        if self.first is not None and self.last is not None:
            raise InvalidValue("pass either first or last, not both", fields=["first", "last"])
        name, value = ("last", self.last) if self.last is not None else ("first", self.first)
        if value is None:
            return self.max_size
        if value < 0 or value > self.max_size:
            raise InvalidValue(
                f"{name} must be between 0 and {self.max_size} (the page-size cap)", [name]
            )
        return value


@dataclass(slots=True)
class Page(Generic[T]):
    """One page of items with their cursors, in the requested order."""

    items: list[T]
    cursors: list[str]
    has_next: bool
    has_previous: bool


@dataclass(frozen=True, slots=True)
class Keyset:
    """How a list is ordered: a column (selected as ``_k``) then the id column."""

    column: str
    id_column: str
    descending: bool = False


def encode_cursor(key: Any, row_id: str) -> str:
    """An opaque cursor for a row."""
    return base64.urlsafe_b64encode(orjson.dumps([key, row_id])).decode()


def decode_cursor(cursor: str, field: str) -> tuple[Any, str]:
    """The (key, id) inside a cursor; raises InvalidValue for anything we did not issue."""
    try:
        key, row_id = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError, TypeError, orjson.JSONDecodeError) as exc:
        raise InvalidValue(f"{field} is not a valid cursor", fields=[field]) from exc
    if not isinstance(row_id, str):
        raise InvalidValue(f"{field} is not a valid cursor", fields=[field])
    return key, row_id


def _bound(keyset: Keyset, cursor: str, field: str, greater: bool, params: dict[str, Any]) -> str:
    key, row_id = decode_cursor(cursor, field)
    params[f"{field}_k"], params[f"{field}_id"] = key, row_id
    op = ">" if greater != keyset.descending else "<"
    # A row-value comparison, not `k > :k OR (k = :k AND id > :id)`: both engines seek the
    # (key, id) index to it, where the OR form walks the index from its start (a page in the
    # middle of 100,000 users: 56 ms against 0.3 ms on PostgreSQL, docs/query-plans.md).
    return f"({keyset.column}, {keyset.id_column}) {op} (:{field}_k, :{field}_id)"


async def fetch_page(
    tx: Tx,
    *,
    select: str,
    where: Sequence[str],
    params: Mapping[str, Any],
    keyset: Keyset,
    page: PageRequest,
    row_map: Callable[[Row], T],
) -> Page[T]:
    """Run ``select`` (``SELECT cols FROM ...``) as one keyset page; raises InvalidValue."""
    size = page.size()
    backward = page.last is not None
    args = dict(params)
    clauses = list(where)
    if page.after:
        clauses.append(_bound(keyset, page.after, "after", True, args))
    if page.before:
        clauses.append(_bound(keyset, page.before, "before", False, args))
    desc = keyset.descending != backward
    direction = "DESC" if desc else "ASC"
    head, tail = select.split(" FROM ", 1)
    sql = f"{head}, {keyset.column} AS _k FROM {tail}"
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    sql += f" ORDER BY {keyset.column} {direction}, {keyset.id_column} {direction} LIMIT :_n"
    args["_n"] = size + 1
    rows = await tx.fetch(sql, args) if size else []
    more = len(rows) > size
    rows = rows[:size]
    if backward:
        rows.reverse()
    return Page(
        items=[row_map(r) for r in rows],
        cursors=[encode_cursor(r["_k"], r[keyset.id_column.split(".")[-1]]) for r in rows],
        has_next=more if not backward else page.before is not None,
        has_previous=more if backward else page.after is not None,
    )
