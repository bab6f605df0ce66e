"""Keyset pages of a directory search, for SCIM cursor pagination (RFC 9865): no OFFSET.

The same predicates and sorts as `app.domain.query`, and the same order: the sort key with
absent values last (in either direction), then id. A page starts strictly after a `Position`
(the sort key and id of a row), or, read backward, strictly before one; so each page is one
range read on the sort index whatever its depth, and rows inserted or deleted between pages
never shift the rows after the position (nothing is skipped or repeated).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

from app.db import Row, Tx
from app.domain.catalogue import Catalogue, get_catalogue
from app.domain.groups import GROUP_COLUMNS, row_to_group
from app.domain.predicates import Predicate
from app.domain.query_sql import GROUP_FIELDS, Fields, Kind, compile_predicate, user_fields
from app.domain.types import GroupRecord, UserRecord
from app.domain.user_store import USER_COLUMNS, row_to_user
from app.errors import InvalidValue

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Position:
    """Where a row sits in a list's order: its sort key (None when absent or unsorted), its id."""

    key: Any
    id: str


@dataclass(slots=True)
class SeekPage(Generic[T]):
    """One page in list order; ``more`` when rows lie beyond it in the direction read."""

    items: list[T]
    positions: list[Position]
    more: bool


@dataclass(frozen=True, slots=True)
class Seek:
    """Which page: ``limit`` rows after ``start`` (the first page when None), or before it."""

    start: Position | None = None
    backward: bool = False
    limit: int = 100


@dataclass(frozen=True, slots=True)
class _Order:
    expr: str | None  # the sort key's SQL; None orders by id alone
    nullable: bool
    kind: Kind
    id_col: str
    descending: bool

    def step(self, backward: bool) -> tuple[str, str]:
        """(comparison, SQL direction) of a read in list order, or against it."""
        return ("<", "DESC") if self.descending != backward else (">", "ASC")

    def sql(self, backward: bool) -> str:
        _, direction = self.step(backward)
        parts = [f"{self.id_col} {direction}"]
        if self.expr is not None:
            parts.insert(0, f"{self.expr} {direction}")
            if self.nullable:  # absent keys last, so first when reading backward
                parts.insert(0, f"({self.expr} IS NULL) {'DESC' if backward else 'ASC'}")
        return ", ".join(parts)

    def bound(self, start: Position, backward: bool, params: dict[str, Any]) -> str:
        """The rows strictly past ``start`` in the direction read."""
        op, _ = self.step(backward)
        params["seek_id"] = start.id
        tie = f"{self.id_col} {op} :seek_id"
        e = self.expr
        if e is None:
            return tie
        if start.key is None:
            return f"({e} IS NOT NULL OR {tie})" if backward else f"({e} IS NULL AND {tie})"
        params["seek_key"] = start.key
        # a row value: an index on (key, id) is sought to it (see app.domain.paging._bound)
        past = f"(({e}, {self.id_col}) {op} (:seek_key, :seek_id))"
        if not self.nullable:
            return past
        return f"({e} IS NOT NULL AND {past})" if backward else f"({e} IS NULL OR {past})"


def _order(fields: Fields, sort: str | None, descending: bool, table: str) -> _Order:
    if sort is None or sort == "id":
        return _Order(None, False, Kind.TEXT, f"{table}.id", descending)
    found = fields.get(sort)
    if found is None or found.sort is None:
        raise InvalidValue(f"cannot sort by {sort!r}", fields=["sort"])
    return _Order(found.sort, found.nullable, found.kind, f"{table}.id", descending)


def _key(order: _Order, start: Position, tx: Tx) -> Position:
    """The position with its key checked against the sort (and bindable on this engine)."""
    key = start.key
    if order.expr is None or key is None:
        if key is not None or (order.expr is not None and not order.nullable):
            raise InvalidValue("the position does not fit this order", fields=["cursor"])
        return start
    numeric = order.kind is Kind.NUMBER
    fits = isinstance(key, int | float | Decimal) if numeric else isinstance(key, str)
    if isinstance(key, bool) or not fits:
        raise InvalidValue("the position does not fit this order", fields=["cursor"])
    if isinstance(key, Decimal) and tx.dialect.name == "sqlite":
        key = float(key)
    return Position(key, start.id)


async def _seek(
    tx: Tx, source: tuple[str, str], where: tuple[str, dict[str, Any]], order: _Order, seek: Seek
) -> tuple[list[Row], list[Position], bool]:
    if seek.limit < 0:
        raise InvalidValue("limit must not be negative", fields=["limit"])
    if seek.limit == 0:
        return [], [], False
    table, columns = source
    sql, params = where[0], dict(where[1])
    if seek.start is not None:
        sql += " AND " + order.bound(_key(order, seek.start, tx), seek.backward, params)
    key = f", {order.expr} AS seek_key" if order.expr else ""
    params["seek_n"] = seek.limit + 1
    rows = await tx.fetch(
        f"SELECT {columns}{key} FROM {table} WHERE {sql}"
        f" ORDER BY {order.sql(seek.backward)} LIMIT :seek_n",
        params,
    )
    more = len(rows) > seek.limit
    rows = rows[: seek.limit]
    if seek.backward:
        rows.reverse()
    positions = [Position(r["seek_key"] if order.expr else None, r["id"]) for r in rows]
    return rows, positions, more


def _user_fields(tx: Tx, catalogue: Catalogue) -> Fields:
    """The user fields for this catalogue, built once per catalogue version and process."""
    cached = tx.cache.get("seek_user_fields")
    if cached is not None and cached[0] is catalogue:
        fields: Fields = cached[1]
        return fields
    fields = user_fields(catalogue, tx.dialect)
    tx.cache["seek_user_fields"] = (catalogue, fields)
    return fields


async def seek_users(
    tx: Tx,
    *,
    where: Predicate,
    sort: str | None = None,
    descending: bool = False,
    seek: Seek = Seek(),
    catalogue: Catalogue | None = None,
) -> SeekPage[UserRecord]:
    """One keyset page of live users matching ``where``, ordered by ``sort`` then id.

    Raises InvalidValue for an unknown field or sort, a bad comparison (as `search_users`), or
    a ``seek.start`` whose key does not fit the sort.
    """
    fields = _user_fields(tx, catalogue or await get_catalogue(tx))
    order = _order(fields, sort, descending, "users")
    sql, params = compile_predicate(where, fields)
    cond = (f"users.deleted_at IS NULL AND {sql}", params)
    rows, positions, more = await _seek(tx, ("users", USER_COLUMNS), cond, order, seek)
    return SeekPage([row_to_user(r) for r in rows], positions, more)


async def seek_groups(
    tx: Tx,
    *,
    where: Predicate,
    sort: str | None = None,
    descending: bool = False,
    seek: Seek = Seek(),
) -> SeekPage[GroupRecord]:
    """One keyset page of groups matching ``where``; raises InvalidValue as `seek_users`."""
    order = _order(GROUP_FIELDS, sort, descending, "groups")
    cond = compile_predicate(where, GROUP_FIELDS)
    rows, positions, more = await _seek(tx, ("groups", GROUP_COLUMNS), cond, order, seek)
    return SeekPage([row_to_group(r) for r in rows], positions, more)
