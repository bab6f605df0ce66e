"""The fields a directory predicate may name, and the SQL of each (users and groups).

Names are domain names. Users: ``id``, ``loginId``, ``externalId``, ``authProvider``,
``status``, ``active`` (bool), ``createdAt``, ``updatedAt``, ``version``, ``groupId`` (a group
the user belongs to), ``role`` (held directly or through a group), ``profile.<attribute>`` for
every Profile Editor attribute, and two families the admin list builds on demand
(`admin_fields`): ``search.<key>`` (the admin search: case-folded text of loginId or a profile
key) and ``attribute.<name>`` (a profile value compared as text, exactly). Groups: ``id``,
``displayName``, ``externalId``, ``authProvider``, ``createdAt``, ``updatedAt``, ``version``,
``memberId`` (a member's user id) and ``role`` (granted to the group).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from app.db import CacheKey, Dialect, Tx
from app.domain.settings.catalogue import Attribute, Catalogue
from app.domain.types import Datatype

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


def valid_name(name: str) -> bool:
    """A profile key safe to spell in SQL (catalogue names are validated on creation too)."""
    return bool(_NAME.match(name))


class Kind(StrEnum):
    """How a field's values compare."""

    TEXT = "text"
    BOOL = "boolean"
    TIME = "dateTime"
    NUMBER = "number"


@dataclass(frozen=True, slots=True)
class Field:
    """A searchable field.

    ``expr`` is the SQL of its value (for BOOL, a condition). ``folded`` names a column that
    holds the value folded by Python (`search_fold`), used by a LIKE that is not case-exact;
    ``key`` names the column of its comparison key (`name_key`, indexed), used by the other
    comparisons that are not case-exact (so `userName eq` is an index lookup).
    ``many`` makes the field multi-valued: a correlated ``SELECT 1 ... WHERE ...`` whose rows
    carry the values in ``expr``. ``within`` makes ``eq`` a set test: the row's id is in what
    that SQL selects (``{value}`` is the bound value), which both engines plan as one index
    read where correlated EXISTS terms would test every row. ``sort`` is the SQL to order by,
    None when not sortable.
    """

    kind: Kind
    expr: str
    nullable: bool = True
    folded: str | None = None
    key: str | None = None
    many: str | None = None
    within: str | None = None
    sort: str | None = None


Fields = Mapping[str, Field]


def _column(table: str, column: str, kind: Kind = Kind.TEXT, *, nullable: bool = False) -> Field:
    """A plain column, filtered and sorted as it is stored."""
    expr = f"{table}.{column}"
    return Field(kind, expr, nullable=nullable, sort=expr)


def _name(table: str, column: str, key: str) -> Field:
    """A unique name: compared case-folded (``<column>_norm``), sorted by its unique key."""
    return Field(
        Kind.TEXT,
        f"{table}.{column}",
        nullable=False,
        folded=f"{table}.{column}_norm",
        key=f"{table}.{key}",
        sort=f"{table}.{key}",
    )


def _times(table: str) -> dict[str, Field]:
    """createdAt, updatedAt and version, which users and groups both keep."""
    return {
        "createdAt": _column(table, "created_at", Kind.TIME),
        "updatedAt": _column(table, "updated_at", Kind.TIME),
        "version": _column(table, "version", Kind.NUMBER),
    }


USER_BASE_FIELDS: Fields = {
    "id": _column("users", "id"),
    "loginId": _name("users", "login_id", "login_key"),
    "externalId": _column("users", "external_id", nullable=True),
    "authProvider": _column("users", "auth_provider"),
    "status": _column("users", "status"),
    "active": Field(Kind.BOOL, "users.status = 'ACTIVE'", nullable=False),
    **_times("users"),
    "groupId": Field(
        Kind.TEXT, "m.group_id", many="SELECT 1 FROM memberships m WHERE m.user_id = users.id"
    ),
    # One set of holders, not `EXISTS ... OR EXISTS ...`, which tests every user (an ADMIN
    # count over 100,000 users: 429 ms against 0.3 ms on PostgreSQL, docs/query-plans.md).
    "role": Field(
        Kind.TEXT,
        "users.id",
        within=(
            "SELECT r.user_id FROM role_grants r WHERE r.role_name = {value}"
            " AND r.user_id IS NOT NULL UNION ALL SELECT rm.user_id FROM role_grants r"
            " JOIN memberships rm ON rm.group_id = r.group_id WHERE r.role_name = {value}"
        ),
    ),
}

