"""Queries and set-up steps shared by the GraphQL tests (SCIM-side facts via the domain)."""

from __future__ import annotations

import base64
from typing import Any

from app.db import Database
from app.domain.settings.attributes import update_profile_attribute
from app.domain.settings.authentication import configure_authentication
from app.domain.types import AuthType, SourcePriority, UserRecord
from app.domain.users.provisioning import ProvisionedUser, provision_create_user
from tests.support import owner, scim_actor

USER_FIELDS = "id loginId authProvider status version firstName lastName title department"
UPDATE_USER = (
    "mutation($i: UpdateUserInput!) { updateUser(input: $i) { user { "
    + USER_FIELDS
    + " } userErrors { code field fields message } } }"
)
CREATE_USER = (
    "mutation($i: CreateUserInput!) { createUser(input: $i) { user { "
    + USER_FIELDS
    + " } userErrors { code field fields message } } }"
)
GET_USER = "query($id: ID!) { user(id: $id) { " + USER_FIELDS + " } }"
ERRORS = "userErrors { code field fields message }"


def gid(type_name: str, raw: str) -> str:
    """The global id of a record."""
    return base64.b64encode(f"{type_name}:{raw}".encode()).decode()


def user_error(code: str, fields: list[str], message: str) -> dict[str, Any]:
    """A userErrors entry as the API answers it."""
    return {
        "code": code,
        "field": fields[0] if fields else None,
        "fields": fields,
        "message": message,
    }


async def use_idp(db: Database, auth_type: AuthType = AuthType.OKTA) -> None:
    """Configure an IdP (committed)."""
    async with db.transaction() as tx:
        await configure_authentication(tx, actor=owner(), type=auth_type, display_name="IdP")


async def set_priority(db: Database, name: str, priority: SourcePriority) -> None:
    """Change an attribute's source priority (committed)."""
    async with db.transaction() as tx:
        await update_profile_attribute(tx, actor=owner(), name=name, source_priority=priority)


async def scim_create(
    db: Database, login: str, external_id: str | None = None, **profile: Any
) -> UserRecord:
    """A user created over SCIM (committed), as the SCIM layer would."""
    data = ProvisionedUser(login_id=login, external_id=external_id, active=True, profile=profile)
    async with db.transaction() as tx:
        user, _ = await provision_create_user(tx, actor=scim_actor(), data=data)
    return user
