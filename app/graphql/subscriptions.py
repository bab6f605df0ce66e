# mypy: disable-error-code="untyped-decorator"
# (strawberry.field/mutation(...) with arguments is typed Any: it doubles as a dataclass field)
"""Live feeds over graphql-transport-ws, from every worker: provisioning events (see
app.domain.provisioning.feed), guard trips, and the downstream events of rule 20 from a cursor
(read from the outbox and woken by app.db.wakeup, so a reconnect that passes its last cursor
loses nothing)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from app.db.wakeup import follow, wakeup
from app.domain.guard.review import guard_status
from app.domain.guard.rules import TRIP_DETAIL
from app.domain.outbox.store import events_after, latest_seq
from app.domain.provisioning.feed import follow_provisioning_events, provisioning_events
from app.domain.provisioning.model import EventFilter, event_matches
from app.graphql.context import Info
from app.graphql.filters import ProvisioningEventFilterInput
from app.graphql.types.activity import ProvisioningEvent
from app.graphql.types.enums import EventType
from app.graphql.types.events import Event, parse_cursor
from app.graphql.types.guard import DeprovisioningGuard

BATCH = 100  # events read per query while catching up
IDLE = 30.0  # seconds between reads when nothing wakes the subscription


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

    @strawberry.subscription(
        description="Downstream events (rule 20) in order: from the cursor `after` (an event's"
        " sequence number, e.g. the last one received before a reconnect), or, without it, those"
        " committed from now on. Nothing is skipped: the feed has no gaps."
    )
    async def events(
        self, info: Info, after: str | None = None, types: list[EventType] | None = None
    ) -> AsyncGenerator[Event, None]:
        _ = info.context.actor  # refuses an unauthenticated connection
        wanted = [t.value for t in types or ()]
        start = parse_cursor(after)
        await follow(info.context.db)  # listening before reading: no commit falls between
        async with info.context.read() as tx:
            if after is None:
                start = await latest_seq(tx)
        await info.context.catalogue()
        while True:
            generation = wakeup.generation
            async with info.context.read() as tx:
                latest = await latest_seq(tx)
                events = await events_after(tx, start, BATCH, wanted)
            for event in events:
                yield Event.of(event, info.context.hidden)
                start = event.seq
            if len(events) == BATCH:
                continue
            start = max(start, latest)  # every event up to latest was looked at
            await wakeup.wait_after(generation, IDLE)