GROUP_FIELDS: Fields = {
    "id": _column("groups", "id"),
    "displayName": _name("groups", "display_name", "display_name_key"),
    "externalId": _column("groups", "external_id", nullable=True),
    "authProvider": _column("groups", "auth_provider"),
    **_times("groups"),
    "memberId": Field(
        Kind.TEXT, "m.user_id", many="SELECT 1 FROM memberships m WHERE m.group_id = groups.id"
    ),
    "role": Field(
        Kind.TEXT,
        "r.role_name",
        many="SELECT 1 FROM role_grants r WHERE r.group_id = groups.id",
    ),
}


def _array_source(dialect: Dialect, name: str) -> str:
    if dialect.name == "postgresql":
        doc = f"users.profile -> '{name}'"
        elements = (
            f"jsonb_array_elements_text(CASE WHEN jsonb_typeof({doc}) = 'array'"
            f" THEN {doc} ELSE CAST('[]' AS jsonb) END) AS e(value)"
        )
    else:
        elements = f"json_each(users.profile, '$.\"{name}\"') AS e"
    return f"SELECT 1 FROM {elements} WHERE 1=1"


def _profile_field(attr: Attribute, dialect: Dialect) -> Field:
    text = dialect.json_text("users.profile", attr.name)
    if attr.datatype is Datatype.NUMBER:
        number = f"CAST({text} AS NUMERIC)"
        return Field(Kind.NUMBER, number, sort=number)
    if attr.datatype is Datatype.STRING_ARRAY:
        return Field(Kind.TEXT, "e.value", many=_array_source(dialect, attr.name))
    return Field(Kind.TEXT, text, sort=f"lower({text})")


def user_fields(catalogue: Catalogue, dialect: Dialect) -> Fields:
    """The user fields: the fixed ones and ``profile.<name>`` for each catalogue attribute."""
    fields = dict(USER_BASE_FIELDS)
    for attr in catalogue.profile_attributes:
        if valid_name(attr.name):
            fields[f"profile.{attr.name}"] = _profile_field(attr, dialect)
    return fields


USER_FIELDS: CacheKey[tuple[Catalogue, Fields]] = CacheKey("directory.user_fields")


def cached_user_fields(tx: Tx, catalogue: Catalogue) -> Fields:
    """`user_fields`, built once per catalogue and process (checked by identity: the request's
    catalogue is the per-process memo's)."""
    cached = tx.cache.get(USER_FIELDS)
    if cached is not None and cached[0] is catalogue:
        return cached[1]
    fields = user_fields(catalogue, tx.dialect)
    tx.cache.put(USER_FIELDS, (catalogue, fields))
    return fields


class WithAdminFields(Mapping[str, Field]):
    """User fields plus the admin list's on-demand families (``search.*``, ``attribute.*``)."""

    def __init__(self, base: Fields, dialect: Dialect) -> None:
        self.base = base
        self.dialect = dialect

    def __getitem__(self, name: str) -> Field:
        found = self.base.get(name)
        if found is not None:
            return found
        family, _, key = name.partition(".")
        if not valid_name(key):
            raise KeyError(name)
        if family == "search" and key == "loginId":
            return Field(Kind.TEXT, "users.login_id", nullable=False, folded="users.login_id_norm")
        text = self.dialect.json_text("users.profile", key)
        if family == "search":
            return Field(Kind.TEXT, text, folded=f"lower({text})")
        if family == "attribute":
            return Field(Kind.TEXT, f"CAST({text} AS TEXT)")
        raise KeyError(name)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.base)

    def __len__(self) -> int:
        return len(self.base)
