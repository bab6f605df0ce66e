# mypy: disable-error-code="untyped-decorator"
# (strawberry.field(...) with arguments is typed Any: it doubles as a dataclass field)
"""Downstream events (rule 20) in GraphQL: the `events` connection and its subscription.

An event's cursor is its sequence number as decimal text, the same number ``GET /events``
takes as ``after``: a consumer may switch between the two without losing its place.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from app.domain.directory import Page, PageRequest
from app.domain.outbox.store import OutboxEventRecord
from app.domain.outbox.views import document
from app.domain.types import ActorKind
from app.errors import InvalidValue
from app.graphql.context import Info
from app.graphql.scalars import DateTime
from app.graphql.types.audit import AuditActor, AuditChange, load_actor
from app.graphql.types.common import Node
from app.graphql.types.enums import EventType
from app.graphql.types.links import linked
from app.graphql.types.relay import Connection, Count, parts

_ACTOR_TYPES = {k.value: k for k in ActorKind}


def parse_cursor(after: str | None) -> int:
    """The sequence number of a cursor (None: from the start); raises InvalidValue."""
    if after is None or after == "":
        return 0
    if not after.isdigit() or len(after) > 18:
        raise InvalidValue(
            f"after must be an event cursor (its sequence number), not {after[:40]!r}",
            fields=["after"],
        )
    return int(after)


@strawberry.type(name="Event", description="One committed change (rule 20), in commit order.")
class Event:
    """An outbox event; ``resource`` links to the object as it is now, ``resourceData`` holds
    it as it was at the event."""

    record: strawberry.Private[OutboxEventRecord]
    sequence: str = strawberry.field(
        description="Position in the feed (decimal text; numbers have no gaps)."
    )
    event_id: str = strawberry.field(description="Unique id (the webhook-id of its deliveries).")
    type: EventType = strawberry.field(description="What happened.")
    occurred_at: DateTime = strawberry.field(description="When the change was made.")
    actor_type: ActorKind = strawberry.field(description="Who wrote: ADMIN, SCIM or SYSTEM.")
    actor_label: str = strawberry.field(description="Login of the admin or name of the token.")
    request_id: str | None = strawberry.field(description="Request id of the write.")
    resource_type: str = strawberry.field(description="Kind of the resource, e.g. User.")
    resource_id: str | None = strawberry.field(description="Raw id of the resource.")
    changes: list[AuditChange] = strawberry.field(description="Changed fields, before and after.")
    resource_data: JSON | None = strawberry.field(
        description="The resource's public fields as they were when the change committed;"
        " null when it was gone (a deleted group) or has no document (settings)."
    )

    async def _actor(self, info: Info) -> AuditActor | None:
        return await load_actor(info, self.record)

    async def _resource(self, info: Info) -> Node | None:
        return await linked(info, self.record.resource_type, self.record.resource_id)

    actor: AuditActor | None = strawberry.field(
        resolver=_actor, description="The admin user, SCIM token or system; null when gone."
    )
    resource: Node | None = strawberry.field(
        resolver=_resource, description="The resource as it is now; null when it is gone."
    )

    @staticmethod
    def of(e: OutboxEventRecord, hidden: frozenset[str] = frozenset()) -> Event:
        """The GraphQL view of an event; values of ``hidden`` attributes are masked."""
        doc = document(e, hidden)
        return Event(
            record=e,
            sequence=str(e.seq),
            event_id=e.id,
            type=EventType(e.type),
            occurred_at=DateTime(e.at),
            actor_type=_ACTOR_TYPES[e.actor_type],
            actor_label=e.actor_label,
            request_id=e.request_id,
            resource_type=e.resource_type,
            resource_id=e.resource_id,
            changes=[
                AuditChange(field=c["field"], before=c["before"], after=c["after"])
                for c in doc["changes"]
            ],
            resource_data=doc["resource"],
        )


@strawberry.type(name="EventConnection", description="A page of events, oldest first.")
class EventConnection(Connection[Event]):
    """Relay connection over the event feed."""

    total_count: int = strawberry.field(
        resolver=Connection._total_count,
        description="Events after the cursor (of the given types) at the time of the read.",
    )

    @staticmethod
    def of(
        events: list[OutboxEventRecord],
        has_next: bool,
        after: int,
        count: Count,
        hidden: frozenset[str],
    ) -> EventConnection:
        """A connection over one page of events read after ``after``."""
        page: Page[Any] = Page(
            items=events,
            cursors=[str(e.seq) for e in events],
            has_next=has_next,
            has_previous=after > 0,
        )
        nodes = [Event.of(e, hidden) for e in events]
        return EventConnection(nodes=nodes, count=count, **parts(page))


def page_size(info: Info, first: int | None) -> int:
    """The page size asked for, capped like every list; raises InvalidValue."""
    cap = info.context.settings.graphql_max_page_size
    return PageRequest(first=first, max_size=cap).size()
