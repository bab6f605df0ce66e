"""The syntax tree of SCIM filters (RFC 7644 §3.4.2.2), with the positions errors cite."""

from __future__ import annotations

from dataclasses import dataclass

Value = str | int | float | bool | None


class FilterError(ValueError):
    """A filter (or sortBy) that cannot be used; ``detail`` says what is wrong and where.

    The SCIM layer answers it with 400 ``invalidFilter`` (RFC 7644 §3.12).
    """

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True, slots=True)
class AttrPath:
    """``[urn:]attr[.sub]`` as written, and where it starts."""

    uri: str | None
    attr: str
    sub: str | None
    pos: int
    text: str


@dataclass(frozen=True, slots=True)
class Literal:
    """A comparison value, its text (numbers keep their spelling) and where it starts."""

    value: Value
    raw: str
    pos: int


@dataclass(frozen=True, slots=True)
class Comparison:
    """``path op value``; ``pos`` is where the operator starts."""

    path: AttrPath
    op: str
    value: Literal
    pos: int


@dataclass(frozen=True, slots=True)
class Presence:
    """``path pr``."""

    path: AttrPath


@dataclass(frozen=True, slots=True)
class Logical:
    """``and`` / ``or`` of two or more terms."""

    op: str
    terms: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Negation:
    """``not (term)``."""

    term: Node


@dataclass(frozen=True, slots=True)
class Selection:
    """``path[filter]``: elements of a multi-valued (or complex) attribute."""

    path: AttrPath
    filter: Node


Node = Comparison | Presence | Logical | Negation | Selection
