"""Table models (SQLModel), one module per area: directory, access, settings, logs, guard; base
holds what they share. They define the schema for Alembic; hot paths run SQL on the driver.

Conventions, the same on SQLite and PostgreSQL:
- ids are UUID strings (time-ordered, version 7), so ordering by id is ordering by creation and
  the primary-key index serves keyset pagination;
- timestamps are fixed-width ISO-8601 UTC strings (``2026-11-29T04:19:58.123456Z``): they sort
  lexicographically, compare the same on both engines and go to the wire without conversion;
- JSON documents are ``JSON`` on SQLite and ``JSONB`` on PostgreSQL, exchanged as text.
"""

from app.models.access import ApiToken, Role, RoleGrant, ScimToken
from app.models.base import metadata
from app.models.directory import Group, Membership, User
from app.models.guard import (
    DeprovisioningGuard,
    GuardCounted,
    GuardHeld,
    GuardLease,
    GuardWindow,
)
from app.models.logs import AuditEntry, ProvisioningEvent, ScimTokenUsage
from app.models.outbox import OutboxCounter, OutboxEvent
from app.models.security_events import SigningKey
from app.models.settings import AuthSettings, LiveUserCount, ProfileAttribute, ServiceState
from app.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "ApiToken",
    "AuditEntry",
    "AuthSettings",
    "DeprovisioningGuard",
    "Group",
    "GuardCounted",
    "GuardHeld",
    "GuardLease",
    "GuardWindow",
    "LiveUserCount",
    "Membership",
    "OutboxCounter",
    "OutboxEvent",
    "ProfileAttribute",
    "ProvisioningEvent",
    "Role",
    "RoleGrant",
    "ScimToken",
    "ScimTokenUsage",
    "ServiceState",
    "SigningKey",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "metadata",
]
