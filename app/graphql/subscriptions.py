# mypy: disable-error-code="untyped-decorator"
# (strawberry.field/mutation(...) with arguments is typed Any: it doubles as a dataclass field)
"""Live provisioning events over graphql-transport-ws, from every worker (see app.domain.notify)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from app.domain.activity import EventFilter, event_matches
from app.domain.notify import follow_provisioning_events, provisioning_events
from app.graphql.context import Info
from app.graphql.filters import ProvisioningEventFilterInput
from app.graphql.types.activity import ProvisioningEvent


@strawberry.type(name="Subscription", description="Live feeds (any admin role).")
class Subscription:
    """Root subscription type."""

    @strawberry.subscription(description="Each SCIM write as it commits, optionally filtered.")
    async def provisioning_events(
        self, info: Info, filter: ProvisioningEventFilterInput | None = None
    ) -> AsyncGenerator[ProvisioningEvent, None]:
        _ = info.context.actor  # refuses an unauthenticated connection
        wanted = filter.to_domain() if filter else EventFilter()
        # Listening before subscribing: an event committed once this subscriber counts is seen.
        await follow_provisioning_events(info.context.db)
        async with provisioning_events.subscribe() as events:
            async for event in events:
                if event_matches(wanted, event):
                    yield ProvisioningEvent.of(event)
