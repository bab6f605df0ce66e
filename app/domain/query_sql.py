"""Predicates compiled to one SQL condition with bound parameters, the same on both engines.

Every compiled fragment is two-valued (never SQL NULL): a comparison on a nullable value is
guarded with ``IS NOT NULL`` (or ``IS NULL OR`` for ``ne``), so ``NOT`` keeps its meaning.
Values are always bound; only fixed fragments and catalogue names (validated at creation and
checked again here) reach the SQL text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from app.db import Dialect
from app.domain.catalogue import Attribute, Catalogue
from app.domain.clock import to_iso
from app.domain.names import name_key, search_fold
from app.domain.predicates import OPS, And, Compare, Const, Not, Or, Predicate, Present, Scalar
from app.domain.types import Datatype
from app.errors import InvalidValue

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_SQL_OPS = {"eq": "=", "ne": "<>", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
_LIKE = {"co": ("%", "%"), "sw": ("", "%"), "ew": ("%", "")}


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
    carry the values in ``expr``. ``sort`` is the SQL to order by, None when not sortable.
    """

    kind: Kind
    expr: str
    nullable: bool = True
    folded: str | None = None
    key: str | None = None
    many: str | None = None
    sort: str | None = None


Fields = Mapping[str, Field]

_USERS: dict[str, Field] = {
    "id": Field(Kind.TEXT, "users.id", nullable=False, sort="users.id"),
    "loginId": Field(
        Kind.TEXT,
        "users.login_id",
        nullable=False,
        folded="users.login_id_norm",
        key="users.login_key",
        sort="users.login_key",
    ),
    "externalId": Field(Kind.TEXT, "users.external_id", sort="users.external_id"),
    "authProvider": Field(
        Kind.TEXT, "users.auth_provider", nullable=False, sort="users.auth_provider"
    ),
    "active": Field(Kind.BOOL, "users.status = 'ACTIVE'", nullable=False),
    "createdAt": Field(Kind.TIME, "users.created_at", nullable=False, sort="users.created_at"),
    "updatedAt": Field(Kind.TIME, "users.updated_at", nullable=False, sort="users.updated_at"),
    "version": Field(Kind.NUMBER, "users.version", nullable=False, sort="users.version"),
    "groupId": Field(
        Kind.TEXT, "m.group_id", many="SELECT 1 FROM memberships m WHERE m.user_id = users.id"
    ),
}

