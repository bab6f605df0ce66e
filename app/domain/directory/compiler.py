"""Predicates compiled to one SQL condition with bound parameters, the same on both engines.

Every compiled fragment is two-valued (never SQL NULL): a comparison on a nullable value is
guarded with ``IS NOT NULL`` (or ``IS NULL OR`` for ``ne``), so ``NOT`` keeps its meaning.
Values are always bound; only fixed fragments and catalogue names (validated at creation and
checked again here) reach the SQL text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.domain.clock import to_iso
from app.domain.directory.fields import Field, Fields, Kind
from app.domain.directory.predicates import (
    OPS,
    And,
    Compare,
    Const,
    Not,
    Or,
    Predicate,
    Present,
    Scalar,
)
from app.domain.names import name_key, search_fold
from app.errors import InvalidValue

_SQL_OPS = {"eq": "=", "ne": "<>", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
_LIKE = {"co": ("%", "%"), "sw": ("", "%"), "ew": ("%", "")}


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
        if f.within is not None or f.many is not None:
            return self.within(c, f) if f.within is not None else self.any_of(c, f)
        if f.kind is Kind.BOOL:
            return self.boolean(c, f)
        cond = self.text(c, f, c.op) if f.kind is Kind.TEXT else self.ordered(c, f)
        if not f.nullable:
            return cond
        if c.op == "ne":
            return f"({f.expr} IS NULL OR {cond})"
        return f"({f.expr} IS NOT NULL AND {cond})"

    def any_of(self, c: Compare, f: Field) -> str:
        exists = f"EXISTS ({f.many} AND {self.text(c, f, 'eq' if c.op == 'ne' else c.op)})"
        return f"NOT {exists}" if c.op == "ne" else exists

    def within(self, c: Compare, f: Field) -> str:
        assert f.within is not None
        if c.op not in ("eq", "ne") or not isinstance(c.value, str):
            raise InvalidValue(f"{c.field} supports only eq/ne with text", fields=[c.field])
        found = f"{f.expr} IN ({f.within.format(value=self.bind(c.value))})"
        return found if c.op == "eq" else f"NOT ({found})"

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
