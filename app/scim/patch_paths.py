"""PATCH vocabulary: operations, attribute paths and value filters (RFC 7644 §3.5.2, §3.10).

Value filters inside a path (``emails[type eq "work"]``) select elements of one small
multi-valued attribute held in memory, so they are evaluated here; filters on whole
collections are compiled to SQL by `app.scim.filters`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.scim import filter_ast, filter_parser
from app.scim.errors import ScimError, invalid_path
from app.scim.filter_ast import FilterError, Node

USER_CORE = "urn:ietf:params:scim:schemas:core:2.0:user"
GROUP_CORE = "urn:ietf:params:scim:schemas:core:2.0:group"
_ATTR = re.compile(r"^([A-Za-z$][\w$-]*)(?:\[(.*)\])?(?:\.([A-Za-z$][\w$-]*))?$", re.DOTALL)
_SHOWN = 60  # characters of a long filter quoted in an error


@dataclass(frozen=True, slots=True)
class Operation:
    """One normalised PATCH operation: op is lower case; path None means "no path"."""

    op: str
    path: str | None
    value: Any = None
    has_value: bool = False


@dataclass(frozen=True, slots=True)
class Path:
    """``[urn:]attr[filter][.sub]``; ``urn`` is None for the core schema."""

    urn: str | None
    attr: str
    filter: Node | None
    sub: str | None


def parse_path(text: str, urns: Sequence[str]) -> Path:
    """Parse an attribute path; extension URNs are matched case-insensitively."""
    urn, rest = _split_urn(text.strip(), urns)
    m = _ATTR.match(rest)
    if m is None:
        raise invalid_path(f"invalid attribute path {text!r}")
    node = parse_filter(m[2]) if m[2] is not None else None
    return Path(urn, m[1], node, m[3])


def _split_urn(text: str, urns: Sequence[str]) -> tuple[str | None, str]:
    if not text.lower().startswith("urn:"):
        return None, text
    lowered = text.lower()
    for core in (USER_CORE, GROUP_CORE):
        if lowered.startswith(core + ":"):
            return None, text[len(core) + 1 :]
    for urn in sorted(urns, key=len, reverse=True):
        if lowered.startswith(urn.lower() + ":"):
            return urn, text[len(urn) + 1 :]
        if lowered == urn.lower():
            raise invalid_path(f"path {text!r} names a schema, not an attribute")
    raise invalid_path(f"path {text!r} names an unknown schema")


def _bad_filter(text: str, why: str) -> ScimError:
    shown = text if len(text) <= _SHOWN else text[:_SHOWN] + "…"
    return ScimError(400, f"invalid value filter [{shown}]: {why}", "invalidFilter")


def parse_filter(text: str) -> Node:
    """Parse a value filter (the part between brackets) with the SCIM filter grammar
    (`app.scim.filter_parser`), positions counted from the first character inside the brackets."""
    try:
        node = filter_parser.parse_filter(text)
    except FilterError as exc:
        raise _bad_filter(text, exc.detail) from None
    if selection := _selection_in(node):
        raise _bad_filter(
            text, f"a value filter cannot hold another one ({selection.path.text}[…])"
        )
    return node


def _selection_in(node: Node) -> filter_ast.Selection | None:
    if isinstance(node, filter_ast.Selection):
        return node
    if isinstance(node, filter_ast.Logical):
        return next((s for t in node.terms if (s := _selection_in(t))), None)
    if isinstance(node, filter_ast.Negation):
        return _selection_in(node.term)
    return None


def _get(element: Mapping[str, Any], name: str) -> Any:
    lowered = name.lower()
    return next((v for k, v in element.items() if k.lower() == lowered), None)


def _norm(value: Any) -> Any:
    # caseExact is false for every sub-attribute a value filter selects on here (type,
    # value of emails, display), and Entra sends booleans as "True"/"False".
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, bool):
        return str(value).lower()
    return value


def _compare(op: str, have: Any, want: Any) -> bool:
    if op == "pr":
        return have not in (None, "", [], {})
    a, b = _norm(have), _norm(want)
    if op in ("eq", "ne"):
        return bool(a == b) == (op == "eq")
    if not isinstance(a, str) or not isinstance(b, str):
        return False
    checks = {
        "co": b in a,
        "sw": a.startswith(b),
        "ew": a.endswith(b),
        "gt": a > b,
        "ge": a >= b,
        "lt": a < b,
        "le": a <= b,
    }
    return checks[op]


def matches(node: Node, element: Mapping[str, Any]) -> bool:
    """The filter selects this element of a multi-valued attribute."""
    if isinstance(node, filter_ast.Comparison):
        return _compare(node.op, _get(element, node.path.text), node.value.value)
    if isinstance(node, filter_ast.Presence):
        return _compare("pr", _get(element, node.path.text), None)
    if isinstance(node, filter_ast.Negation):
        return not matches(node.term, element)
    assert isinstance(node, filter_ast.Logical)  # parse_filter refuses a filter_ast.Selection
    if node.op == "and":
        return all(matches(t, element) for t in node.terms)
    return any(matches(t, element) for t in node.terms)


def eq_pairs(node: Node) -> dict[str, Any] | None:
    """The ``attr eq value`` pairs of a conjunction (to create a missing element), else None."""
    if isinstance(node, filter_ast.Comparison):
        return {node.path.text: node.value.value} if node.op == "eq" else None
    if not isinstance(node, filter_ast.Logical) or node.op != "and":
        return None
    pairs: dict[str, Any] = {}
    for term in node.terms:
        if (found := eq_pairs(term)) is None:
            return None
        pairs |= found
    return pairs


def eq_values(node: Node, attr: str) -> list[Any] | None:
    """The values of ``attr eq v`` terms joined by ``or`` (a member selection), else None."""
    if isinstance(node, filter_ast.Comparison):
        wanted = node.op == "eq" and node.path.text.lower() == attr
        return [node.value.value] if wanted else None
    if not isinstance(node, filter_ast.Logical) or node.op != "or":
        return None
    values: list[Any] = []
    for term in node.terms:
        if (found := eq_values(term, attr)) is None:
            return None
        values += found
    return values
