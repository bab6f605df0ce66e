"""The Profile Editor catalogue and per-user attribute values with their capabilities."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from app.domain.settings.catalogue import Attribute
from app.domain.types import AttributeStatus, Datatype, SourcePriority
from app.graphql.ids import to_global_id
from app.graphql.scalars import DateTime
from app.graphql.types.common import Node


@strawberry.enum(name="ValueSource", description="Which system masters a value of this user.")
class ValueSource(Enum):
    """IDP when the user's IdP owns the value, LOCAL when Roster does."""

    IDP = "IDP"
    LOCAL = "LOCAL"


@strawberry.type(name="ProfileAttribute", description="A Profile Editor catalogue entry.")
class ProfileAttribute(Node):
    """One built-in or custom profile attribute."""

    name: str = strawberry.field(description="Variable name (immutable), e.g. firstName.")
    display_name: str = strawberry.field(description="Label shown in consoles.")
    datatype: Datatype = strawberry.field(description="Datatype (immutable).")
    description: str = strawberry.field(description="Free-text description.")
    builtin: bool = strawberry.field(description="Built in (cannot be deleted).")
    source_priority: SourcePriority = strawberry.field(
        description="INHERIT_FROM_IDP: the IdP masters it for IdP-owned users."
    )
    status: AttributeStatus = strawberry.field(description="VISIBLE or HIDDEN.")
    always_visible: bool = strawberry.field(
        description="loginId, email and displayName can never be hidden."
    )
    scim_path: str | None = strawberry.field(description="The SCIM attribute path it maps to.")
    position: int = strawberry.field(description="Display order.")
    version: int = strawberry.field(description="Grows with every change of this entry.")
    created_at: DateTime = strawberry.field(description="When it was added.")
    updated_at: DateTime = strawberry.field(description="When it last changed.")

    @staticmethod
    def of(attr: Attribute) -> ProfileAttribute:
        """The GraphQL view of a catalogue entry."""
        return ProfileAttribute(
            id=strawberry.ID(to_global_id("ProfileAttribute", attr.name)),
            name=attr.name,
            display_name=attr.display_name,
            datatype=Datatype(attr.datatype),
            description=attr.description,
            builtin=attr.builtin,
            source_priority=SourcePriority(attr.source_priority),
            status=AttributeStatus(attr.status),
            always_visible=attr.name in ("loginId", "email", "displayName"),
            scim_path=attr.scim_path,
            position=attr.position,
            version=attr.version,
            created_at=DateTime(attr.created_at),
            updated_at=DateTime(attr.updated_at),
        )


@strawberry.type(
    name="ProfileAttributeValue",
    description="One attribute of one user, with who masters it and whether the viewer may edit.",
)
class ProfileAttributeValue:
    """A user's value of one catalogue attribute."""

    name: str = strawberry.field(description="Attribute variable name.")
    display_name: str = strawberry.field(description="Attribute label.")
    datatype: Datatype = strawberry.field(description="Attribute datatype.")
    value: JSON | None = strawberry.field(
        description="The value (string, number or list of strings), null when unset, and"
        " null for a HIDDEN attribute when the viewer cannot edit users (VIEWER)."
    )
    source: ValueSource = strawberry.field(
        description="IDP when the user's IdP masters this value (rule 3), else LOCAL."
    )
    editable: bool = strawberry.field(
        description="True exactly when the viewer could change this value through updateUser."
    )
    visible: bool = strawberry.field(
        description="The attribute's status is VISIBLE (HIDDEN: never exported over SCIM, and"
        " its values withheld from VIEWERs)."
    )


@strawberry.input(name="AttributeValueInput", description="A value for one custom attribute.")
class AttributeValueInput:
    """Name and value of a custom (or built-in) profile attribute."""

    name: str = strawberry.field(description="Attribute variable name.")
    value: JSON | None = strawberry.field(
        description="String, number or list of strings per the datatype; null clears."
    )


def custom_values(values: list[AttributeValueInput] | None) -> dict[str, Any]:
    """Attribute values of an input list, by name."""
    return {v.name: v.value for v in values or []}
