# mypy: disable-error-code="untyped-decorator"
# (strawberry.field/mutation(...) with arguments is typed Any: it doubles as a dataclass field)
"""Authentication, Profile Editor, provisioning and token mutations."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from app.db import Tx
from app.domain import auth_settings, catalogue
from app.domain.catalogue import Attribute
from app.domain.types import Actor, AttributeStatus, AuthType, Datatype, SourcePriority
from app.errors import InvalidValue
from app.graphql.context import Info
from app.graphql.errors import UserError
from app.graphql.mutations.base import run_mutation
from app.graphql.types.admin import AuthenticationSettings
from app.graphql.types.catalogue import ProfileAttribute


def _object(value: Any, field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidValue(f"{field} must be a JSON object", fields=[field])
    return value


@strawberry.input(name="ConfigureAuthenticationInput", description="The authentication setup.")
class ConfigureAuthenticationInput:
    """Input of configureAuthentication (rule 11)."""

    type: AuthType = strawberry.field(description="INTERNAL or the IdP.")
    display_name: str | None = strawberry.field(default=None, description="IdP label.")
    config: JSON | None = strawberry.field(
        default=None, description="Non-secret settings by key (issuer, metadataUrl, clientId...)."
    )
    secrets: JSON | None = strawberry.field(
        default=None, description="Write-only secrets by key; null removes one; others are kept."
    )


@strawberry.type(
    name="ConfigureAuthenticationPayload", description="Result of configureAuthentication."
)
class ConfigureAuthenticationPayload:
    """Result of configureAuthentication."""

    authentication_settings: AuthenticationSettings | None = strawberry.field(
        description="The settings after the change."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing changed.")


@strawberry.input(
    name="UpdateProfileAttributeInput", description="Editable settings of an attribute."
)
class UpdateProfileAttributeInput:
    """Input of updateProfileAttribute (null keeps a setting)."""

    name: str = strawberry.field(description="Attribute variable name.")
    display_name: str | None = strawberry.field(default=None, description="New label.")
    description: str | None = strawberry.field(default=None, description="New description.")
    source_priority: SourcePriority | None = strawberry.field(
        default=None, description="Who masters it for IdP-owned users."
    )
    status: AttributeStatus | None = strawberry.field(
        default=None, description="VISIBLE or HIDDEN."
    )


@strawberry.input(name="CreateCustomAttributeInput", description="A new custom attribute.")
class CreateCustomAttributeInput:
    """Input of createCustomAttribute."""

    variable_name: str = strawberry.field(description="Immutable name (letters, digits, _).")
    display_name: str = strawberry.field(description="Label.")
    datatype: Datatype = strawberry.field(description="Immutable datatype.")
    description: str = strawberry.field(default="", description="Description.")


@strawberry.input(name="DeleteCustomAttributeInput", description="The custom attribute to delete.")
class DeleteCustomAttributeInput:
    """Input of deleteCustomAttribute (its values are removed too)."""

    name: str = strawberry.field(description="Attribute variable name.")


@strawberry.type(name="ProfileAttributePayload", description="The attribute a mutation wrote.")
class ProfileAttributePayload:
    """Result of a Profile Editor mutation."""

    profile_attribute: ProfileAttribute | None = strawberry.field(description="The attribute.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing changed.")


@strawberry.type(
    name="UpdateProfileAttributePayload", description="Result of updateProfileAttribute."
)
class UpdateProfileAttributePayload(ProfileAttributePayload):
    """Result of updateProfileAttribute."""


@strawberry.type(
    name="CreateCustomAttributePayload", description="Result of createCustomAttribute."
)
class CreateCustomAttributePayload(ProfileAttributePayload):
    """Result of createCustomAttribute."""


@strawberry.type(
    name="DeleteCustomAttributePayload", description="Result of deleteCustomAttribute."
)
class DeleteCustomAttributePayload(ProfileAttributePayload):
    """Result of deleteCustomAttribute (the deleted attribute)."""


def _attr(value: Attribute | None) -> ProfileAttribute | None:
    return ProfileAttribute.of(value) if value else None


@strawberry.type(name="SettingsMutations", description="Authentication and Profile Editor.")
class SettingsMutations:
    """Mutations on deployment settings."""

    @strawberry.mutation(
        description="Set the authentication type; refused with IDP_LOCKED (rule 11)."
    )
    async def configure_authentication(
        self, info: Info, input: ConfigureAuthenticationInput
    ) -> ConfigureAuthenticationPayload:
        async def act(tx: Tx, actor: Actor) -> auth_settings.AuthSettingsRecord:
            return await auth_settings.configure_authentication(
                tx,
                actor=actor,
                type=input.type,
                display_name=input.display_name,
                config=_object(input.config, "config"),
                secrets=_object(input.secrets, "secrets"),
            )

        record, errors = await run_mutation(info, act)
        settings = AuthenticationSettings.of(record) if record else None
        return ConfigureAuthenticationPayload(authentication_settings=settings, user_errors=errors)

    @strawberry.mutation(description="Change label, description, source priority or status.")
    async def update_profile_attribute(
        self, info: Info, input: UpdateProfileAttributeInput
    ) -> UpdateProfileAttributePayload:
        async def act(tx: Tx, actor: Actor) -> Attribute:
            return await catalogue.update_profile_attribute(
                tx,
                actor=actor,
                name=input.name,
                display_name=input.display_name,
                description=input.description,
                source_priority=input.source_priority,
                status=input.status,
            )

        record, errors = await run_mutation(info, act)
        info.context.forget_catalogue()
        return UpdateProfileAttributePayload(profile_attribute=_attr(record), user_errors=errors)

    @strawberry.mutation(description="Add a custom attribute (SCIM: the roster extension).")
    async def create_custom_attribute(
        self, info: Info, input: CreateCustomAttributeInput
    ) -> CreateCustomAttributePayload:
        async def act(tx: Tx, actor: Actor) -> Attribute:
            return await catalogue.create_custom_attribute(
                tx,
                actor=actor,
                variable_name=input.variable_name,
                display_name=input.display_name,
                datatype=input.datatype,
                description=input.description,
            )

        record, errors = await run_mutation(info, act)
        info.context.forget_catalogue()
        return CreateCustomAttributePayload(profile_attribute=_attr(record), user_errors=errors)

    @strawberry.mutation(description="Delete a custom attribute and every value of it.")
    async def delete_custom_attribute(
        self, info: Info, input: DeleteCustomAttributeInput
    ) -> DeleteCustomAttributePayload:
        async def act(tx: Tx, actor: Actor) -> Attribute:
            return await catalogue.delete_custom_attribute(tx, actor=actor, name=input.name)

        record, errors = await run_mutation(info, act)
        info.context.forget_catalogue()
        return DeleteCustomAttributePayload(profile_attribute=_attr(record), user_errors=errors)
