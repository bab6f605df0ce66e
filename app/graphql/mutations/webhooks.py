# mypy: disable-error-code="untyped-decorator"
# (strawberry.field/mutation(...) with arguments is typed Any: it doubles as a dataclass field)
"""Webhook endpoints (rule 20): create, change, delete, rotate the secret, redeliver."""

from __future__ import annotations

from typing import Any

import strawberry

from app.db import Tx
from app.domain.types import Actor
from app.domain.webhooks import delivery, endpoints
from app.domain.webhooks.endpoints import EndpointInput
from app.domain.webhooks.model import Endpoint, EndpointFormat
from app.domain.webhooks.targets import AllowList
from app.errors import InvalidValue
from app.graphql.context import Info
from app.graphql.errors import UserError
from app.graphql.ids import decode_id
from app.graphql.mutations.base import Payload, run_mutation
from app.graphql.types.enums import EventType
from app.graphql.types.webhooks import WebhookEndpoint, WebhookFormat


@strawberry.input(name="CreateWebhookEndpointInput", description="A new webhook endpoint.")
class CreateWebhookEndpointInput:
    """Input of createWebhookEndpoint."""

    url: str = strawberry.field(
        description="http(s) URL; private, loopback and link-local targets are refused unless"
        " the operator allows them (ROSTER_WEBHOOK_ALLOWED_TARGETS)."
    )
    description: str = strawberry.field(default="", description="A note (255 characters).")
    event_types: list[EventType] | None = strawberry.field(
        default=None, description="The types to deliver; omitted or empty: every type."
    )
    format: WebhookFormat = strawberry.field(
        default=WebhookFormat.JSON, description="JSON (the event) or SET (security event tokens)."
    )
    enabled: bool = strawberry.field(default=True, description="Send deliveries.")


@strawberry.input(
    name="UpdateWebhookEndpointInput", description="Changes to an endpoint; null keeps a value."
)
class UpdateWebhookEndpointInput:
    """Input of updateWebhookEndpoint."""

    id: strawberry.ID = strawberry.field(description="The endpoint's global id.")
    url: str | None = strawberry.field(default=None, description="New URL.")
    description: str | None = strawberry.field(default=None, description="New note.")
    event_types: list[EventType] | None = strawberry.field(
        default=None, description="New filter (empty: every type)."
    )
    format: WebhookFormat | None = strawberry.field(default=None, description="New format.")
    enabled: bool | None = strawberry.field(default=None, description="Switch on or off.")


@strawberry.type(name="WebhookEndpointPayload", description="An endpoint after a mutation.")
class WebhookEndpointPayload(Payload):
    """Result of updateWebhookEndpoint and deleteWebhookEndpoint."""

    endpoint: WebhookEndpoint | None = strawberry.field(description="The endpoint.")


@strawberry.type(
    name="WebhookSecretPayload",
    description="An endpoint and its new signing secret, shown this once.",
)
class WebhookSecretPayload(Payload):
    """Result of createWebhookEndpoint and rotateWebhookSecret."""

    endpoint: WebhookEndpoint | None = strawberry.field(description="The endpoint.")
    secret: str | None = strawberry.field(
        description="whsec_ and the base64 of 32 bytes: keep it, it is not shown again."
    )


@strawberry.type(name="RedeliverEventsPayload", description="Result of redeliverEvents.")
class RedeliverEventsPayload(Payload):
    """Result of redeliverEvents."""

    count: int = strawberry.field(description="How many deliveries were (re)scheduled.")


def _types(values: list[EventType] | None) -> list[str] | None:
    return None if values is None else [t.value for t in values]


def _format(value: WebhookFormat | None) -> EndpointFormat | None:
    return None if value is None else EndpointFormat(value.value)


def _allowed(info: Info) -> AllowList:
    return AllowList.parse(info.context.settings.webhook_allowed_targets)


