# mypy: disable-error-code="untyped-decorator"
# (strawberry.field/mutation(...) with arguments is typed Any: it doubles as a dataclass field)
"""Authentication, Profile Editor, provisioning and token mutations."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from strawberry import UNSET
from strawberry.scalars import JSON

from app.db import Tx
from app.domain.settings import attributes, authentication
from app.domain.settings.catalogue import Attribute
from app.domain.types import KEEP, Actor, AttributeStatus, AuthType, Datatype, SourcePriority
from app.errors import InvalidValue
from app.graphql.context import Info
from app.graphql.errors import UserError
from app.graphql.mutations.base import Payload, run_mutation
from app.graphql.types.admin import AuthenticationSettings
from app.graphql.types.catalogue import ProfileAttribute


def _object(value: Any, field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidValue(f"{field} must be a JSON object", fields=[field])
    return value


@strawberry.input(
    name="ConfigureAuthenticationInput",
    description="The authentication setup; an omitted field keeps the stored value.",
)
class ConfigureAuthenticationInput:
    """Input of configureAuthentication (rule 11; omitted keeps, null clears: rule 18)."""

    type: AuthType = strawberry.field(description="INTERNAL or the IdP.")
    display_name: str | None = strawberry.field(
        default=UNSET, description="IdP label; absent keeps, null clears."
    )
    config: JSON | None = strawberry.field(
        default=None,
        description="Non-secret settings by key (issuer, metadataUrl, clientId...), merged into"
        " the stored ones: a given key is set, a key given as null is removed, keys not given"
        " are kept (absent or null config keeps them all).",
    )
    secrets: JSON | None = strawberry.field(
        default=None, description="Write-only secrets by key; null removes one; others are kept."
    )


@strawberry.type(
    name="ConfigureAuthenticationPayload", description="Result of configureAuthentication."
)
class ConfigureAuthenticationPayload(Payload):
    """Result of configureAuthentication."""

    authentication_settings: AuthenticationSettings | None = strawberry.field(
        description="The settings after the change."
    )


@strawberry.input(
    name="UpdateProfileAttributeInput",
    description="Editable settings of an attribute; an absent field keeps the stored value.",
)
class UpdateProfileAttributeInput:
    """Input of updateProfileAttribute (omitted keeps, null clears: rule 18)."""

    name: str = strawberry.field(description="Attribute variable name.")
    display_name: str | None = strawberry.field(
        default=UNSET, description="New label; absent keeps; null is refused (a label is needed)."
    )
    description: str | None = strawberry.field(
        default=UNSET, description="New description; absent keeps, null clears."
    )
    source_priority: SourcePriority | None = strawberry.field(
        default=UNSET,
        description="Who masters it for IdP-owned users; absent keeps; null is refused.",
    )
    status: AttributeStatus | None = strawberry.field(
        default=UNSET, description="VISIBLE or HIDDEN; absent keeps; null is refused."
    )

    def required(self) -> dict[str, Any]:
        """The settings that cannot be cleared, None when absent; raises InvalidValue on null."""
        given = {
            "displayName": self.display_name,
            "sourcePriority": self.source_priority,
            "status": self.status,
        }
        nulls = [k for k, v in given.items() if v is None]
        if nulls:
            raise InvalidValue(f"{', '.join(nulls)} cannot be cleared", fields=nulls)
        return {k: None if v is UNSET else v for k, v in given.items()}

    def cleared_description(self) -> str | None:
        """The new description ("" when null clears it), None when absent."""
        if self.description is UNSET:
            return None
        return self.description or ""


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
class ProfileAttributePayload(Payload):
    """Result of a Profile Editor mutation."""

    profile_attribute: ProfileAttribute | None = strawberry.field(description="The attribute.")


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


async def _write_attribute(
    info: Info, act: Callable[[Tx, Actor], Awaitable[Attribute]]
) -> tuple[ProfileAttribute | None, list[UserError]]:
    """Run a Profile Editor write: the attribute it wrote, or why not; either way the
    request's cached catalogue is forgotten, so later fields read the new one."""
    record, errors = await run_mutation(info, act)
    info.context.forget_catalogue()
    return (ProfileAttribute.of(record) if record else None), errors


@strawberry.type(name="SettingsMutations", description="Authentication and Profile Editor.")
class SettingsMutations:
    """Mutations on deployment settings."""

    @strawberry.mutation(
        description="Set the authentication type; refused with IDP_LOCKED (rule 11)."
    )
    async def configure_authentication(
        self, info: Info, input: ConfigureAuthenticationInput
    ) -> ConfigureAuthenticationPayload:
        async def act(tx: Tx, actor: Actor) -> authentication.AuthSettingsRecord:
            return await authentication.configure_authentication(
                tx,
                actor=actor,
                type=input.type,
                display_name=KEEP if input.display_name is UNSET else input.display_name,
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
            given = input.required()
            return await attributes.update_profile_attribute(
                tx,
                actor=actor,
                name=input.name,
                display_name=given["displayName"],
                description=input.cleared_description(),
                source_priority=given["sourcePriority"],
                status=given["status"],
            )

        attribute, errors = await _write_attribute(info, act)
        return UpdateProfileAttributePayload(profile_attribute=attribute, user_errors=errors)

    @strawberry.mutation(description="Add a custom attribute (SCIM: the roster extension).")
    async def create_custom_attribute(
        self, info: Info, input: CreateCustomAttributeInput
    ) -> CreateCustomAttributePayload:
        async def act(tx: Tx, actor: Actor) -> Attribute:
            return await attributes.create_custom_attribute(
                tx,
                actor=actor,
                variable_name=input.variable_name,
                display_name=input.display_name,
                datatype=input.datatype,
                description=input.description,
            )

        attribute, errors = await _write_attribute(info, act)
        return CreateCustomAttributePayload(profile_attribute=attribute, user_errors=errors)

    @strawberry.mutation(description="Delete a custom attribute and every value of it.")
    async def delete_custom_attribute(
        self, info: Info, input: DeleteCustomAttributeInput
    ) -> DeleteCustomAttributePayload:
        async def act(tx: Tx, actor: Actor) -> Attribute:
            return await attributes.delete_custom_attribute(tx, actor=actor, name=input.name)

        attribute, errors = await _write_attribute(info, act)
        return DeleteCustomAttributePayload(profile_attribute=attribute, user_errors=errors)
