"""The one keyset pager: every list page is one range read on its sort index, no OFFSET scan.

A list orders by a sort key with absent values last (in either direction), then id; ids are
unique, so the order is total. A page starts strictly after a `Position` (the sort key and id of
a row) or, read backward, strictly before one, and may also stop at a second position (a Relay
window with both ``after`` and ``before``). Rows inserted or deleted between pages never shift
the rows after the position: nothing is skipped or repeated. GraphQL connections
(`PageRequest` → `Page`), SCIM cursor pages (`Seek` → `SeekPage`) and the activity logs
(`fetch_page`) all read through `read_keyset`; the statement is `store.select_keyset`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

from app.db import Row, Tx
from app.domain.directory import store
from app.domain.directory.cursor import Position, decode_position, encode_cursor
from app.domain.directory.fields import Fields, Kind
from app.errors import InvalidValue

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class KeyOrder:
    """How a list is ordered: ``expr`` (None: by id alone), then the id column."""

    expr: str | None
    id_col: str
    descending: bool = False
    nullable: bool = False
    kind: Kind = Kind.TEXT

    def step(self, backward: bool) -> tuple[str, str]:
        """(comparison, SQL direction) of a read in list order, or against it."""
        return ("<", "DESC") if self.descending != backward else (">", "ASC")

    def sql(self, backward: bool) -> str:
        """The ORDER BY of a read in list order, or against it."""
        _, direction = self.step(backward)
        parts = [f"{self.id_col} {direction}"]
        if self.expr is not None:
            parts.insert(0, f"{self.expr} {direction}")
            if self.nullable:  # absent keys last, so first when reading backward
                parts.insert(0, f"({self.expr} IS NULL) {'DESC' if backward else 'ASC'}")
        return ", ".join(parts)

    def bound(self, at: Position, backward: bool, params: dict[str, Any], name: str) -> str:
        """The rows strictly past ``at`` in the direction read."""
        op, _ = self.step(backward)
        params[f"{name}_id"] = at.id
        tie = f"{self.id_col} {op} :{name}_id"
        e = self.expr
        if e is None:
            return tie
        if at.key is None:
            return f"({e} IS NOT NULL OR {tie})" if backward else f"({e} IS NULL AND {tie})"
        params[f"{name}_key"] = at.key
        # A row-value comparison, not `k > :k OR (k = :k AND id > :id)`: both engines seek the
        # (key, id) index to it, where the OR form walks the index from its start (a page in
        # the middle of 100,000 users: 56 ms against 0.3 ms on PostgreSQL, docs/query-plans.md).
        past = f"(({e}, {self.id_col}) {op} (:{name}_key, :{name}_id))"
        if not self.nullable:
            return past
        return f"({e} IS NOT NULL AND {past})" if backward else f"({e} IS NULL OR {past})"

    def fit(self, at: Position, tx: Tx, name: str) -> Position:
        """The position with its key checked against this order (and bindable on this engine);
        raises InvalidValue on ``name``."""
        key = at.key
        if self.expr is None or key is None:
            if key is not None or (self.expr is not None and not self.nullable):
                raise InvalidValue("the position does not fit this order", fields=[name])
            return at
        numeric = self.kind is Kind.NUMBER
        fits = isinstance(key, int | float | Decimal) if numeric else isinstance(key, str)
        if isinstance(key, bool) or not fits:
            raise InvalidValue("the position does not fit this order", fields=[name])
        if isinstance(key, Decimal) and tx.dialect.name == "sqlite":
            key = float(key)
        return Position(key, at.id)


def key_order(fields: Fields, sort: str | None, descending: bool, table: str) -> KeyOrder:
    """The order of a list sorted by the field ``sort`` (None: by id); raises InvalidValue."""
    if sort is None or sort == "id":
        return KeyOrder(None, f"{table}.id", descending)
    found = fields.get(sort)
    if found is None or found.sort is None:
        raise InvalidValue(f"cannot sort by {sort!r}", fields=["sort"])
    return KeyOrder(found.sort, f"{table}.id", descending, found.nullable, found.kind)


@dataclass(frozen=True, slots=True)
class Window:
    """Which rows: ``limit`` of them after ``start`` (from the first when None), or before it
    when ``backward``; never past ``stop`` (the other end of a Relay window)."""

    start: Position | None = None
    backward: bool = False
    limit: int = 100
    stop: Position | None = None
    names: tuple[str, str] = ("cursor", "cursor")  # what a bad start / stop is reported on


@dataclass(frozen=True, slots=True)
class KeysetRead:
    """What a keyset read selects: ``source`` (FROM text, selected columns), ``where`` (a
    condition and its parameters), in ``order``."""

    source: tuple[str, str]
    where: tuple[str, Mapping[str, Any]]
    order: KeyOrder


async def read_keyset(tx: Tx, q: KeysetRead, w: Window) -> tuple[list[Row], list[Position], bool]:
    """(rows in list order, their positions, whether more lie beyond in the direction read)."""
    source, where, order = q.source, q.where, q.order
    if w.limit < 0:
        raise InvalidValue("limit must not be negative", fields=["limit"])
    if w.limit == 0:
        return [], [], False
    sql, params = where[0], dict(where[1])
    if w.start is not None:
        start = order.fit(w.start, tx, w.names[0])
        sql += " AND " + order.bound(start, w.backward, params, "seek")
    if w.stop is not None:
        stop = order.fit(w.stop, tx, w.names[1])
        sql += " AND " + order.bound(stop, not w.backward, params, "stop")
    rows = await store.select_keyset(
        tx, source, (sql, params), key=order.expr, order=order.sql(w.backward), limit=w.limit + 1
    )
    more = len(rows) > w.limit
    rows = rows[: w.limit]
    if w.backward:
        rows.reverse()
    id_name = order.id_col.rsplit(".", 1)[-1]
    keyed = order.expr is not None
    return rows, [Position(r["seek_key"] if keyed else None, r[id_name]) for r in rows], more


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

    def window(self) -> Window:
        """The keyset window of this request; raises InvalidValue (size, cursors)."""
        size = self.size()
        after = decode_position(self.after, "after") if self.after else None
        before = decode_position(self.before, "before") if self.before else None
        if self.last is not None:
            return Window(before, True, size, after, ("before", "after"))
        return Window(after, False, size, before, ("after", "before"))


@dataclass(slots=True)
class Page(Generic[T]):
    """One page of items with their cursors, in the requested order."""

    items: list[T]
    cursors: list[str]
    has_next: bool
    has_previous: bool


async def relay_page(
    tx: Tx, q: KeysetRead, *, page: PageRequest, row_map: Callable[[Row], T]
) -> Page[T]:
    """One Relay page; raises InvalidValue (bad cursor, page size)."""
    w = page.window()
    rows, positions, more = await read_keyset(tx, q, w)
    return Page(
        items=[row_map(r) for r in rows],
        cursors=[encode_cursor(p.key, p.id) for p in positions],
        has_next=more if not w.backward else page.before is not None,
        has_previous=more if w.backward else page.after is not None,
    )


@dataclass(frozen=True, slots=True)
class Keyset:
    """How a log is ordered: a (non-null) column, then the id column."""

    column: str
    id_column: str
    descending: bool = False


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
    """``select`` (``SELECT cols FROM ...``) as one Relay page; raises InvalidValue."""
    head, tail = select.split(" FROM ", 1)
    columns = head.removeprefix("SELECT ")
    order = KeyOrder(keyset.column, keyset.id_column, keyset.descending)
    condition = " AND ".join(where) if where else "1=1"
    q = KeysetRead((tail, columns), (condition, params), order)
    return await relay_page(tx, q, page=page, row_map=row_map)
