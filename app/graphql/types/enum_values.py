"""Descriptions of the values of the enums declared elsewhere (ordering, error codes, token
states), given in one place; the domain enums of app.domain.types are described where
`common` gives them to Strawberry. `schema.py` imports this before it builds the schema."""

from __future__ import annotations

from app.domain.access.tokens import TokenState
from app.graphql.errors import UserErrorCode
from app.graphql.filters import GroupOrderField, UserOrderField
from app.graphql.types.catalogue import ValueSource
from app.graphql.types.common import OrderDirection
from app.graphql.types.enums import describe_values
from app.graphql.types.users import CannotUpdateReason

describe_values(OrderDirection, {"ASC": "Ascending.", "DESC": "Descending."})
describe_values(
    UserOrderField,
    {
        "CREATED_AT": "Creation time.",
        "UPDATED_AT": "Time of the last change.",
        "LOGIN_ID": "Login name (case-insensitive).",
    },
)
describe_values(
    GroupOrderField,
    {"CREATED_AT": "Creation time.", "DISPLAY_NAME": "Name (case-insensitive)."},
)
describe_values(
    CannotUpdateReason,
    {
        "INSUFFICIENT_ROLE": "The viewer's role may not change it (VIEWER, or OWNER needed).",
        "MANAGED_BY_IDP": "Its IdP owns some or all of it (see lockedFields).",
        "DELETED": "It is soft-deleted: restore it first.",
    },
)
describe_values(
    TokenState,
    {
        "ACTIVE": "Accepted.",
        "EXPIRED": "Past its expiresAt: refused.",
        "REVOKED": "Revoked: refused.",
    },
)
describe_values(
    ValueSource,
    {"IDP": "Mastered by the user's IdP.", "LOCAL": "Mastered in Roster."},
)
describe_values(
    UserErrorCode,
    {
        "MANAGED_BY_IDP": "The change touches what the record's IdP owns.",
        "NOT_FOUND": "The record does not exist (or is deleted).",
        "ALREADY_EXISTS": "A uniqueness rule was violated (loginId, displayName, externalId).",
        "INVALID_VALUE": "A value is malformed, too long, of the wrong type or unknown.",
        "FORBIDDEN": "The viewer may not do this.",
        "LAST_OWNER": "No active OWNER would remain.",
        "IDP_LOCKED": "Authentication cannot switch while the current IdP owns records.",
        "TOKEN_LIMIT_REACHED": "No more active tokens may exist.",
        "VERSION_CONFLICT": "The record is not at the expected version.",
        "PROVISIONING_DISABLED": "SCIM provisioning is off.",
        "MUTABILITY": "It cannot change through this channel.",
        "PROTECTED_ADMIN": "An OWNER (or a group holding OWNER) is protected from this change.",
    },
)
