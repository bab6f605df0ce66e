"""Strings and nesting from clients, checked where they enter the SCIM surface.

Every string a client sends arrives in one of three ways: a JSON request body (`check_body`,
called by `app.scim.body.parse_json`), a query parameter (`check_params`, called when
`app.scim.pipeline.Call` parses the query string), or a string literal of a filter, whose
``\\u`` escapes can spell what the text around them cannot (`bad_character`, called by both
filter parsers as they decode a literal). Checked there, no handler, mapping or domain rule
sees a string that PostgreSQL cannot store (U+0000), that JSON encoding refuses (a lone
surrogate: orjson raises on it) or that has no business in a directory (other C0 control
characters; tab, line feed and carriage return stay allowed, as in a formatted address).

A body nesting deeper than `MAX_JSON_DEPTH` is refused before any code walks it recursively
(copying, ``bulkId`` resolution, mapping): orjson accepts 1024 levels, far beyond Python's
recursion budget for those walks, and no SCIM message needs more than about ten.
The answers are RFC 7644 §3.12 errors: 400 ``invalidValue`` for a character, ``invalidFilter``
for one in a filter, ``invalidSyntax`` for nesting.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_plus

from app.scim.errors import ScimError, invalid_syntax, invalid_value

MAX_JSON_DEPTH = 32
_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")

# A place in a body: (the place of its container, key or index), None for the whole body.
_Where = tuple["_Where", str | int] | None


def bad_character(text: str) -> str | None:
    """What is wrong with ``text`` ("the control character U+0001", ...), None if nothing."""
    m = _BAD.search(text)
    if m is None:
        return None
    code = ord(m.group())
    if code == 0:
        return "the NUL character (U+0000)"
    if code >= 0xD800:
        return f"a lone surrogate (U+{code:04X})"
    return f"the control character U+{code:04X}"


def check_params(params: Mapping[str, str]) -> None:
    """Raises 400 when a query parameter's value holds a character `bad_character` names."""
    for name, value in params.items():
        found = bad_character(value)
        if found is not None:
            kind = "invalidFilter" if name.lower() == "filter" else "invalidValue"
            raise ScimError(400, f"the {_name(name)} parameter contains {found}", kind)


def check_body(doc: Any) -> None:
    """Raises 400 when a decoded body nests deeper than `MAX_JSON_DEPTH` or holds, in a value
    or a name, a character `bad_character` names. Iterative, so any depth is safe to check."""
    stack: list[tuple[Any, int, _Where]] = [(doc, 0, None)]
    while stack:
        value, depth, where = stack.pop()
        if isinstance(value, str):
            found = bad_character(value)
            if found is not None:
                raise invalid_value(f"{_describe(where)} contains {found}")
        elif isinstance(value, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise invalid_syntax(f"the request body nests deeper than {MAX_JSON_DEPTH} levels")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and (found := bad_character(key)) is not None:
                    inside = "the request body" if where is None else _describe(where)
                    raise invalid_value(f"a name in {inside} contains {found}")
                stack.append((item, depth + 1, (where, key)))


def _describe(where: _Where) -> str:
    """``Operations[0].data.userName`` for a place in a body."""
    parts: list[str] = []
    while where is not None:
        where, key = where
        parts.append(f"[{key}]" if isinstance(key, int) else f".{_name(key)}")
    text = "".join(reversed(parts)).removeprefix(".")
    return text or "the request body"


def _name(name: str) -> str:
    """A client's name, short and printable enough to quote in a detail."""
    shown = name if len(name) <= 64 else name[:64] + "…"
    return shown if bad_character(shown) is None else repr(shown)


def query_params(raw: bytes) -> dict[str, str]:
    """A query string's parameters, the last value of a repeated name winning: what Starlette's
    QueryParams gives (`urllib.parse.parse_qsl`, blank values kept), at a fraction of its cost
    on the short query strings SCIM clients send."""
    params: dict[str, str] = {}
    for part in raw.decode("latin-1").split("&"):
        if part:
            name, _, value = part.partition("=")
            params[_unquote(name)] = _unquote(value)
    return params


def _unquote(text: str) -> str:
    return unquote_plus(text) if "%" in text or "+" in text else text
