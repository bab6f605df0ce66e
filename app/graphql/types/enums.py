"""Enums of the audit log, the provisioning log and the downstream events, each value
described in the schema.

The stored values stay strings (``audit_entries.action`` holds ``user.update``); these enums
name them for GraphQL. `describe` gives every value of an enum its description, and refuses
at import an enum with a value left undescribed.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

import strawberry

from app.domain.outbox.types import EVENT_TYPES
from app.domain.types import ActorKind

E = TypeVar("E", bound=type[Enum])


def describe(cls: E, name: str, description: str, values: Mapping[str, str]) -> E:
    """``strawberry.enum(cls)`` with a description on each value (by member name)."""
    strawberry.enum(cls, name=name, description=description)
    return describe_values(cls, values)


def describe_values(cls: E, values: Mapping[str, str]) -> E:
    """Describe each value of an enum already given to Strawberry (by member name)."""
    missing = {m.name for m in cls} ^ set(values)
    if missing:
        raise TypeError(f"{cls.__name__}: values without (or unknown to) a description: {missing}")
    for value in cls.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = values[value.name]
    return cls


class AuditAction(Enum):
    """What an audit entry records (the stored value is the dotted name)."""

    USER_CREATE = "user.create"
    USER_UPDATE = "user.update"
    USER_DEACTIVATE = "user.deactivate"
    USER_REACTIVATE = "user.reactivate"
    USER_DELETE = "user.delete"
    USER_RESTORE = "user.restore"
    USER_UNLOCK = "user.unlock"
    USER_CONVERT_TO_LOCAL = "user.convertToLocal"
    GROUP_CREATE = "group.create"
    GROUP_UPDATE = "group.update"
    GROUP_DELETE = "group.delete"
    GROUP_MEMBERS_ADD = "group.members.add"
    GROUP_MEMBERS_REMOVE = "group.members.remove"
    GROUP_CONVERT_TO_LOCAL = "group.convertToLocal"
    ROLE_GRANT = "role.grant"
    ROLE_REVOKE = "role.revoke"
    SCIM_TOKEN_CREATE = "scimToken.create"  # noqa: S105 - an action name
    SCIM_TOKEN_REVOKE = "scimToken.revoke"  # noqa: S105 - an action name
    API_TOKEN_CREATE = "apiToken.create"  # noqa: S105 - an action name
    API_TOKEN_REVOKE = "apiToken.revoke"  # noqa: S105 - an action name
    PROVISIONING_ENABLE = "provisioning.enable"
    PROVISIONING_DISABLE = "provisioning.disable"
    GUARD_UPDATE = "guard.update"
    GUARD_RELEASE = "guard.release"
    GUARD_DISCARD = "guard.discard"
    AUTHENTICATION_CONFIGURE = "authentication.configure"
    PROFILE_ATTRIBUTE_CREATE = "profileAttribute.create"
    PROFILE_ATTRIBUTE_UPDATE = "profileAttribute.update"
    PROFILE_ATTRIBUTE_DELETE = "profileAttribute.delete"
    WEBHOOK_CREATE = "webhook.create"
    WEBHOOK_UPDATE = "webhook.update"
    WEBHOOK_DELETE = "webhook.delete"
    WEBHOOK_ROTATE_SECRET = "webhook.rotateSecret"  # noqa: S105 - an action name
    WEBHOOK_REDELIVER = "webhook.redeliver"
    DIRECTORY_SEED = "directory.seed"
    AUDIT_PURGE = "audit.purge"
    OTHER = "other"

    @classmethod
    def of(cls, stored: str) -> AuditAction:
        """The enum value of a stored action; OTHER for one this schema does not name."""
        return _ACTIONS.get(stored, cls.OTHER)


_ACTIONS = {a.value: a for a in AuditAction}

describe(
    AuditAction,
    "AuditAction",
    "What an audit entry records.",
    {
        "USER_CREATE": "A user was created (by an admin, or by an IdP over SCIM).",
        "USER_UPDATE": "A user's login, external id, notes or profile values changed.",
        "USER_DEACTIVATE": "A user was made INACTIVE (the entry's reason says why).",
        "USER_REACTIVATE": "A user was made ACTIVE again.",
        "USER_DELETE": "A user was soft-deleted.",
        "USER_RESTORE": "A soft-deleted user was restored.",
        "USER_UNLOCK": "An admin lifted a user's emergency lock (rule 17); the IdP's `active`"
        " value applied.",
        "USER_CONVERT_TO_LOCAL": "An IdP-owned user became LOCAL.",
        "GROUP_CREATE": "A group was created.",
        "GROUP_UPDATE": "A group was renamed, re-keyed, or its members changed over SCIM.",
        "GROUP_DELETE": "A group was deleted (roles granted through it ended).",
        "GROUP_MEMBERS_ADD": "An admin added members to a group.",
        "GROUP_MEMBERS_REMOVE": "An admin removed members from a group.",
        "GROUP_CONVERT_TO_LOCAL": "An IdP-owned group became LOCAL.",
        "ROLE_GRANT": "Roles were granted to a user or a group.",
        "ROLE_REVOKE": "Roles were revoked from a user or a group.",
        "SCIM_TOKEN_CREATE": "A SCIM token was issued.",
        "SCIM_TOKEN_REVOKE": "A SCIM token was revoked.",
        "API_TOKEN_CREATE": "An admin API token was issued.",
        "API_TOKEN_REVOKE": "An admin API token was revoked.",
        "PROVISIONING_ENABLE": "SCIM provisioning was switched on.",
        "PROVISIONING_DISABLE": "SCIM provisioning was switched off.",
        "GUARD_UPDATE": "An admin changed the deprovisioning guard's settings (rule 19).",
        "GUARD_RELEASE": "An admin released writes held by the deprovisioning guard (rule 19).",
        "GUARD_DISCARD": "An admin discarded writes held by the deprovisioning guard (rule 19).",
        "AUTHENTICATION_CONFIGURE": "The authentication settings (the IdP setup) changed.",
        "PROFILE_ATTRIBUTE_CREATE": "A custom attribute was added to the Profile Editor.",
        "PROFILE_ATTRIBUTE_UPDATE": "A Profile Editor attribute changed.",
        "PROFILE_ATTRIBUTE_DELETE": "A custom attribute was removed from the Profile Editor.",
        "WEBHOOK_CREATE": "A webhook endpoint was created (rule 20).",
        "WEBHOOK_UPDATE": "A webhook endpoint's URL, event types, format or switch changed.",
        "WEBHOOK_DELETE": "A webhook endpoint was deleted, with its deliveries and log.",
        "WEBHOOK_REDELIVER": "Events were scheduled again for a webhook endpoint (the range is"
        " the change).",
        "WEBHOOK_ROTATE_SECRET": "A webhook endpoint's signing secret was rotated (the"
        " previous one signs beside it during the overlap).",
        "DIRECTORY_SEED": "Users or groups were seeded in bulk by the operator's CLI.",
        "AUDIT_PURGE": "Old log entries were purged by retention.",
        "OTHER": "An action newer than this schema; the deprecated `action` field names it.",
    },
)

describe(
    ActorKind,
    "ActorType",
    "Who performed a write.",
    {
        "ADMIN": "An admin user, in the console or through an admin API token.",
        "SCIM": "An identity provider, through a SCIM token.",
        "SYSTEM": "Roster itself or its operator's CLI (bootstrap, retention, seeding).",
    },
)


class ProvisioningOutcome(Enum):
    """How a SCIM write ended."""

    SUCCESS = "SUCCESS"
    WARNING = "WARNING"
    ERROR = "ERROR"
    HELD = "HELD"


describe(
    ProvisioningOutcome,
    "ProvisioningOutcome",
    "How a SCIM write ended.",
    {
        "SUCCESS": "Applied as asked.",
        "WARNING": "Applied, with something skipped (e.g. unknown members); see errorDetail.",
        "ERROR": "Refused or failed: nothing changed; see statusCode and errorDetail.",
        "HELD": "A destructive write held by the tripped deprovisioning guard (rule 19):"
        " answered as accepted, not applied until an admin releases it.",
    },
)


class ScimMethod(Enum):
    """The HTTP method of a SCIM write."""

    POST = "POST"
    PUT = "PUT"
    PATCH = "PATCH"
    DELETE = "DELETE"


describe(
    ScimMethod,
    "ScimMethod",
    "The HTTP method of a SCIM write.",
    {
        "POST": "Create a resource, or a Bulk request.",
        "PUT": "Replace a resource.",
        "PATCH": "Modify a resource.",
        "DELETE": "Delete a resource.",
    },
)


class ProvisioningResourceType(Enum):
    """What a SCIM write was about (the stored value is the SCIM resource type)."""

    USER = "User"
    GROUP = "Group"
    BULK = "Bulk"


describe(
    ProvisioningResourceType,
    "ProvisioningResourceType",
    "What a SCIM write was about.",
    {
        "USER": "A SCIM User (a Roster user).",
        "GROUP": "A SCIM Group.",
        "BULK": "A Bulk request (when its operations name no single resource type).",
    },
)


@strawberry.enum(
    name="EventType",
    description="What happened to a resource (the event's type on the HTTP feed and webhooks).",
)
class EventType(Enum):
    """The event types of app.domain.outbox.EVENT_TYPES (a test keeps the two equal)."""

    USER_CREATED = "user.created"
    USER_UPDATED = "user.updated"
    USER_DEACTIVATED = "user.deactivated"
    USER_REACTIVATED = "user.reactivated"
    USER_DELETED = "user.deleted"
    USER_RESTORED = "user.restored"
    GROUP_CREATED = "group.created"
    GROUP_UPDATED = "group.updated"
    GROUP_DELETED = "group.deleted"
    GROUP_MEMBERS_ADDED = "group.members.added"
    GROUP_MEMBERS_REMOVED = "group.members.removed"
    ROLE_GRANTED = "role.granted"
    ROLE_REVOKED = "role.revoked"
    TOKEN_CREATED = "token.created"  # noqa: S105 - an event type
    TOKEN_REVOKED = "token.revoked"  # noqa: S105 - an event type
    SETTINGS_UPDATED = "settings.updated"


describe_values(EventType, {name.upper().replace(".", "_"): d for name, d in EVENT_TYPES.items()})
