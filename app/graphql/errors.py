"""The one mapping from domain errors (app.errors) to GraphQL ``userErrors``."""

from __future__ import annotations

from enum import Enum

import strawberry

from app.errors import RosterError


@strawberry.enum(name="UserErrorCode", description="Why a mutation was refused.")
class UserErrorCode(Enum):
    """Stable codes a console can switch on (the domain's error codes)."""

    MANAGED_BY_IDP = "MANAGED_BY_IDP"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    INVALID_VALUE = "INVALID_VALUE"
    FORBIDDEN = "FORBIDDEN"
    LAST_OWNER = "LAST_OWNER"
    IDP_LOCKED = "IDP_LOCKED"
    TOKEN_LIMIT_REACHED = "TOKEN_LIMIT_REACHED"  # noqa: S105 - an error code, not a secret
    VERSION_CONFLICT = "VERSION_CONFLICT"
    PROVISIONING_DISABLED = "PROVISIONING_DISABLED"
    MUTABILITY = "MUTABILITY"
    PROTECTED_ADMIN = "PROTECTED_ADMIN"


@strawberry.type(
    name="UserError",
    description=(
        "An expected refusal of a mutation; nothing was changed. One error may concern several "
        "input fields: `fields` lists every one, `field` repeats the first for simple clients."
    ),
)
class UserError:
    """An expected refusal of a mutation."""

    code: UserErrorCode = strawberry.field(description="Machine-readable reason.")
    field: str | None = strawberry.field(
        description="The first input field at fault (null when the whole input is at fault)."
    )
    fields: list[str] = strawberry.field(
        description="Every input field at fault, e.g. each IdP-owned field for MANAGED_BY_IDP."
    )
    message: str = strawberry.field(description="Human-readable explanation.")


_CODES = {c.value: c for c in UserErrorCode}
# Domain field names that differ from the GraphQL input field carrying them.
_FIELD_NAMES = {"version": "expectedVersion"}


def is_user_error(exc: RosterError) -> bool:
    """The error is a refusal the caller can act on (not an outage or a credential problem)."""
    return exc.code in _CODES


def to_user_errors(exc: RosterError) -> list[UserError]:
    """The userErrors of a refused mutation."""
    fields = [_FIELD_NAMES.get(f, f) for f in exc.fields]
    return [
        UserError(
            code=_CODES[exc.code],
            field=fields[0] if fields else None,
            fields=fields,
            message=exc.message,
        )
    ]
