"""The SCIM filter's lexical layer: the character classes, attribute-path splitting, number
literals, and the scanner the parser (app.scim.filter_parser) reads with.

Positions are 0-based character offsets; every FilterError names the one where it went wrong.
"""

from __future__ import annotations

import math
import re

from app.scim.filter_ast import AttrPath, FilterError

OPERATORS = frozenset({"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"})
NAME_CHARS = re.compile(r"[A-Za-z0-9._:$\-]*")
BARE = re.compile(r"[^\s()\[\]\"]*")
WORD = re.compile(r"[A-Za-z]*")
ATTR_NAME = re.compile(r"\$?[A-Za-z][A-Za-z0-9_$\-]*")
NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
KEYWORDS = {"true": True, "false": False, "null": None}


def split_attr_path(text: str, pos: int) -> AttrPath:
    """``[urn:]attr[.sub]`` split at the last colon and the dot; raises FilterError."""
    uri: str | None = None
    rest = text
    if text.lower().startswith("urn:"):
        uri, _, rest = text.rpartition(":")
    parts = rest.split(".")
    if len(parts) > 2 or not all(ATTR_NAME.fullmatch(p) for p in parts):
        raise FilterError(f'invalid attribute path "{text}" at position {pos}')
    return AttrPath(uri, parts[0], parts[1] if len(parts) == 2 else None, pos, text)


def number(raw: str, pos: int) -> int | float:
    """The value of a number literal (NUMBER); raises FilterError when out of range."""
    if not {".", "e", "E"} & set(raw):
        # SQLite binds integers as signed 64-bit (a larger one fails in the driver)
        if abs(whole := int(raw)) > 2**63 - 1:
            raise FilterError(f"number out of range at position {pos}")
        return whole
    value = float(raw)
    if not math.isfinite(value):
        raise FilterError(f"number out of range at position {pos}")
    return value


class Scanner:
    """A position in a filter's text, moved by whitespace, patterns and keywords."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip(self) -> str:
        """Skip whitespace; the next character, or '' at the end."""
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1
        return self.text[self.pos : self.pos + 1]

    def match(self, pattern: re.Pattern[str]) -> str:
        """Consume what ``pattern`` matches here (possibly nothing) and return it."""
        m = pattern.match(self.text, self.pos)
        assert m is not None  # every pattern used here matches the empty string
        self.pos = m.end()
        return m.group()

    def keyword(self, word: str) -> bool:
        """Consume ``word`` (any letter case) if it stands here as a whole word."""
        self.skip()
        end = self.pos + len(word)
        if self.text[self.pos : end].lower() != word:
            return False
        follower = NAME_CHARS.match(self.text, end)
        if follower is not None and follower.group():
            return False
        self.pos = end
        return True

    def found(self) -> str:
        """What stands here, quoted for an error message (the position does not move)."""
        if self.pos >= len(self.text):
            return "the end of the filter"
        if self.text[self.pos] == '"':
            end = self.text.find('"', self.pos + 1)
            return self.text[self.pos : end + 1] if end > 0 else self.text[self.pos :]
        start = self.pos
        chunk = self.match(BARE) or self.text[self.pos]
        self.pos = start
        return f'"{chunk}"'
