"""Directory search: a small predicate language over users and groups, compiled to SQL.

Adapters build a `Predicate` (the SCIM layer from a filter, the GraphQL layer from its
``filter:`` input) and call `search_users` or `search_groups`; every row is filtered and
ordered by the database, never in Python. The SQL is in `app.domain.query_sql`.

Field names are domain names. Users: ``id``, ``loginId``, ``externalId``, ``authProvider``,
``active`` (bool), ``createdAt``, ``updatedAt``, ``version``, ``groupId`` (a group the user
belongs to) and ``profile.<attribute>`` for every Profile Editor attribute. Groups: ``id``,
``displayName``, ``externalId``, ``authProvider``, ``createdAt``, ``updatedAt``, ``version``
and ``memberId`` (a member's user id).

Semantics, the same on both engines:

- a comparison on an absent value is false, except ``ne``, which is true (RFC 7644
  §3.4.2.2); ``eq None`` means "absent" and ``ne None`` "present";
- ``Not`` is two-valued: ``Not(Compare(...))`` matches exactly the rows the comparison does not;
- on multi-valued fields (``groupId``, ``memberId``, string-array attributes) a comparison
  matches when any value matches, and ``ne`` when no value equals;
- ``case_exact=False`` compares lower-cased text; timestamps compare as instants; numbers
  numerically.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.db import Row, Tx
from app.domain.catalogue import Catalogue, get_catalogue
from app.domain.groups import GROUP_COLUMNS, row_to_group
from app.domain.predicates import (
    FALSE,
    OPS,
    TRUE,
    And,
    Compare,
    Const,
    Not,
    Op,
    Or,
    Predicate,
    Present,
    Scalar,
    and_,
    has_member,
    member_of,
    not_,
    or_,
)
from app.domain.query_sql import GROUP_FIELDS, Fields, compile_predicate, order_by, user_fields
from app.domain.types import GroupRecord, UserRecord
from app.domain.user_store import USER_COLUMNS, group_pairs, row_to_user, user_group_pairs
from app.errors import InvalidValue

__all__ = [
    "FALSE",
    "GROUP_SORTS",
    "OPS",
    "TRUE",
    "USER_SORTS",
    "And",
    "Compare",
    "Const",
    "Not",
    "Op",
    "Or",
    "Predicate",
    "Present",
    "Scalar",
    "UserSearch",
    "and_",
    "has_member",
    "member_of",
    "not_",
    "or_",
    "search_groups",
    "search_users",
]

USER_SORTS = ("id", "loginId", "externalId", "createdAt", "updatedAt", "profile.<attribute>")
GROUP_SORTS = ("id", "displayName", "externalId", "createdAt", "updatedAt")


def _check_page(offset: int, limit: int) -> None:
    if offset < 0:
        raise InvalidValue("offset must not be negative", fields=["offset"])
    if limit < 0:
        raise InvalidValue("limit must not be negative", fields=["limit"])


@dataclass(slots=True)  # not frozen: a frozen dataclass costs a microsecond more to build
class _Query:
    table: str
    columns: str
    where: str
    params: dict[str, Any]
    order: str
    offset: int
    limit: int
    with_total: bool

    async def run(self, tx: Tx) -> tuple[int | None, list[Row]]:
        base = f"FROM {self.table} WHERE {self.where}"
        rows: list[Row] = []
        if self.limit:
            order = f" ORDER BY {self.order}" if self.order else ""
            rows = await tx.fetch(
                f"SELECT {self.columns} {base}{order} LIMIT :q_limit OFFSET :q_offset",
                {**self.params, "q_limit": self.limit, "q_offset": self.offset},
            )
        if not self.with_total:
            return None, rows
        if self.offset == 0 and len(rows) < self.limit:
            # A first page that is not full is the whole result: no count query needed
            # (the common case of filters such as userName eq "...").
            return len(rows), rows
        return int(await tx.fetchval(f"SELECT count(*) {base}", self.params)), rows


# Fields whose equality matches at most one row (a unique index: live users' loginId is
# unique case-insensitively, group displayNames are). Such a page is left unordered: with
# ORDER BY id the plan hinged on statistics, and PostgreSQL, before its first ANALYZE of users,
# walked the id index through the whole directory to find one userName (1.1 ms at 2,000 users,
# growing with the directory) instead of probing the unique index (0.07 ms).
_UNIQUE_USER_FIELDS = frozenset({"id", "loginId"})
_UNIQUE_GROUP_FIELDS = frozenset({"id", "displayName"})


def _at_most_one(where: Predicate, unique: frozenset[str]) -> bool:
    """True when ``where`` pins a unique field by equality (alone or in a conjunction)."""
    if isinstance(where, Compare):
        return where.op == "eq" and where.field in unique and where.value is not None
    if isinstance(where, And):
        return any(_at_most_one(item, unique) for item in where.items)
    return False


async def _whole_directory_page(
    tx: Tx, offset: int, limit: int, with_total: bool, columns: str = USER_COLUMNS
) -> tuple[int | None, list[Row]]:
    """An unfiltered page in id order: the total from the trigger-kept counter, and the page
    found by walking the partial index of live ids (no table rows read before the page).
    """
    state = await tx.fetchrow("SELECT live_users, live_version FROM service_state WHERE id = 1")
    assert state is not None
    total = int(state["live_users"]) if with_total else None
    if limit == 0:
        return total, []
    start, skip = await _checkpoint(tx, int(state["live_version"]), offset)
    rows = await tx.fetch(
        f"SELECT {columns} FROM users WHERE id IN (SELECT id FROM users"
        " WHERE deleted_at IS NULL AND id >= :start ORDER BY id LIMIT :l OFFSET :o) ORDER BY id",
        {"start": start, "l": limit, "o": skip},
    )
    return total, rows


CHECKPOINT_EVERY = 1000


async def _checkpoint(tx: Tx, version: int, offset: int) -> tuple[str, int]:
    """(id to start from, rows to skip after it) for a 0-based offset in id order.

    Every 1000th live id is remembered per process, keyed by ``live_version`` (which the
    triggers bump whenever the live set changes), so a page deep in the directory skips at most
    999 index entries instead of all before it; after a change the marks are rebuilt once.
    """
    if offset < CHECKPOINT_EVERY:
        return "", offset
    cached = tx.cache.get("live_checkpoints")
    if cached is None or cached[0] != version:
        rows = await tx.fetch(
            "SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM users"
            " WHERE deleted_at IS NULL) AS ranked WHERE (n - 1) % :every = 0 ORDER BY id",
            {"every": CHECKPOINT_EVERY},
        )
        cached = (version, [r[0] for r in rows])
        marks = cached
        tx.after_commit(lambda: tx.cache.__setitem__("live_checkpoints", marks))
    marks_list: list[str] = cached[1]
    index = min(offset // CHECKPOINT_EVERY, len(marks_list) - 1)
    if index < 0:
        return "", offset
    return marks_list[index], offset - index * CHECKPOINT_EVERY


def _fields(tx: Tx, catalogue: Catalogue) -> Fields:
    """The user fields for this catalogue, built once per catalogue version and process."""
    cached = tx.cache.get("user_fields")
    if cached is not None and cached[0] is catalogue:
        fields: Fields = cached[1]
        return fields
    fields = user_fields(catalogue, tx.dialect)
    tx.cache["user_fields"] = (catalogue, fields)
    return fields


async def search_users(
    tx: Tx,
    *,
    where: Predicate,
    sort: str | None = None,
    descending: bool = False,
    offset: int = 0,
    limit: int = 100,
    with_total: bool = True,
    catalogue: Catalogue | None = None,
) -> tuple[int | None, list[UserRecord]]:
    """Live users matching ``where``: (total or None, one page ordered by ``sort`` then id).

    ``limit=0`` counts only; ``offset`` is 0-based; pass the request's ``catalogue`` when it is
    already loaded. Raises InvalidValue for an unknown field or sort, an operator the field's
    type does not support, or a value of the wrong type.
    """
    page = UserSearch(where, sort, descending, offset, limit, with_total, catalogue)
    total, rows = await page.rows(tx, USER_COLUMNS)
    return total, [row_to_user(r) for r in rows]


GroupPairs = list[tuple[str, str]]


@dataclass(slots=True)
class UserSearch:
    """One page of live users: what `search_users` takes, for callers that want more per row."""

    where: Predicate
    sort: str | None = None
    descending: bool = False
    offset: int = 0
    limit: int = 100
    with_total: bool = True
    catalogue: Catalogue | None = None

    async def with_groups(
        self, tx: Tx, wanted: bool = True
    ) -> tuple[int | None, list[tuple[UserRecord, GroupPairs | None]]]:
        """Each user with the (id, displayName) of its groups in group id order, read in the
        same statement (a SCIM page renders them; one statement fewer per page). Unless
        ``wanted``, the pairs are None and not read."""
        if not wanted:
            total, rows = await self.rows(tx, USER_COLUMNS)
            return total, [(row_to_user(r), None) for r in rows]
        total, rows = await self.rows(tx, f"{USER_COLUMNS}, {user_group_pairs(tx.dialect)}")
        return total, [(row_to_user(r), group_pairs(r)) for r in rows]

    async def rows(self, tx: Tx, columns: str) -> tuple[int | None, list[Row]]:
        _check_page(self.offset, self.limit)
        if self.where == TRUE and self.sort is None and not self.descending:
            return await _whole_directory_page(
                tx, self.offset, self.limit, self.with_total, columns
            )
        fields = _fields(tx, self.catalogue or await get_catalogue(tx))
        sql, params = compile_predicate(self.where, fields)
        order = order_by(fields, self.sort, self.descending, "users")
        if _at_most_one(self.where, _UNIQUE_USER_FIELDS):
            order = ""
        where_sql = f"users.deleted_at IS NULL AND {sql}"
        query = _Query(
            "users", columns, where_sql, params, order, self.offset, self.limit, self.with_total
        )
        return await query.run(tx)


async def search_groups(
    tx: Tx,
    *,
    where: Predicate,
    sort: str | None = None,
    descending: bool = False,
    offset: int = 0,
    limit: int = 100,
    with_total: bool = True,
) -> tuple[int | None, list[GroupRecord]]:
    """Groups matching ``where``: (total or None, one page ordered by ``sort`` then id).

    ``limit=0`` counts only; ``offset`` is 0-based. Raises InvalidValue for an unknown field or
    sort, an operator the field's type does not support, or a value of the wrong type.
    """
    _check_page(offset, limit)
    sql, params = compile_predicate(where, GROUP_FIELDS)
    order = order_by(GROUP_FIELDS, sort, descending, "groups")
    if _at_most_one(where, _UNIQUE_GROUP_FIELDS):
        order = ""
    query = _Query("groups", GROUP_COLUMNS, sql, params, order, offset, limit, with_total)
    total, rows = await query.run(tx)
    return total, [row_to_group(r) for r in rows]