def _with_secret(found: Endpoint | None, errors: list[UserError]) -> WebhookSecretPayload:
    view = WebhookEndpoint.of(found) if found else None
    secret = found.secret if found else None
    return WebhookSecretPayload(endpoint=view, secret=secret, user_errors=errors)


def _endpoint(found: Endpoint | None, errors: list[UserError]) -> WebhookEndpointPayload:
    view = WebhookEndpoint.of(found) if found else None
    return WebhookEndpointPayload(endpoint=view, user_errors=errors)


def _sequence(value: str, field: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise InvalidValue(f"{field}: a sequence number, not {value[:40]!r}", [field]) from None


@strawberry.type(name="WebhookMutations", description="Webhook endpoint mutations.")
class WebhookMutations:
    """Mutations on webhook endpoints (OWNER or ADMIN; audited as webhook.*)."""

    @strawberry.mutation(description="Create a webhook endpoint; its secret is returned once.")
    async def create_webhook_endpoint(
        self, info: Info, input: CreateWebhookEndpointInput
    ) -> WebhookSecretPayload:
        data = EndpointInput(
            input.url, input.description, _types(input.event_types), _format(input.format),
            input.enabled,
        )  # fmt: skip

        async def act(tx: Tx, actor: Actor) -> Any:
            return await endpoints.create_endpoint(
                tx, actor=actor, data=data, allowed=_allowed(info)
            )

        return _with_secret(*await run_mutation(info, act))

    @strawberry.mutation(description="Change a webhook endpoint.")
    async def update_webhook_endpoint(
        self, info: Info, input: UpdateWebhookEndpointInput
    ) -> WebhookEndpointPayload:
        async def act(tx: Tx, actor: Actor) -> Any:
            data = EndpointInput(
                input.url, input.description, _types(input.event_types), _format(input.format),
                input.enabled,
            )  # fmt: skip
            raw = decode_id(input.id, "WebhookEndpoint")
            return await endpoints.update_endpoint(
                tx, actor=actor, endpoint_id=raw, data=data, allowed=_allowed(info)
            )

        return _endpoint(*await run_mutation(info, act))

    @strawberry.mutation(description="Delete a webhook endpoint, its deliveries and its log.")
    async def delete_webhook_endpoint(
        self, info: Info, id: strawberry.ID
    ) -> WebhookEndpointPayload:
        async def act(tx: Tx, actor: Actor) -> Any:
            raw = decode_id(id, "WebhookEndpoint")
            return await endpoints.delete_endpoint(tx, actor=actor, endpoint_id=raw)

        return _endpoint(*await run_mutation(info, act))

    @strawberry.mutation(
        description="A new signing secret, returned once; the previous one keeps signing beside"
        " it for overlapHours (default 24, 0 to 168)."
    )
    async def rotate_webhook_secret(
        self, info: Info, id: strawberry.ID, overlap_hours: float = 24.0
    ) -> WebhookSecretPayload:
        async def act(tx: Tx, actor: Actor) -> Any:
            raw = decode_id(id, "WebhookEndpoint")
            return await endpoints.rotate_secret(
                tx, actor=actor, endpoint_id=raw, overlap_hours=overlap_hours
            )

        return _with_secret(*await run_mutation(info, act))

    @strawberry.mutation(
        description="Send events fromSequence..toSequence (one event: the same number twice)"
        " to an endpoint again, in order per resource (at most 10,000)."
    )
    async def redeliver_events(
        self, info: Info, endpoint_id: strawberry.ID, from_sequence: str, to_sequence: str
    ) -> RedeliverEventsPayload:
        async def act(tx: Tx, actor: Actor) -> Any:
            raw = decode_id(endpoint_id, "WebhookEndpoint", "endpointId")
            low = _sequence(from_sequence, "fromSequence")
            high = _sequence(to_sequence, "toSequence")
            return await delivery.redeliver(tx, actor=actor, endpoint_id=raw, low=low, high=high)

        count, errors = await run_mutation(info, act)
        return RedeliverEventsPayload(count=count or 0, user_errors=errors)
