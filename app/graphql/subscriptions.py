# mypy: disable-error-code="untyped-decorator"
# (strawberry.field/mutation(...) with arguments is typed Any: it doubles as a dataclass field)
"""Live provisioning events over graphql-transport-ws, from every worker (see
app.domain.provisioning.feed)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from app.domain.guard.review import guard_status
from app.domain.guard.rules import TRIP_DETAIL
from app.domain.provisioning.feed import follow_provisioning_events, provisioning_events
from app.domain.provisioning.model import EventFilter, event_matches
from app.graphql.context import Info
from app.graphql.filters import ProvisioningEventFilterInput
from app.graphql.types.activity import ProvisioningEvent
from app.graphql.types.guard import DeprovisioningGuard


@strawberry.type(name="GuardTrip", description="The deprovisioning guard tripped (rule 19).")
class GuardTrip:
    """A trip: the write that tripped the guard and the guard as it now stands."""

    event: ProvisioningEvent = strawberry.field(
        description="The provisioning event of the write that tripped it (outcome HELD)."
    )
    guard: DeprovisioningGuard = strawberry.field(description="The guard after the trip.")


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

    @strawberry.subscription(
        description="Each trip of the deprovisioning guard (rule 19), from every worker, once."
    )
    async def deprovisioning_guard_tripped(self, info: Info) -> AsyncGenerator[GuardTrip, None]:
        _ = info.context.actor  # refuses an unauthenticated connection
        await follow_provisioning_events(info.context.db)
        async with provisioning_events.subscribe() as events:
            async for event in events:
                if event.outcome == "HELD" and (event.error_detail or "").startswith(TRIP_DETAIL):
                    async with info.context.read() as tx:
                        status = await guard_status(tx)
                    yield GuardTrip(
                        event=ProvisioningEvent.of(event), guard=DeprovisioningGuard.of(status)
                    )
