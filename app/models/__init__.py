"""Table models (SQLModel). They define the schema for Alembic; hot paths run SQL on the driver.

Conventions, the same on SQLite and PostgreSQL:
- ids are UUID strings (time-ordered, version 7), so ordering by id is ordering by creation and
  the primary-key index serves keyset pagination;
- timestamps are fixed-width ISO-8601 UTC strings (``2026-11-29T04:19:58.123456Z``): they sort
  lexicographically, compare the same on both engines and go to the wire without conversion;
- JSON documents are ``JSON`` on SQLite and ``JSONB`` on PostgreSQL, exchanged as text.
"""

from app.models.guard import DeprovisioningGuard, GuardCounted, GuardHeld
from app.models.outbox import OutboxEvent
from app.models.tables import (
    ApiToken,
    AuditEntry,
    AuthSettings,
    Group,
    Membership,
    ProfileAttribute,
    ProvisioningEvent,
    Role,
    RoleGrant,
    ScimToken,
    ScimTokenUsage,
    ServiceState,
    User,
    metadata,
)
from app.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "ApiToken",
    "AuditEntry",
    "AuthSettings",
    "DeprovisioningGuard",
    "Group",
    "GuardCounted",
    "GuardHeld",
    "Membership",
    "OutboxEvent",
    "ProfileAttribute",
    "ProvisioningEvent",
    "Role",
    "RoleGrant",
    "ScimToken",
    "ScimTokenUsage",
    "ServiceState",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "metadata",
]
