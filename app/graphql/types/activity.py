# mypy: disable-error-code="untyped-decorator"
# (strawberry.field(...) with arguments is typed Any: it doubles as a dataclass field)
"""Provisioning events (Relay nodes) and counters."""

from __future__ import annotations

from typing import cast

import strawberry

from app.domain.directory import Page
from app.domain.provisioning.model import ProvisioningEventRecord, ProvisioningStats
from app.domain.types import AuthProvider
from app.graphql.context import Info
from app.graphql.ids import to_global_id
from app.graphql.scalars import DateTime
from app.graphql.types.admin import ScimToken
from app.graphql.types.common import Node
from app.graphql.types.enums import ProvisioningOutcome, ProvisioningResourceType, ScimMethod
from app.graphql.types.links import linked, linked_node, log_cursors, log_total_count
from app.graphql.types.relay import Connection, Count, parts

# Every deprecation reason ends with when the field goes (docs/architecture.md, Deprecations).
_ONE = " Kept for one release."

_NODE_RESOURCES = {"User": "User", "Group": "Group"}


@strawberry.type(name="ProvisioningEvent", description="One SCIM write, as the log shows it.")
class ProvisioningEvent(Node):
    """A provisioning event; ``token`` and ``resource`` load through the request's loaders."""

    record: strawberry.Private[ProvisioningEventRecord]
    database_id: str = strawberry.field(description="The raw event id.")
    at: DateTime = strawberry.field(description="When the request was handled.")

    async def _token(self, info: Info) -> ScimToken | None:
        return cast(ScimToken | None, await linked_node(info, "ScimToken", self.record.token_id))

    async def _resource(self, info: Info) -> Node | None:
        kind = _NODE_RESOURCES.get(self.record.resource_type)
        return await linked(info, kind, self.record.resource_id)

    token: ScimToken | None = strawberry.field(
        resolver=_token, description="The SCIM token that made the request (null if none)."
    )
    token_id: strawberry.ID | None = strawberry.field(
        description="Global id of the SCIM token.", deprecation_reason=f"Use token {{ id }}.{_ONE}"
    )
    method: ScimMethod = strawberry.field(description="HTTP method.")
    resource_type: str = strawberry.field(
        description="User, Group or Bulk.", deprecation_reason=f"Use resourceKind.{_ONE}"
    )
    resource_kind: ProvisioningResourceType = strawberry.field(description="What was written.")
    resource_id: str | None = strawberry.field(
        description="Raw id of the resource (kept once the resource is gone)."
    )
    resource: Node | None = strawberry.field(
        resolver=_resource, description="The user or group written; null when it is gone."
    )
    resource_node_id: strawberry.ID | None = strawberry.field(
        description="Global id of the resource (for node(id:)).",
        deprecation_reason=f"Use resource {{ id }} (null once the resource is gone).{_ONE}",
    )
    external_id: str | None = strawberry.field(description="The IdP's id sent in the request.")
    outcome: ProvisioningOutcome = strawberry.field(description="How the write ended.")
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
            record=e,
            id=strawberry.ID(to_global_id("ProvisioningEvent", e.id)),
            database_id=e.id,
            at=DateTime(e.at),
            token_id=strawberry.ID(to_global_id("ScimToken", e.token_id)) if e.token_id else None,
            method=ScimMethod(e.method),
            resource_type=e.resource_type,
            resource_kind=ProvisioningResourceType(e.resource_type),
            resource_id=e.resource_id,
            resource_node_id=(
                strawberry.ID(to_global_id(node_type, e.resource_id))
                if node_type and e.resource_id
                else None
            ),
            external_id=e.external_id,
            outcome=ProvisioningOutcome(e.outcome),
            status_code=e.status_code,
            error_detail=e.error_detail,
            duration_ms=e.duration_ms,
            request_id=e.request_id,
            ignored=list(e.ignored),
        )


@strawberry.type(name="ProvisioningEventConnection", description="A page of events, newest first.")
class ProvisioningEventConnection(Connection[ProvisioningEvent]):
    """Relay connection over events."""

    total_count: int = log_total_count("Events")
    cursors: list[str] = log_cursors()

    @staticmethod
    def of(page: Page[ProvisioningEventRecord], count: Count) -> ProvisioningEventConnection:
        """A connection over a domain page."""
        nodes = [ProvisioningEvent.of(e) for e in page.items]
        return ProvisioningEventConnection(nodes=nodes, count=count, **parts(page))


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
