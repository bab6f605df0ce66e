# mypy: disable-error-code="untyped-decorator"
# (strawberry.field(...) with arguments is typed Any: it doubles as a dataclass field)
"""Webhook endpoints (rule 20): their state and their delivery log. Secrets are never read
back; a mutation that makes one returns it once."""

from __future__ import annotations

from enum import Enum

import strawberry

from app.domain.webhooks import store
from app.domain.webhooks.endpoints import list_endpoints
from app.domain.webhooks.model import Attempt, Endpoint
from app.graphql.context import Info
from app.graphql.ids import to_global_id
from app.graphql.scalars import DateTime
from app.graphql.types.enums import EventType, describe

MAX_ATTEMPTS = 100


class WebhookEndpointState(Enum):
    """Whether the endpoint's deliveries succeed."""

    ACTIVE = "ACTIVE"
    FAILING = "FAILING"


describe(
    WebhookEndpointState,
    "WebhookEndpointState",
    "Whether a webhook endpoint's deliveries succeed.",
    {
        "ACTIVE": "Deliveries succeed, or are being retried within 24 hours.",
        "FAILING": "A delivery failed for 24 hours and was given up (see failingSince); the"
        " next success makes the endpoint ACTIVE again.",
    },
)


class WebhookFormat(Enum):
    """What a delivery's body is."""

    JSON = "JSON"
    SET = "SET"


describe(
    WebhookFormat,
    "WebhookFormat",
    "What a webhook delivery's body is.",
    {
        "JSON": "The event document, as GET /events returns it.",
        "SET": "RFC 9967 Security Event Tokens, one POST per token (application/secevent+jwt);"
        " events without tokens (roles, tokens, settings) are not sent.",
    },
)


@strawberry.type(name="WebhookAttempt", description="One HTTP attempt of a delivery.")
class WebhookAttempt:
    """An entry of an endpoint's delivery log."""

    at: DateTime = strawberry.field(description="When the attempt ended.")
    sequence: str = strawberry.field(description="The event's sequence number (its cursor).")
    status_code: int | None = strawberry.field(
        description="The HTTP status answered; null when nothing answered (see error)."
    )
    latency_ms: int = strawberry.field(description="Milliseconds from send to answer.")
    error: str | None = strawberry.field(description="Why nothing answered, or was refused.")
    response_excerpt: str | None = strawberry.field(
        description="The first kilobyte of the answer's body."
    )

    @classmethod
    def of(cls, a: Attempt) -> WebhookAttempt:
        """The GraphQL view of an attempt."""
        return cls(
            at=DateTime(a.at),
            sequence=str(a.event_seq),
            status_code=a.status_code,
            latency_ms=a.latency_ms,
            error=a.error,
            response_excerpt=a.response_excerpt,
        )


@strawberry.type(name="WebhookEndpoint", description="Where events are delivered as webhooks.")
class WebhookEndpoint:
    """A webhook endpoint (its secret is not readable)."""

    id: strawberry.ID = strawberry.field(description="Global id.")
    url: str = strawberry.field(description="Where deliveries are POSTed (http or https).")
    description: str = strawberry.field(description="The admin's note.")
    event_types: list[EventType] = strawberry.field(
        description="The event types delivered; empty: every type."
    )
    format: WebhookFormat = strawberry.field(description="JSON or SET.")
    enabled: bool = strawberry.field(description="Deliveries are sent (else they wait).")
    state: WebhookEndpointState = strawberry.field(description="ACTIVE or FAILING.")
    failing_since: DateTime | None = strawberry.field(description="When it became FAILING.")
    last_success_at: DateTime | None = strawberry.field(description="The last 2xx answer.")
    secret_rotation_ends_at: DateTime | None = strawberry.field(
        description="Until when the previous secret also signs (null: no overlap)."
    )
    created_at: DateTime = strawberry.field(description="When it was created.")
    updated_at: DateTime = strawberry.field(description="When an admin last changed it.")
    version: int = strawberry.field(description="Incremented by every change.")
    raw_id: strawberry.Private[str]

    @strawberry.field(description="The newest delivery attempts, newest first (at most 100).")
    async def recent_attempts(self, info: Info, first: int = 20) -> list[WebhookAttempt]:
        async with info.context.read() as tx:
            found = await store.recent_attempts(tx, self.raw_id, max(0, min(first, MAX_ATTEMPTS)))
        return [WebhookAttempt.of(a) for a in found]

    @classmethod
    def of(cls, e: Endpoint) -> WebhookEndpoint:
        """The GraphQL view of an endpoint."""
        return cls(
            id=strawberry.ID(to_global_id("WebhookEndpoint", e.id)),
            url=e.url,
            description=e.description,
            event_types=[EventType(t) for t in e.event_types],
            format=WebhookFormat(e.format.value),
            enabled=e.enabled,
            state=WebhookEndpointState(e.state.value),
            failing_since=DateTime(e.failing_since) if e.failing_since else None,
            last_success_at=DateTime(e.last_success_at) if e.last_success_at else None,
            secret_rotation_ends_at=(
                DateTime(e.previous_secret_expires_at) if e.previous_secret_expires_at else None
            ),
            created_at=DateTime(e.created_at),
            updated_at=DateTime(e.updated_at),
            version=e.version,
            raw_id=e.id,
        )


@strawberry.type(name="WebhookQueries", description="Webhook reads.")
class WebhookQueries:
    """The webhookEndpoints query (mixed into Query)."""

    @strawberry.field(
        description="Webhook endpoints, oldest first, with their delivery state (OWNER or ADMIN)."
    )
    async def webhook_endpoints(self, info: Info) -> list[WebhookEndpoint]:
        async with info.context.read() as tx:
            found = await list_endpoints(tx, actor=info.context.actor)
        return [WebhookEndpoint.of(e) for e in found]
