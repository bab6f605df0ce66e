"""The SCIM filter grammar (RFC 7644 §3.4.2.2) parsed into a syntax tree that keeps positions.

A recursive-descent parser rather than scim2-models' LALR grammar, for two reasons: every
error names what is wrong and where (0-based character positions), and the parser tolerates
the dialects real identity providers send:

- an unquoted value (``externalId eq jyoung``, seen in Microsoft Entra documentation and
  traffic) is read as a string, up to the next space, parenthesis or bracket;
- ``emails[type eq "work"].value eq "x"`` (Entra) reads as
  ``emails[type eq "work" and value eq "x"]``;
- operators, ``and``/``or``/``not`` and ``true``/``false``/``null`` in any letter case.

The tests check it against scim2-models on the filters both accept.
"""

from __future__ import annotations

import json
import re

from app.scim.filter_ast import (
    AttrPath,
    Comparison,
    FilterError,
    Literal,
    Logical,
    Negation,
    Node,
    Presence,
    Selection,
)
from app.scim.filter_tokens import (
    ATTR_NAME,
    BARE,
    KEYWORDS,
    NAME_CHARS,
    NUMBER,
    OPERATORS,
    WORD,
    Scanner,
    number,
    split_attr_path,
)
from app.scim.text import bad_character

MAX_DEPTH = 50
__all__ = ["MAX_DEPTH", "FilterError", "Node", "parse_attr_path", "parse_filter"]


class _Parser(Scanner):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.depth = 0
        self.in_selection = False

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FilterError(
                f"the filter nests deeper than {MAX_DEPTH} levels at position {self.pos}"
            )

    def expect(self, char: str, opened: int) -> None:
        if self.skip() != char:
            other = "(" if char == ")" else "["
            raise FilterError(
                f'expected "{char}" at position {self.pos} to close "{other}" at position'
                f" {opened}, found {self.found()}"
            )
        self.pos += 1
        self.depth -= 1

    def parse(self) -> Node:
        if not self.skip():
            raise FilterError("the filter is empty")
        node = self.or_expr()
        if self.skip():
            raise FilterError(
                f'expected "and" or "or" at position {self.pos}, found {self.found()}'
            )
        return node

    def or_expr(self) -> Node:
        terms = [self.and_expr()]
        while self.keyword("or"):
            terms.append(self.and_expr())
        return terms[0] if len(terms) == 1 else Logical("or", tuple(terms))

    def and_expr(self) -> Node:
        terms = [self.unary()]
        while self.keyword("and"):
            terms.append(self.unary())
        return terms[0] if len(terms) == 1 else Logical("and", tuple(terms))

    def unary(self) -> Node:
        if self.skip() == "(":
            return self.group()
        start = self.pos
        if self.keyword("not"):
            if self.skip() != "(":
                raise FilterError(f'expected "(" after "not" at position {self.pos}')
            return Negation(self.group())
        self.pos = start
        return self.attr_expr()

    def group(self) -> Node:
        opened = self.pos
        self.pos += 1
        self.enter()
        node = self.or_expr()
        self.expect(")", opened)
        return node

    def attr_path(self) -> AttrPath:
        self.skip()
        start = self.pos
        text = self.match(NAME_CHARS)
        if not text:
            raise FilterError(
                f"expected an attribute name at position {start}, found {self.found()}"
            )
        return split_attr_path(text, start)

    def attr_expr(self) -> Node:
        path = self.attr_path()
        if self.skip() == "[":
            return self.selection(path)
        return self.operation(path)

    def selection(self, path: AttrPath) -> Node:
        opened = self.pos
        if self.in_selection:
            raise FilterError(f"a value filter cannot hold another one (position {opened})")
        if path.sub is not None:
            raise FilterError(
                f'a value filter cannot follow the sub-attribute "{path.text}" at position {opened}'
            )
        self.pos += 1
        self.enter()
        self.in_selection = True
        inner = self.or_expr()
        self.expect("]", opened)
        self.in_selection = False
        if self.text[self.pos : self.pos + 1] != ".":
            return Selection(path, inner)
        self.pos += 1  # Entra's emails[type eq "work"].value eq "x"
        start = self.pos
        sub = self.match(NAME_CHARS)
        if not ATTR_NAME.fullmatch(sub):
            raise FilterError(f"expected a sub-attribute name at position {start}")
        tail = self.operation(AttrPath(None, sub, None, start, sub))
        return Selection(path, Logical("and", (inner, tail)))

    def operation(self, path: AttrPath) -> Node:
        self.skip()
        start = self.pos
        word = self.match(WORD)
        op = word.lower()
        if not word:
            found = self.found()
            raise FilterError(
                f'expected an operator after "{path.text}" at position {start}, found {found}'
            )
        if op == "pr":
            return Presence(path)
        if op not in OPERATORS:
            raise FilterError(f'unknown operator "{word}" at position {start}')
        return Comparison(path, op, self.value(word), start)

    def value(self, op: str) -> Literal:
        char = self.skip()
        start = self.pos
        if char == '"':
            return self.string()
        raw = self.match(BARE)
        if not raw or raw.lower() in ("and", "or", "not"):
            self.pos = start
            raise FilterError(
                f'expected a value after "{op}" at position {start}, found {self.found()}'
            )
        if NUMBER.fullmatch(raw):
            return Literal(number(raw, start), raw, start)
        if raw.lower() in KEYWORDS:
            return Literal(KEYWORDS[raw.lower()], raw, start)
        return Literal(raw, raw, start)  # the unquoted-value dialect

    def string(self) -> Literal:
        start = self.pos
        end = start + 1
        while end < len(self.text) and self.text[end] != '"':
            end += 2 if self.text[end] == "\\" else 1
        if end >= len(self.text):
            raise FilterError(f"unterminated string starting at position {start}")
        raw = self.text[start : end + 1]
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            reason = exc.msg.lower().removesuffix(" at")
            raise FilterError(f"{reason} at position {start + exc.pos}") from exc
        if (found := bad_character(value)) is not None:
            # An escape such as \u0000 or \ud800 spells what the filter's text cannot hold.
            raise FilterError(f"the string at position {start} contains {found}")
        self.pos = end + 1
        return Literal(value, raw, start)