GROUP_FIELDS: Fields = {
    "id": Field(Kind.TEXT, "groups.id", nullable=False, sort="groups.id"),
    "displayName": Field(
        Kind.TEXT,
        "groups.display_name",
        nullable=False,
        folded="groups.display_name_norm",
        key="groups.display_name_key",
        sort="groups.display_name_key",
    ),
    "externalId": Field(Kind.TEXT, "groups.external_id", sort="groups.external_id"),
    "authProvider": Field(
        Kind.TEXT, "groups.auth_provider", nullable=False, sort="groups.auth_provider"
    ),
    "createdAt": Field(Kind.TIME, "groups.created_at", nullable=False, sort="groups.created_at"),
    "updatedAt": Field(Kind.TIME, "groups.updated_at", nullable=False, sort="groups.updated_at"),
    "version": Field(Kind.NUMBER, "groups.version", nullable=False, sort="groups.version"),
    "memberId": Field(
        Kind.TEXT, "m.user_id", many="SELECT 1 FROM memberships m WHERE m.group_id = groups.id"
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
    fields = dict(_USERS)
    for attr in catalogue.profile_attributes:
        if _NAME.match(attr.name):
            fields[f"profile.{attr.name}"] = _profile_field(attr, dialect)
    return fields


def parse_instant(value: Scalar, field: str) -> str:
    """An ISO-8601 date-time as the stored UTC text (naive means UTC); raises InvalidValue."""
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise InvalidValue(f"{field} needs an ISO-8601 date-time, not {value!r}", [field])
    return to_iso(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def like_pattern(op: str, value: str) -> str:
    """The LIKE pattern of co/sw/ew, with %, _ and the escape character escaped."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    before, after = _LIKE[op]
    return f"{before}{escaped}{after}"


class _Compiler:
    def __init__(self, fields: Fields) -> None:
        self.fields = fields
        self.params: dict[str, Any] = {}

    def bind(self, value: Any) -> str:
        name = f"q{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def field(self, name: str) -> Field:
        found = self.fields.get(name)
        if found is None:
            raise InvalidValue(f"unknown field {name!r}", fields=[name])
        return found

    def compile(self, pred: Predicate) -> str:
        if isinstance(pred, Compare):
            return self.compare(pred)
        if isinstance(pred, Present):
            return self.present(self.field(pred.field))
        if isinstance(pred, And | Or):
            joiner = " AND " if isinstance(pred, And) else " OR "
            if not pred.items:
                return "1=1" if isinstance(pred, And) else "1=0"
            return "(" + joiner.join(self.compile(p) for p in pred.items) + ")"
        if isinstance(pred, Not):
            return f"NOT ({self.compile(pred.item)})"
        if isinstance(pred, Const):
            return "1=1" if pred.value else "1=0"
        raise InvalidValue(f"not a predicate: {pred!r}")

    def present(self, f: Field) -> str:
        if f.many is not None:
            return f"EXISTS ({f.many})"
        if not f.nullable:
            return "1=1"
        if f.kind is Kind.TEXT:
            return f"({f.expr} IS NOT NULL AND {f.expr} <> '')"
        return f"{f.expr} IS NOT NULL"

    def compare(self, c: Compare) -> str:
        f = self.field(c.field)
        if c.op not in OPS:
            raise InvalidValue(f"unknown operator {c.op!r}", fields=[c.field])
        if c.value is None:
            return self.compare_null(c, f)
        if f.many is not None:
            exists = f"EXISTS ({f.many} AND {self.text(c, f, 'eq' if c.op == 'ne' else c.op)})"
            return f"NOT {exists}" if c.op == "ne" else exists
        if f.kind is Kind.BOOL:
            return self.boolean(c, f)
        cond = self.text(c, f, c.op) if f.kind is Kind.TEXT else self.ordered(c, f)
        if not f.nullable:
            return cond
        if c.op == "ne":
            return f"({f.expr} IS NULL OR {cond})"
        return f"({f.expr} IS NOT NULL AND {cond})"

    def compare_null(self, c: Compare, f: Field) -> str:
        if c.op == "eq":
            return f"NOT ({self.present(f)})"
        if c.op == "ne":
            return self.present(f)
        raise InvalidValue(f"{c.field} {c.op} needs a value, not null", fields=[c.field])

    def text(self, c: Compare, f: Field, op: str) -> str:
        if not isinstance(c.value, str):
            raise InvalidValue(f"{c.field} compares with text, not {c.value!r}", [c.field])
        lhs, value, wrap = f.expr, c.value, "{}"
        if not c.case_exact and op not in _LIKE and f.key is not None:
            lhs, value = f.key, name_key(c.value)
        elif not c.case_exact and f.folded is not None:
            lhs, value = f.folded, search_fold(c.value)
        elif not c.case_exact:
            lhs, wrap = f"lower({f.expr})", "lower({})"
        if op in _LIKE:
            rhs = wrap.format(self.bind(like_pattern(op, value)))
            return f"{lhs} LIKE {rhs} ESCAPE '\\'"
        return f"{lhs} {_SQL_OPS[op]} {wrap.format(self.bind(value))}"

    def ordered(self, c: Compare, f: Field) -> str:
        if c.op in _LIKE:
            raise InvalidValue(f"{c.op} does not apply to the {f.kind} field {c.field}", [c.field])
        if f.kind is Kind.TIME:
            value: Any = parse_instant(c.value, c.field)
        elif isinstance(c.value, bool) or not isinstance(c.value, int | float):
            raise InvalidValue(f"{c.field} compares with a number, not {c.value!r}", [c.field])
        else:
            value = c.value
        return f"{f.expr} {_SQL_OPS[c.op]} {self.bind(value)}"

    def boolean(self, c: Compare, f: Field) -> str:
        if c.op not in ("eq", "ne") or not isinstance(c.value, bool):
            raise InvalidValue(f"{c.field} supports only eq/ne with true or false", [c.field])
        return f.expr if c.value == (c.op == "eq") else f"NOT ({f.expr})"


def compile_predicate(pred: Predicate, fields: Fields) -> tuple[str, dict[str, Any]]:
    """The SQL condition and its parameters (named ``q0``, ``q1``...); raises InvalidValue."""
    compiler = _Compiler(fields)
    return compiler.compile(pred), compiler.params


def order_by(fields: Fields, sort: str | None, descending: bool, table: str) -> str:
    """ORDER BY text: the sort key (absent values last), then id; raises InvalidValue."""
    direction = "DESC" if descending else "ASC"
    tie = f"{table}.id {direction}"
    if sort is None or sort == "id":
        return tie
    f = fields.get(sort)
    if f is None or f.sort is None:
        raise InvalidValue(f"cannot sort by {sort!r}", fields=["sort"])
    if not f.nullable:
        return f"{f.sort} {direction}, {tie}"
    return f"({f.sort} IS NULL), {f.sort} {direction}, {tie}"
