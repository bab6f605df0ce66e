"""Shared GraphQL types: the Node interface, page info, enums and ordering."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry

from app.domain.directory import Page, PageRequest
from app.domain.types import (
    AttributeStatus,
    AuthProvider,
    AuthType,
    Datatype,
    SourcePriority,
    UserStatus,
)
from app.graphql.context import Info
from app.graphql.types.enums import describe

_IDPS = {
    "OKTA": "Okta.",
    "ENTRA_ID": "Microsoft Entra ID.",
    "ONELOGIN": "OneLogin.",
    "JUMPCLOUD": "JumpCloud.",
    "GOOGLE": "Google Workspace.",
    "PING": "Ping Identity.",
    "SAML": "A generic SAML 2.0 IdP.",
    "OIDC": "A generic OpenID Connect IdP.",
    "LDAP": "An LDAP directory.",
    "CUSTOM": "Another IdP.",
}

describe(
    AuthProvider,
    "AuthProvider",
    "Owner of a record: LOCAL (Roster) or an IdP.",
    {"LOCAL": "Roster itself: admins own the record.", **_IDPS},
)
describe(
    AuthType,
    "AuthType",
    "Authentication type: INTERNAL or one IdP.",
    {"INTERNAL": "No IdP: admins sign in with Roster tokens.", **_IDPS},
)
describe(
    UserStatus,
    "UserStatus",
    "Lifecycle state of a user.",
    {"ACTIVE": "May sign in and hold roles.", "INACTIVE": "Deactivated; keeps its data."},
)
describe(
    SourcePriority,
    "SourcePriority",
    "Which system masters a profile attribute of IdP-owned users.",
    {
        "INHERIT_FROM_IDP": "The IdP masters the value: admins cannot change it (rule 3).",
        "INHERIT_FROM_LOCAL": "Roster masters the value: admins may edit it.",
    },
)
describe(
    AttributeStatus,
    "AttributeStatus",
    "Whether a profile attribute is shown.",
    {"VISIBLE": "Shown to every admin.", "HIDDEN": "Values withheld from VIEWER admins."},
)
describe(
    Datatype,
    "AttributeDatatype",
    "Datatype of a profile attribute.",
    {
        "STRING": "Text.",
        "NUMBER": "A number.",
        "STRING_ARRAY": "A list of texts.",
        "IDENTIFIER": "An identifier.",
    },
)


@strawberry.enum(name="OrderDirection", description="Sort direction.")
class OrderDirection(Enum):
    """Ascending or descending."""

    ASC = "ASC"
    DESC = "DESC"


@strawberry.interface(name="Node", description="An object with a global id (Relay).")
class Node:
    """An object with a global id."""

    id: strawberry.ID = strawberry.field(
        description='Global id: base64 of "Type:rawId"; stable, opaque.'
    )


class ExactType:
    """A mixin of the object types listed by the thousand (User, Group): the executor checks
    each object with ``isinstance``, without Strawberry's generic ``is_type_of``."""

    @classmethod
    def is_type_of(cls, obj: object, _info: object) -> bool:
        """``obj`` is an instance of this type."""
        return isinstance(obj, cls)


@strawberry.type(name="PageInfo", description="Where a page sits in its list (Relay).")
class PageInfo:
    """Relay page info."""

    has_next_page: bool = strawberry.field(description="More items follow the last edge.")
    has_previous_page: bool = strawberry.field(
        description="Items precede the first edge (with first/after: true whenever after is set)."
    )
    start_cursor: str | None = strawberry.field(description="Cursor of the first edge.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last edge.")

    @staticmethod
    def of(page: Page[Any]) -> PageInfo:
        """Page info of a domain page."""
        return PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None,
        )


def page_request(
    info: Info,
    first: int | None,
    after: str | None,
    last: int | None = None,
    before: str | None = None,
) -> PageRequest:
    """A domain page request capped by ``graphql_max_page_size``."""
    cap = info.context.settings.graphql_max_page_size
    return PageRequest(first=first, after=after, last=last, before=before, max_size=cap)
