"""``where:`` conditions of the users and groups lists: the directory's predicate language
(app.domain.directory), the one SCIM filters compile to, spelled as a GraphQL input."""

from __future__ import annotations

from enum import Enum
from typing import cast

import strawberry
from strawberry.scalars import JSON

from app.domain.directory import Compare, Op, Predicate, Present, and_, not_, or_
from app.errors import InvalidValue

MAX_TERMS = 100


@strawberry.enum(name="ConditionOperator", description="How a condition compares a field.")
class ConditionOperator(Enum):
    """RFC 7644 §3.4.2.2 operators, as SCIM filters have them."""

    EQ = strawberry.enum_value("eq", description="Equal.")
    NE = strawberry.enum_value("ne", description="Not equal (true when the value is absent).")
    CO = strawberry.enum_value("co", description="Contains (text).")
    SW = strawberry.enum_value("sw", description="Starts with (text).")
    EW = strawberry.enum_value("ew", description="Ends with (text).")
    GT = strawberry.enum_value("gt", description="Greater than.")
    GE = strawberry.enum_value("ge", description="Greater than or equal.")
    LT = strawberry.enum_value("lt", description="Less than.")
    LE = strawberry.enum_value("le", description="Less than or equal.")
    PR = strawberry.enum_value("pr", description="Present: has a non-empty value.")


@strawberry.input(
    name="Condition",
    description=(
        "One condition: a comparison (field, op, value), or all/any/not of conditions. Fields:"
        " loginId, externalId, authProvider, status, active, createdAt, updatedAt, version,"
        " groupId, role, profile.<attribute> (users); displayName, externalId, authProvider,"
        " createdAt, updatedAt, version, memberId, role (groups). Text compares ignoring case"
        " unless caseExact."
    ),
)
class ConditionInput:
    """A node of the predicate tree."""

    field: str | None = strawberry.field(default=None, description="The field compared.")
    op: ConditionOperator | None = strawberry.field(default=None, description="The operator.")
    value: JSON | None = strawberry.field(
        default=None, description="Text, number or boolean (not with pr)."
    )
    case_exact: bool = strawberry.field(default=False, description="Compare text exactly.")
    all: list[ConditionInput] | None = strawberry.field(
        default=None, description="Every condition holds."
    )
    any: list[ConditionInput] | None = strawberry.field(
        default=None, description="At least one condition holds."
    )
    not_: ConditionInput | None = strawberry.field(
        name="not", default=None, description="The condition does not hold."
    )

    def to_domain(self) -> Predicate:
        """The predicate; raises InvalidValue (on ``where``) for a malformed condition."""
        return _predicate(self, [0])


def _bad(message: str) -> InvalidValue:
    return InvalidValue(f"where: {message}", fields=["where"])


def _predicate(c: ConditionInput, seen: list[int]) -> Predicate:
    seen[0] += 1
    if seen[0] > MAX_TERMS:
        raise _bad(f"at most {MAX_TERMS} conditions")
    if [c.op, c.all, c.any, c.not_].count(None) != 3:
        raise _bad("give exactly one of op (with field), all, any and not")
    if c.all is not None:
        return and_(_predicate(x, seen) for x in c.all)
    if c.any is not None:
        return or_(_predicate(x, seen) for x in c.any)
    if c.not_ is not None:
        return not_(_predicate(c.not_, seen))
    return _comparison(c)


def _comparison(c: ConditionInput) -> Predicate:
    if not c.field or c.op is None:
        raise _bad("a comparison needs a field")
    if c.op is ConditionOperator.PR:
        return Present(c.field)
    value: object = c.value
    if value is not None and not isinstance(value, str | int | float | bool):
        raise _bad(f"{c.field} compares with text, a number or a boolean")
    return Compare(c.field, cast(Op, c.op.value), value, c.case_exact)
