"""Provisioning events and counters, and the audit log."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from app.domain.activity import AuditEntryRecord, ProvisioningStats
from app.domain.events import ProvisioningEventRecord
from app.domain.paging import Page
from app.domain.types import AuthProvider
from app.domain.visibility import MASK, masks_change
from app.graphql.ids import to_global_id
from app.graphql.scalars import DateTime
from app.graphql.types.common import PageInfo

_NODE_RESOURCES = {"User": "User", "Group": "Group"}


@strawberry.type(name="ProvisioningEvent", description="One SCIM write, as the log shows it.")
class ProvisioningEvent:
    """A provisioning event."""

    id: str = strawberry.field(description="Event id.")
    at: DateTime = strawberry.field(description="When the request was handled.")
    token_id: strawberry.ID | None = strawberry.field(description="Global id of the SCIM token.")
    method: str = strawberry.field(description="HTTP method (POST, PUT, PATCH, DELETE).")
    resource_type: str = strawberry.field(description="User, Group or Bulk.")
    resource_id: str | None = strawberry.field(description="Raw id of the resource.")
    resource_node_id: strawberry.ID | None = strawberry.field(
        description="Global id of the resource (for node(id:))."
    )
    external_id: str | None = strawberry.field(description="The IdP's id sent in the request.")
    outcome: str = strawberry.field(description="SUCCESS, WARNING or ERROR.")
    status_code: int = strawberry.field(description="HTTP status answered.")
    error_detail: str | None = strawberry.field(description="Why it failed or warned.")
    duration_ms: float = strawberry.field(description="Handling time in milliseconds.")
    request_id: str | None = strawberry.field(description="Request id (logs, audit).")
    ignored: list[str] = strawberry.field(
        description="Attribute paths the write deliberately ignored (rule 18): password,"
        " roles and entitlements, and rule 5's local-priority values of IdP-owned users."
    )

    @staticmethod
    def of(e: ProvisioningEventRecord) -> ProvisioningEvent:
        """The GraphQL view of an event."""
        node_type = _NODE_RESOURCES.get(e.resource_type)
        return ProvisioningEvent(
            id=e.id,
            at=DateTime(e.at),
            token_id=strawberry.ID(to_global_id("ScimToken", e.token_id)) if e.token_id else None,
            method=e.method,
            resource_type=e.resource_type,
            resource_id=e.resource_id,
            resource_node_id=(
                strawberry.ID(to_global_id(node_type, e.resource_id))
                if node_type and e.resource_id
                else None
            ),
            external_id=e.external_id,
            outcome=e.outcome,
            status_code=e.status_code,
            error_detail=e.error_detail,
            duration_ms=e.duration_ms,
            request_id=e.request_id,
            ignored=list(e.ignored),
        )


@strawberry.type(name="ProvisioningEventConnection", description="A page of events, newest first.")
class ProvisioningEventConnection:
    """Relay-style connection over events."""

    nodes: list[ProvisioningEvent] = strawberry.field(description="The events of this page.")
    cursors: list[str] = strawberry.field(description="Cursor of each node, in order.")
    page_info: PageInfo = strawberry.field(description="Paging state.")

    @staticmethod
    def of(page: Page[ProvisioningEventRecord]) -> ProvisioningEventConnection:
        """A connection over a domain page."""
        return ProvisioningEventConnection(
            nodes=[ProvisioningEvent.of(e) for e in page.items],
            cursors=page.cursors,
            page_info=PageInfo.of(page),
        )


@strawberry.type(name="ProviderCount", description="How many records one auth provider owns.")
class ProviderCount:
    """A count per auth provider."""

    auth_provider: AuthProvider = strawberry.field(description="The owner.")
    count: int = strawberry.field(description="Live records it owns.")


@strawberry.type(name="ProvisioningStats", description="Counters of the provisioning page.")
class ProvisioningStatsType:
    """Owned records and SCIM traffic."""

    users_by_provider: list[ProviderCount] = strawberry.field(description="Live users by owner.")
    groups_by_provider: list[ProviderCount] = strawberry.field(description="Groups by owner.")
    requests_last_24h: int = strawberry.field(description="SCIM writes in the last 24 hours.")
    errors_last_24h: int = strawberry.field(description="Failed SCIM writes in the last 24 hours.")
    last_request_at: DateTime | None = strawberry.field(description="Time of the last SCIM write.")

    @staticmethod
    def of(s: ProvisioningStats) -> ProvisioningStatsType:
        """The GraphQL view of the counters."""
        return ProvisioningStatsType(
            users_by_provider=[
                ProviderCount(auth_provider=AuthProvider(p), count=c)
                for p, c in s.users_by_provider.items()
            ],
            groups_by_provider=[
                ProviderCount(auth_provider=AuthProvider(p), count=c)
                for p, c in s.groups_by_provider.items()
            ],
            requests_last_24h=s.requests_24h,
            errors_last_24h=s.errors_24h,
            last_request_at=DateTime(s.last_request_at) if s.last_request_at else None,
        )


@strawberry.type(name="AuditChange", description="One changed field.")
class AuditChange:
    """Before and after of one field."""

    field: str = strawberry.field(description="The field (profile values as profile.<name>).")
    before: JSON | None = strawberry.field(description="Value before the write.")
    after: JSON | None = strawberry.field(description="Value after the write.")


def _change(c: dict[str, Any], hidden: frozenset[str]) -> AuditChange:
    if masks_change(c["field"], hidden):
        return AuditChange(field=c["field"], before=JSON(MASK), after=JSON(MASK))
    return AuditChange(field=c["field"], before=c["before"], after=c["after"])


@strawberry.type(name="AuditEntry", description="One admin or SCIM write.")
class AuditEntry:
    """An audit log entry."""

    id: str = strawberry.field(description="Entry id.")
    at: DateTime = strawberry.field(description="When the write committed.")
    actor_type: str = strawberry.field(description="ADMIN, SCIM or SYSTEM.")
    actor_id: str | None = strawberry.field(description="Raw id of the admin user or SCIM token.")
    actor_label: str = strawberry.field(description="Login of the admin or name of the token.")
    action: str = strawberry.field(description="What happened, e.g. user.update.")
    target_type: str = strawberry.field(description="Kind of the target, e.g. User.")
    target_id: str | None = strawberry.field(description="Raw id of the target.")
    target_label: str | None = strawberry.field(description="Label of the target.")
    changes: list[AuditChange] = strawberry.field(description="Changed fields.")
    reason: str | None = strawberry.field(description="Reason given (status changes).")
    request_id: str | None = strawberry.field(description="Request id of the write.")

    @staticmethod
    def of(a: AuditEntryRecord, hidden: frozenset[str] = frozenset()) -> AuditEntry:
        """The GraphQL view of an entry; values of ``hidden`` attributes are masked."""
        return AuditEntry(
            id=a.id,
            at=DateTime(a.at),
            actor_type=a.actor_type,
            actor_id=a.actor_id,
            actor_label=a.actor_label,
            action=a.action,
            target_type=a.target_type,
            target_id=a.target_id,
            target_label=a.target_label,
            changes=[_change(c, hidden) for c in a.changes],
            reason=a.reason,
            request_id=a.request_id,
        )


@strawberry.type(name="AuditEntryConnection", description="A page of audit entries, newest first.")
class AuditEntryConnection:
    """Relay-style connection over audit entries."""

    nodes: list[AuditEntry] = strawberry.field(description="The entries of this page.")
    cursors: list[str] = strawberry.field(description="Cursor of each node, in order.")
    page_info: PageInfo = strawberry.field(description="Paging state.")

    @staticmethod
    def of(
        page: Page[AuditEntryRecord], hidden: frozenset[str] = frozenset()
    ) -> AuditEntryConnection:
        """A connection over a domain page (values of ``hidden`` attributes masked)."""
        return AuditEntryConnection(
            nodes=[AuditEntry.of(a, hidden) for a in page.items],
            cursors=page.cursors,
            page_info=PageInfo.of(page),
        )
