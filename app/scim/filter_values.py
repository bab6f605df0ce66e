"""Comparison values checked against the attribute's type (RFC 7643 §2.3, RFC 7644 §3.4.2.2).

Values are coerced where identity providers are known to send the wrong JSON type: Microsoft
Entra sends booleans as strings (``active eq "True"``), and numbers or unquoted words compared
with a string attribute are read as their text.
"""

from __future__ import annotations

import re
from datetime import datetime

from app.domain.directory import Scalar
from app.scim.filter_ast import Comparison, FilterError
from app.scim.paths import Target

_NUMBER = re.compile(r"\s*-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?\s*")
_ORDERED_ONLY = frozenset({"co", "sw", "ew"})


def _where(node: Comparison) -> str:
    return f'"{node.path.text}" at position {node.value.pos}'


def _boolean(node: Comparison) -> bool:
    value = node.value.value
    if node.op not in ("eq", "ne"):
        raise FilterError(f'"{node.op}" does not apply to the boolean {_where(node)}')
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise FilterError(f"expected true or false for {_where(node)}, found {node.value.raw}")
    return value


def _date_time(node: Comparison) -> str:
    value = node.value.value
    if node.op in _ORDERED_ONLY:
        raise FilterError(f'"{node.op}" does not apply to the dateTime {_where(node)}')
    try:
        datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        value = None
    if not isinstance(value, str):
        raise FilterError(
            f"expected an ISO-8601 dateTime for {_where(node)}, found {node.value.raw}"
        )
    return value


def _number(node: Comparison) -> int | float:
    value = node.value.value
    if node.op in _ORDERED_ONLY:
        raise FilterError(f'"{node.op}" does not apply to the number {_where(node)}')
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        number = float(value)
        return int(number) if number.is_integer() and "." not in value else number
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FilterError(f"expected a number for {_where(node)}, found {node.value.raw}")
    return value


def coerce(target: Target, node: Comparison) -> Scalar:
    """The value to compare ``target`` with; raises FilterError naming the value's position."""
    if node.value.value is None:
        if node.op not in ("eq", "ne"):
            raise FilterError(f'"{node.op}" needs a value other than null for {_where(node)}')
        return None
    if target.kind == "boolean":
        return _boolean(node)
    if target.kind == "dateTime":
        return _date_time(node)
    if target.kind == "number":
        return _number(node)
    value = node.value.value
    return value if isinstance(value, str) else node.value.raw


def _text_matches(actual: str, op: str, value: str) -> bool:
    checks = {
        "eq": actual == value,
        "ne": actual != value,
        "co": value in actual,
        "sw": actual.startswith(value),
        "ew": actual.endswith(value),
        "gt": actual > value,
        "ge": actual >= value,
        "lt": actual < value,
        "le": actual <= value,
    }
    return checks[op]


def const_matches(target: Target, op: str, value: Scalar) -> bool:
    """Whether a constant (or absent) attribute satisfies ``op value``."""
    actual = target.const
    if value is None or actual is None:
        if value is None and actual is None:
            return op == "eq"
        return op == "ne"
    if isinstance(actual, bool) or isinstance(value, bool):
        return (actual == value) == (op == "eq")
    text = str(value)
    if not target.case_exact:
        actual, text = actual.lower(), text.lower()
    return _text_matches(actual, op, text)
