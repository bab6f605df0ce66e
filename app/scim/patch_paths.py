"""PATCH vocabulary: operations, attribute paths and value filters (RFC 7644 §3.5.2, §3.10).

Value filters inside a path (``emails[type eq "work"]``) select elements of one small
multi-valued attribute held in memory, so they are evaluated here; filters on whole
collections are compiled to SQL by `app.scim.filters`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.scim.errors import ScimError, invalid_path
from app.scim.filter_parser import MAX_DEPTH
from app.scim.text import bad_character

USER_CORE = "urn:ietf:params:scim:schemas:core:2.0:user"
GROUP_CORE = "urn:ietf:params:scim:schemas:core:2.0:group"
_ATTR = re.compile(r"^([A-Za-z$][\w$-]*)(?:\[(.*)\])?(?:\.([A-Za-z$][\w$-]*))?$", re.DOTALL)
_TOKEN = re.compile(r'\s*(?:("(?:[^"\\]|\\.)*")|(\()|(\))|([^\s()"]+))')
_COMPARE = ("eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le")
_SHOWN = 60  # characters of a long filter quoted in an error


@dataclass(frozen=True, slots=True)
class Operation:
    """One normalised PATCH operation: op is lower case; path None means "no path"."""

    op: str
    path: str | None
    value: Any = None
    has_value: bool = False


@dataclass(frozen=True, slots=True)
class Compare:
    """``attr op value`` (``pr`` has no value)."""

    attr: str
    op: str
    value: Any


@dataclass(frozen=True, slots=True)
class Logical:
    """``and`` / ``or`` of two filters, or ``not`` of the left one."""

    op: str
    left: Node
    right: Node | None = None


Node = Compare | Logical


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


def _tokens(text: str) -> list[tuple[str, int]]:
    """Each token of a value filter with the position it starts at."""
    out: list[tuple[str, int]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            if text[pos:].strip():
                raise _bad_filter(text, f"unexpected {text[pos:]!r}")
            break
        index = next(i for i, g in enumerate(m.groups(), 1) if g is not None)
        out.append((m.group(index), m.start(index)))
        pos = m.end()
    return out


def _bad_filter(text: str, why: str) -> ScimError:
    shown = text if len(text) <= _SHOWN else text[:_SHOWN] + "…"
    return ScimError(400, f"invalid value filter [{shown}]: {why}", "invalidFilter")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.pos = 0
        self.depth = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise _bad_filter(self.text, "unexpected end")
        self.pos += 1
        return token

    def expr(self, level: str = "or") -> Node:
        terms = [self.expr("and") if level == "or" else self.factor()]
        while (self.peek() or "").lower() == level:
            self.take()
            terms.append(self.expr("and") if level == "or" else self.factor())
        return _balanced(level, terms)

    def enter(self) -> None:
        # Parentheses and `not` recurse: bounded like the filter grammar (RFC 7644 §3.4.2.2).
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _bad_filter(self.text, f"it nests deeper than {MAX_DEPTH} levels")

    def factor(self) -> Node:
        head = self.take()
        if head == "(" or head.lower() == "not":
            self.enter()
            if head == "(":
                node = self.expr()
                if self.take() != ")":
                    raise _bad_filter(self.text, "missing )")
            else:
                node = Logical("not", self.factor())
            self.depth -= 1
            return node
        op = self.take().lower()
        if op == "pr":
            return Compare(head, op, None)
        if op not in _COMPARE:
            raise _bad_filter(self.text, f"unknown operator {op!r}")
        value_pos = self.tokens[self.pos][1] if self.pos < len(self.tokens) else len(self.text)
        return Compare(head, op, _literal(self.text, self.take(), value_pos))


def _balanced(op: str, terms: list[Node]) -> Node:
    """``terms`` joined by ``op`` as a balanced tree: a long ``or`` of member values stays a
    few levels deep for the recursive walks below (and/or are associative; order is kept)."""
    if len(terms) == 1:
        return terms[0]
    half = len(terms) // 2
    return Logical(op, _balanced(op, terms[:half]), _balanced(op, terms[half:]))


def _literal(text: str, token: str, pos: int) -> Any:
    if token.startswith('"'):
        try:  # the standard decoder, as in app.scim.filter_parser: it reads \ud800 for us to name
            value = json.loads(token)
        except json.JSONDecodeError as exc:
            reason = exc.msg.lower().removesuffix(" at")
            raise _bad_filter(text, f"{reason} at position {pos + exc.pos}") from None
        if (found := bad_character(value)) is not None:
            raise _bad_filter(text, f"the string at position {pos} contains {found}")
        return value
    lowered = token.lower()
    if lowered in ("true", "false", "null"):
        return {"true": True, "false": False, "null": None}[lowered]
    try:
        return float(token) if "." in token else int(token)
    except ValueError:
        raise _bad_filter(text, f"invalid value {token!r}") from None


def parse_filter(text: str) -> Node:
    """Parse a value filter (the part between brackets)."""
    parser = _Parser(text)
    node = parser.expr()
    if parser.peek() is not None:
        raise _bad_filter(text, f"unexpected {parser.peek()!r}")
    return node


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
    if isinstance(node, Compare):
        return bool(_compare(node.op, _get(element, node.attr), node.value))
    if node.op == "not":
        return not matches(node.left, element)
    assert node.right is not None
    if node.op == "and":
        return matches(node.left, element) and matches(node.right, element)
    return matches(node.left, element) or matches(node.right, element)


def eq_pairs(node: Node) -> dict[str, Any] | None:
    """The ``attr eq value`` pairs of a conjunction (to create a missing element), else None."""
    if isinstance(node, Compare):
        return {node.attr: node.value} if node.op == "eq" else None
    if node.op != "and" or node.right is None:
        return None
    left, right = eq_pairs(node.left), eq_pairs(node.right)
    return None if left is None or right is None else {**left, **right}


def eq_values(node: Node, attr: str) -> list[Any] | None:
    """The values of ``attr eq v`` terms joined by ``or`` (a member selection), else None."""
    if isinstance(node, Compare):
        return [node.value] if node.op == "eq" and node.attr.lower() == attr else None
    if node.op != "or" or node.right is None:
        return None
    left, right = eq_values(node.left, attr), eq_values(node.right, attr)
    return None if left is None or right is None else left + right