# `attr op "string"`, the filter IdPs send before nearly every write (userName eq "...").
_SIMPLE = re.compile(r'\s*([A-Za-z0-9._:$\-]+)\s+([A-Za-z]+)\s*("(?:[^"\\]|\\.)*")\s*', re.DOTALL)


def _simple(text: str) -> Node | None:
    """The tree of an `attr op "string"` filter without running the parser (a third of a
    filtered read's time), or None for anything else, which the parser then reads. It gives
    exactly the tree the parser would (tests/scim/test_filter_parser.py checks both)."""
    m = _SIMPLE.fullmatch(text)
    if m is None:
        return None
    name, word, raw = m.group(1, 2, 3)
    op = word.lower()
    if op not in OPERATORS or name.lower() == "not":  # `not` must open a group
        return None
    try:
        path = split_attr_path(name, m.start(1))
        value = json.loads(raw)
    except ValueError:  # FilterError too: the parser reports it
        return None
    if not isinstance(value, str) or bad_character(value) is not None:
        return None  # the parser reports it
    return Comparison(path, op, Literal(value, raw, m.start(3)), m.start(2))


def parse_filter(text: str) -> Node:
    """The syntax tree of a filter; raises FilterError naming what is wrong and where."""
    return _simple(text) or _Parser(text).parse()


def parse_filter_slowly(text: str) -> Node:
    """The parser's tree, without the shortcut (for tests comparing the two)."""
    return _Parser(text).parse()


def parse_attr_path(text: str) -> AttrPath:
    """One attribute path (as in sortBy); raises FilterError."""
    parser = _Parser(text)
    path = parser.attr_path()
    if parser.skip():
        raise FilterError(f'unexpected {parser.found()} at position {parser.pos} in "{text}"')
    return path
