"""The predicate language of directory searches (see `app.domain.directory`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Op = Literal["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]
OPS: frozenset[str] = frozenset({"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"})
Scalar = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class Compare:
    """``field op value``; text compares lower-cased unless ``case_exact``."""

    field: str
    op: Op
    value: Scalar
    case_exact: bool = False


@dataclass(frozen=True, slots=True)
class Present:
    """The field has a non-empty value."""

    field: str


@dataclass(frozen=True, slots=True)
class And:
    """Every item holds (true when empty)."""

    items: tuple[Predicate, ...]


@dataclass(frozen=True, slots=True)
class Or:
    """At least one item holds (false when empty)."""

    items: tuple[Predicate, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """The item does not hold."""

    item: Predicate


@dataclass(frozen=True, slots=True)
class Const:
    """Always true or always false."""

    value: bool


Predicate = Compare | Present | And | Or | Not | Const
TRUE = Const(True)
FALSE = Const(False)


def and_(items: Iterable[Predicate]) -> Predicate:
    """The conjunction, with constants folded, nested conjunctions flattened, repeats dropped."""
    return _joined(items, And, FALSE, TRUE)


def or_(items: Iterable[Predicate]) -> Predicate:
    """The disjunction, with constants folded, nested disjunctions flattened, repeats dropped."""
    return _joined(items, Or, TRUE, FALSE)


def _joined(
    items: Iterable[Predicate], kind: type[And] | type[Or], absorbing: Const, neutral: Const
) -> Predicate:
    """``items`` joined by ``kind``: ``absorbing`` decides the whole at once, ``neutral`` drops
    out (and is the join of nothing), nested joins of ``kind`` flatten, repeats drop."""
    out: dict[Predicate, None] = {}
    for item in items:
        if item == absorbing:
            return absorbing
        for part in item.items if isinstance(item, kind) else (item,):
            if part != neutral:
                out[part] = None
    if not out:
        return neutral
    return next(iter(out)) if len(out) == 1 else kind(tuple(out))


def not_(item: Predicate) -> Predicate:
    """The negation, with constants and double negations folded."""
    if isinstance(item, Const):
        return Const(not item.value)
    if isinstance(item, Not):
        return item.item
    return Not(item)


def member_of(group_id: str) -> Predicate:
    """Users: belongs to this group."""
    return Compare("groupId", "eq", group_id, case_exact=True)


def has_member(user_id: str) -> Predicate:
    """Groups: this user is a member."""
    return Compare("memberId", "eq", user_id, case_exact=True)
