# mypy: disable-error-code="untyped-decorator"
# (strawberry.field/mutation(...) with arguments is typed Any: it doubles as a dataclass field)
"""Provisioning switch, SCIM tokens (rule 12) and admin API tokens."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

import strawberry

from app.db import Tx
from app.domain.access import api_tokens, scim_tokens
from app.domain.access.tokens import TokenRecord
from app.domain.types import Actor
from app.graphql.context import Info
from app.graphql.errors import UserError
from app.graphql.ids import decode_id
from app.graphql.mutations.base import Payload, run_mutation
from app.graphql.types.admin import ApiToken, ScimToken


@strawberry.input(name="SetProvisioningEnabledInput", description="Turn SCIM provisioning on/off.")
class SetProvisioningEnabledInput:
    """Input of setProvisioningEnabled; off revokes every SCIM token."""

    enabled: bool = strawberry.field(description="On or off.")


@strawberry.type(
    name="SetProvisioningEnabledPayload", description="Result of setProvisioningEnabled."
)
class SetProvisioningEnabledPayload(Payload):
    """Result of setProvisioningEnabled."""

    enabled: bool | None = strawberry.field(description="The new state; null if refused.")


@strawberry.input(name="CreateScimTokenInput", description="A new SCIM token.")
class CreateScimTokenInput:
    """Input of createScimToken."""

    name: str = strawberry.field(description="Label, e.g. the IdP's name.")


@strawberry.type(name="CreateScimTokenPayload", description="The token and its secret, shown once.")
class CreateScimTokenPayload(Payload):
    """Result of createScimToken."""

    scim_token: ScimToken | None = strawberry.field(description="The new token.")
    secret: str | None = strawberry.field(description="The bearer secret: shown only now.")


@strawberry.input(name="RevokeScimTokenInput", description="The SCIM token to revoke.")
class RevokeScimTokenInput:
    """Input of revokeScimToken."""

    id: strawberry.ID = strawberry.field(description="Global id of the token.")


@strawberry.type(name="RevokeScimTokenPayload", description="Result of revokeScimToken.")
class RevokeScimTokenPayload(Payload):
    """Result of revokeScimToken."""

    scim_token: ScimToken | None = strawberry.field(description="The revoked token.")


@strawberry.input(name="CreateApiTokenInput", description="A new admin API token for a user.")
class CreateApiTokenInput:
    """Input of createApiToken (the user must hold OWNER, ADMIN or VIEWER)."""

    user_id: strawberry.ID = strawberry.field(description="Global id of the admin user.")
    name: str = strawberry.field(description="Label.")
    ttl_days: int | None = strawberry.field(
        default=None,
        description="Lifetime in days, 1 to the configured maximum (ROSTER_API_TOKEN_MAX_TTL_DAYS, "
        "365 by default); null: 90. Admin API tokens always expire.",
    )


@strawberry.type(name="CreateApiTokenPayload", description="The token and its secret, shown once.")
class CreateApiTokenPayload(Payload):
    """Result of createApiToken."""

    api_token: ApiToken | None = strawberry.field(description="The new token.")
    secret: str | None = strawberry.field(description="The bearer secret: shown only now.")


@strawberry.input(name="RevokeApiTokenInput", description="The admin API token to revoke.")
class RevokeApiTokenInput:
    """Input of revokeApiToken."""

    id: strawberry.ID = strawberry.field(description="Global id of the token.")


@strawberry.type(name="RevokeApiTokenPayload", description="Result of revokeApiToken.")
class RevokeApiTokenPayload(Payload):
    """Result of revokeApiToken."""

    api_token: ApiToken | None = strawberry.field(description="The revoked token.")


V = TypeVar("V")


async def _create(
    info: Info,
    create: Callable[[Tx, Actor], Awaitable[tuple[TokenRecord, str]]],
    view: Callable[[TokenRecord], V],
) -> tuple[V | None, str | None, list[UserError]]:
    """Create a SCIM or admin API token: its view and its secret (shown once), or why not."""
    created, errors = await run_mutation(info, create)
    if created is None:
        return None, None, errors
    return view(created[0]), created[1], errors


class _Revoke(Protocol):
    """`scim_tokens.revoke_scim_token` or `api_tokens.revoke_api_token`."""

    def __call__(self, tx: Tx, *, actor: Actor, token_id: str) -> Awaitable[TokenRecord]: ...


async def _revoke(
    info: Info, global_id: str, kind: str, revoke: _Revoke, view: Callable[[TokenRecord], V]
) -> tuple[V | None, list[UserError]]:
    """Revoke the token of type ``kind`` with this global id: its view, or why not."""

    async def act(tx: Tx, actor: Actor) -> TokenRecord:
        return await revoke(tx, actor=actor, token_id=decode_id(global_id, kind))

    record, errors = await run_mutation(info, act)
    return (view(record) if record else None), errors


@strawberry.type(name="TokenMutations", description="Provisioning and token mutations.")
class TokenMutations:
    """Mutations on provisioning and tokens."""

    @strawberry.mutation(description="Turn provisioning on or off (off revokes every SCIM token).")
    async def set_provisioning_enabled(
        self, info: Info, input: SetProvisioningEnabledInput
    ) -> SetProvisioningEnabledPayload:
        async def act(tx: Tx, actor: Actor) -> bool:
            return await scim_tokens.set_provisioning_enabled(
                tx, actor=actor, enabled=input.enabled
            )

        enabled, errors = await run_mutation(info, act)
        return SetProvisioningEnabledPayload(enabled=enabled, user_errors=errors)

    @strawberry.mutation(description="Create a SCIM token (at most the configured number active).")
    async def create_scim_token(
        self, info: Info, input: CreateScimTokenInput
    ) -> CreateScimTokenPayload:
        settings = info.context.settings

        async def act(tx: Tx, actor: Actor) -> tuple[TokenRecord, str]:
            return await scim_tokens.create_scim_token(
                tx,
                actor=actor,
                name=input.name,
                ttl_days=settings.scim_token_ttl_days,
                max_active=settings.scim_max_tokens,
            )

        token, secret, errors = await _create(info, act, ScimToken.of)
        return CreateScimTokenPayload(scim_token=token, secret=secret, user_errors=errors)

    @strawberry.mutation(description="Revoke a SCIM token at once.")
    async def revoke_scim_token(
        self, info: Info, input: RevokeScimTokenInput
    ) -> RevokeScimTokenPayload:
        revoke = scim_tokens.revoke_scim_token
        token, errors = await _revoke(info, input.id, "ScimToken", revoke, ScimToken.of)
        return RevokeScimTokenPayload(scim_token=token, user_errors=errors)

    @strawberry.mutation(description="Create an admin API token for a user holding an admin role.")
    async def create_api_token(
        self, info: Info, input: CreateApiTokenInput
    ) -> CreateApiTokenPayload:
        async def act(tx: Tx, actor: Actor) -> tuple[TokenRecord, str]:
            return await api_tokens.create_api_token(
                tx,
                actor=actor,
                user_id=decode_id(input.user_id, "User", "userId"),
                name=input.name,
                ttl_days=input.ttl_days,
                max_ttl_days=info.context.settings.api_token_max_ttl_days,
            )

        token, secret, errors = await _create(info, act, ApiToken.of)
        return CreateApiTokenPayload(api_token=token, secret=secret, user_errors=errors)

    @strawberry.mutation(description="Revoke an admin API token at once.")
    async def revoke_api_token(
        self, info: Info, input: RevokeApiTokenInput
    ) -> RevokeApiTokenPayload:
        revoke = api_tokens.revoke_api_token
        token, errors = await _revoke(info, input.id, "ApiToken", revoke, ApiToken.of)
        return RevokeApiTokenPayload(api_token=token, user_errors=errors)
