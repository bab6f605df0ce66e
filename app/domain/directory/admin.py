"""The admin lists (GraphQL ``users``/``groups``): their filters as directory predicates, read
by the same compiler and keyset pager as SCIM's.

`UserFilter` / `GroupFilter` are the admin inputs (conditions combined with AND); each becomes
one `Predicate` over the fields of `app.domain.directory.fields`, so a GraphQL ``where`` and a
SCIM ``filter`` that say the same thing select the same rows in the same order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from app.db import Tx
from app.domain.directory import store
from app.domain.directory.compiler import compile_predicate
from app.domain.directory.fields import (
    GROUP_FIELDS,
    USER_BASE_FIELDS,
    WithAdminFields,
    cached_user_fields,
    valid_name,
)
from app.domain.directory.pager import (
    KeyOrder,
    KeysetRead,
    Page,
    PageRequest,
    key_order,
    relay_page,
)
from app.domain.directory.predicates import (
    TRUE,
    And,
    Compare,
    Not,
    Op,
    Or,
    Predicate,
    Present,
    and_,
    or_,
)
from app.domain.groups.store import GROUP_COLUMNS, row_to_group
from app.domain.settings.catalogue import get_catalogue
from app.domain.types import GroupRecord, UserRecord
from app.domain.users.store import USER_COLUMNS, row_to_user
from app.errors import InvalidValue

SEARCHED_PROFILE_KEYS = ("firstName", "lastName", "displayName", "email")
USER_SORT = {"CREATED_AT": "createdAt", "UPDATED_AT": "updatedAt", "LOGIN_ID": "loginId"}
GROUP_SORT = {"CREATED_AT": "createdAt", "DISPLAY_NAME": "displayName"}
MAX_SEARCH = 255


@dataclass(frozen=True, slots=True)
class UserFilter:
    """Conditions an admin list of users combines with AND (empty means everyone live)."""

    search: str | None = None
    statuses: Sequence[str] = ()
    providers: Sequence[str] = ()
    group_id: str | None = None
    role: str | None = None
    attribute: tuple[str, str] | None = None
    created_from: str | None = None
    created_to: str | None = None
    updated_from: str | None = None
    updated_to: str | None = None
    include_deleted: bool = False
    # Any further condition, in the predicate language SCIM filters compile to.
    where: Predicate = TRUE
    # Attributes the reader may not see (app.domain.users.visibility): not searched, not filterable.
    hidden: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class GroupFilter:
    """Conditions an admin list of groups combines with AND."""

    search: str | None = None
    providers: Sequence[str] = ()
    member_id: str | None = None
    role: str | None = None
    where: Predicate = TRUE


@dataclass(frozen=True, slots=True)
class Order:
    """Sort key (one of the list's sort names) and direction."""

    field: str = "CREATED_AT"
    descending: bool = False


def _search_text(text: str) -> str:
    if len(text) > MAX_SEARCH:
        raise InvalidValue(f"search is longer than {MAX_SEARCH} characters", fields=["search"])
    return text


def _any(field: str, values: Sequence[str]) -> Predicate:
    return or_(Compare(field, "eq", v, case_exact=True) for v in values)


def _fields_named(pred: Predicate) -> Iterator[str]:
    if isinstance(pred, Compare | Present):
        yield pred.field
    elif isinstance(pred, And | Or):
        for item in pred.items:
            yield from _fields_named(item)
    elif isinstance(pred, Not):
        yield from _fields_named(pred.item)


def _visible(where: Predicate, hidden: frozenset[str]) -> Predicate:
    for name in _fields_named(where):
        family, _, key = name.partition(".")
        if family in ("profile", "attribute", "search") and key in hidden:
            raise InvalidValue(f"profile attribute {key!r} is hidden", fields=["where"])
    return where


def _attribute(name: str, value: str, hidden: frozenset[str]) -> Predicate:
    if not valid_name(name):
        raise InvalidValue(f"unknown profile attribute {name!r}", fields=["attribute"])
    if name in hidden:
        raise InvalidValue(f"profile attribute {name!r} is hidden", fields=["attribute"])
    return Compare(f"attribute.{name}", "eq", value, case_exact=True)


def _ranges(f: UserFilter) -> list[Predicate]:
    bounds: tuple[tuple[str, Op, str | None], ...] = (
        ("createdAt", "ge", f.created_from),
        ("createdAt", "lt", f.created_to),
        ("updatedAt", "ge", f.updated_from),
        ("updatedAt", "lt", f.updated_to),
    )
    return [Compare(field, op, value) for field, op, value in bounds if value is not None]


def _exact(*conditions: tuple[str, str | None]) -> list[Predicate]:
    """Case-exact equality on each field given a value (ids and role names are exact)."""
    return [Compare(k, "eq", v, case_exact=True) for k, v in conditions if v is not None]


def user_predicate(f: UserFilter) -> Predicate:
    """The predicate of an admin user filter (deletion aside); raises InvalidValue."""
    terms = [_visible(f.where, f.hidden)]
    if f.search:
        text = _search_text(f.search)
        keys = [f"search.{k}" for k in SEARCHED_PROFILE_KEYS if k not in f.hidden]
        terms.append(or_(Compare(k, "co", text) for k in ["loginId", *keys]))
    if f.statuses:
        terms.append(_any("status", f.statuses))
    if f.providers:
        terms.append(_any("authProvider", f.providers))
    terms.extend(_exact(("groupId", f.group_id), ("role", f.role)))
    if f.attribute is not None:
        terms.append(_attribute(*f.attribute, f.hidden))
    terms.extend(_ranges(f))
    return and_(terms)


def group_predicate(f: GroupFilter) -> Predicate:
    """The predicate of an admin group filter; raises InvalidValue."""
    terms = [f.where]
    if f.search:
        terms.append(Compare("displayName", "co", _search_text(f.search)))
    if f.providers:
        terms.append(_any("authProvider", f.providers))
    terms.extend(_exact(("memberId", f.member_id), ("role", f.role)))
    return and_(terms)


async def _user_where(tx: Tx, f: UserFilter) -> tuple[str, dict[str, object]]:
    fields = WithAdminFields(cached_user_fields(tx, await get_catalogue(tx)), tx.dialect)
    sql, params = compile_predicate(user_predicate(f), fields)
    return (sql if f.include_deleted else f"users.deleted_at IS NULL AND {sql}"), params


def _order(sorts: dict[str, str], order: Order, table: str) -> KeyOrder:
    field = sorts.get(order.field)
    if field is None:
        raise InvalidValue(f"cannot order by {order.field}", fields=["orderBy"])
    return key_order(
        GROUP_FIELDS if table == "groups" else USER_BASE_FIELDS, field, order.descending, table
    )


async def list_users(
    tx: Tx, *, filter: UserFilter, order: Order, page: PageRequest
) -> Page[UserRecord]:
    """One keyset page of users; raises InvalidValue (bad cursor, page size, filter)."""
    keys = _order(USER_SORT, order, "users")
    where = await _user_where(tx, filter)
    q = KeysetRead(("users", USER_COLUMNS), where, keys)
    return await relay_page(tx, q, page=page, row_map=row_to_user)


async def count_users(tx: Tx, *, filter: UserFilter) -> int:
    """How many users match the filter (no filter: the trigger-kept count of live users)."""
    if filter in (UserFilter(), UserFilter(hidden=filter.hidden)):
        return await store.live_users(tx)
    return await store.count(tx, "users", await _user_where(tx, filter))


async def list_groups(
    tx: Tx, *, filter: GroupFilter, order: Order, page: PageRequest
) -> Page[GroupRecord]:
    """One keyset page of groups; raises InvalidValue."""
    keys = _order(GROUP_SORT, order, "groups")
    where = compile_predicate(group_predicate(filter), GROUP_FIELDS)
    q = KeysetRead(("groups", GROUP_COLUMNS), where, keys)
    return await relay_page(tx, q, page=page, row_map=row_to_group)


async def count_groups(tx: Tx, *, filter: GroupFilter) -> int:
    """How many groups match the filter."""
    return await store.count(tx, "groups", compile_predicate(group_predicate(filter), GROUP_FIELDS))
