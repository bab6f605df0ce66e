# mypy: disable-error-code="untyped-decorator"
# (strawberry.field(...) with arguments is typed Any: it doubles as a dataclass field)
"""Authentication settings, tokens and the viewer."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from app.domain.access.tokens import TokenRecord, TokenState
from app.domain.provisioning.health import TokenHealth
from app.domain.settings.authentication import AuthSettingsRecord
from app.domain.types import Actor, AuthProvider, AuthType
from app.graphql.context import Info
from app.graphql.ids import to_global_id
from app.graphql.scalars import DateTime
from app.graphql.types.common import Node
from app.graphql.types.users import User

strawberry.enum(TokenState, name="TokenState", description="ACTIVE, EXPIRED or REVOKED.")


def _dt(value: str | None) -> DateTime | None:
    return DateTime(value) if value is not None else None


def _token_fields(kind: str, rec: TokenRecord) -> dict[str, Any]:
    """The fields SCIM tokens and admin API tokens share (``kind``: the GraphQL type)."""
    return {
        "id": strawberry.ID(to_global_id(kind, rec.id)),
        "name": rec.name,
        "hint": rec.hint,
        "state": rec.state,
        "created_by": rec.created_by,
        "created_at": DateTime(rec.created_at),
        "expires_at": _dt(rec.expires_at),
        "revoked_at": _dt(rec.revoked_at),
        "last_used_at": _dt(rec.last_used_at),
    }


@strawberry.type(name="AuthenticationSettings", description="The deployment's one IdP setup.")
class AuthenticationSettings:
    """Authentication type and non-secret configuration; secrets are write-only."""

    type: AuthType = strawberry.field(description="INTERNAL (no IdP) or the configured IdP.")
    display_name: str | None = strawberry.field(description="Label of the IdP.")
    config: JSON = strawberry.field(
        description="Non-secret settings (issuer, metadataUrl, clientId, ...) by key."
    )
    secret_names: list[str] = strawberry.field(
        description="Names of the secrets that are set; their values are never returned."
    )
    has_secret: bool = strawberry.field(description="At least one secret is set.")
    provider: AuthProvider = strawberry.field(
        description="The owner SCIM-created users and groups get now (rule 1)."
    )
    version: int = strawberry.field(description="Grows with every change.")
    updated_at: DateTime = strawberry.field(description="When the settings last changed.")

    @staticmethod
    def of(rec: AuthSettingsRecord) -> AuthenticationSettings:
        """The GraphQL view of the settings."""
        return AuthenticationSettings(
            type=rec.type,
            display_name=rec.display_name,
            config=JSON(dict(rec.config)),
            secret_names=list(rec.secret_names),
            has_secret=bool(rec.secret_names),
            provider=rec.provider,
            version=rec.version,
            updated_at=DateTime(rec.updated_at),
        )


@strawberry.type(name="ScimTokenError", description="The latest failed SCIM request of a token.")
class ScimTokenError:
    """When, which status, and what Roster answered."""

    at: DateTime = strawberry.field(description="When it was answered.")
    status: int = strawberry.field(description="The HTTP status code.")
    detail: str = strawberry.field(description="The SCIM error detail sent to the IdP.")


@strawberry.type(name="TokenFields", description="What SCIM and admin API tokens both show.")
class TokenFields(Node):
    """The node fields SCIM tokens and admin API tokens declare alike (listed first)."""

    hint: str = strawberry.field(description="The last four characters of the secret.")
    state: TokenState = strawberry.field(description="ACTIVE, EXPIRED or REVOKED.")
    created_by: str = strawberry.field(description="Who created it.")
    created_at: DateTime = strawberry.field(description="When it was created.")
    revoked_at: DateTime | None = strawberry.field(description="When it was revoked.")
    last_used_at: DateTime | None = strawberry.field(description="When it was last used.")


@strawberry.type(name="ScimToken", description="A SCIM bearer token (its secret is never shown).")
class ScimToken(TokenFields):
    """A SCIM token, and its provisioning health (counted per worker, added every few seconds)."""

    token_id: strawberry.Private[str]

    async def _health(self, info: Info) -> TokenHealth:
        found: TokenHealth = await info.context.loaders.token_health.load(self.token_id)
        return found

    @strawberry.field(description="SCIM requests with this token in the last 24 hours.")
    async def request_count_24h(self, info: Info) -> int:
        return (await self._health(info)).requests_24h

    @strawberry.field(description="Of those, the requests answered with an error (4xx, 5xx).")
    async def error_count_24h(self, info: Info) -> int:
        return (await self._health(info)).errors_24h

    @strawberry.field(description="The latest failed request (null: none yet).")
    async def last_error(self, info: Info) -> ScimTokenError | None:
        err = (await self._health(info)).last_error
        return (
            ScimTokenError(at=DateTime(err.at), status=err.status, detail=err.detail)
            if err
            else None
        )

    @strawberry.field(description="Live and expiring within 14 days: give the IdP a new token.")
    async def expires_soon(self, info: Info) -> bool:
        return (await self._health(info)).expires_soon

    @strawberry.field(description="Seconds until it expires (0 once expired).")
    async def seconds_to_expiry(self, info: Info) -> int:
        return (await self._health(info)).seconds_to_expiry

    @strawberry.field(
        description="When the IdP's connection test (a userName lookup for a random name) was "
        "last seen with this token (null: never)."
    )
    async def connection_tested_at(self, info: Info) -> DateTime | None:
        return _dt((await self._health(info)).connection_tested_at)

    name: str = strawberry.field(description="Label, e.g. the IdP's name.")
    expires_at: DateTime | None = strawberry.field(description="When it expires.")

    @staticmethod
    def of(rec: TokenRecord) -> ScimToken:
        """The GraphQL view of a SCIM token."""
        return ScimToken(token_id=rec.id, **_token_fields("ScimToken", rec))


@strawberry.type(name="ApiToken", description="An admin API token (its secret is never shown).")
class ApiToken(TokenFields):
    """An admin API token of one user."""

    record: strawberry.Private[TokenRecord]

    async def _user(self, info: Info) -> User | None:
        user = await info.context.loaders.users.load(self.record.user_id or "")
        return User.of(user, info.context) if user else None

    user: User | None = strawberry.field(
        resolver=_user, description="The admin user the token acts as (null if gone)."
    )
    user_id: strawberry.ID = strawberry.field(
        description="Global id of the token's user.",
        deprecation_reason="Use user { id }. Kept for one release.",
    )
    name: str = strawberry.field(description="Label.")
    expires_at: DateTime | None = strawberry.field(description="When it expires (null: never).")

    @staticmethod
    def of(rec: TokenRecord) -> ApiToken:
        """The GraphQL view of an API token."""
        return ApiToken(
            record=rec,
            user_id=strawberry.ID(to_global_id("User", rec.user_id or "")),
            **_token_fields("ApiToken", rec),
        )


@strawberry.type(name="Viewer", description="Who is calling, and what they may do.")
class Viewer:
    """The authenticated admin."""

    user_id: strawberry.ID | None = strawberry.field(description="Global id of the admin user.")
    login_id: str = strawberry.field(description="Login of the admin user.")
    roles: list[str] = strawberry.field(description="Effective roles of the admin user.")
    can_write: bool = strawberry.field(description="May run mutations (OWNER or ADMIN).")
    is_owner: bool = strawberry.field(description="Holds OWNER (may grant and revoke it).")

    @staticmethod
    def of(actor: Actor) -> Viewer:
        """The GraphQL view of the actor."""
        return Viewer(
            user_id=strawberry.ID(to_global_id("User", actor.id)) if actor.id else None,
            login_id=actor.label,
            roles=sorted(actor.roles),
            can_write=actor.can_write,
            is_owner=actor.is_owner,
        )
