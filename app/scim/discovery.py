"""Discovery documents (RFC 7643 §5-§7, RFC 7644 §4), built with scim2-models.

The Schemas list exactly what Roster stores: the core User attributes and enterprise
attributes the Profile Editor maps, and the roster extension with the live catalogue's custom
attributes. `scim_documents` gives the published contracts for the built-in catalogue
(``schema/scim/*.json``; a test fails when they drift).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scim2_models import (
    Attribute,
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    EnterpriseUser,
    ETag,
    Filter,
    Group,
    Meta,
    Mutability,
    Pagination,
    Patch,
    Required,
    ResourceType,
    Returned,
    Schema,
    SchemaExtension,
    ServiceProviderConfig,
    Sort,
    User,
)

from app.domain.settings.catalogue import Attribute as CatalogueAttribute
from app.domain.settings.catalogue import Catalogue
from app.domain.types import AttributeStatus, Datatype, SourcePriority
from app.scim.extras import KEPT_SUBS, MULTI_VALUED
from app.scim.mapping import Slot, UserMapping
from app.scim.openapi import openapi_document
from app.scim.wire import ENTERPRISE_URN, GROUP_URN, MOUNT, ROSTER_URN, USER_URN
from app.settings import Settings

ENT = ENTERPRISE_URN
# The built-in Profile Editor attributes and their SCIM paths (seeded by the first migration;
# scim_path cannot be edited, and a test checks this list against the seeded catalogue).
BUILTIN_PATHS: tuple[tuple[str, str], ...] = (
    ("firstName", "name.givenName"),
    ("lastName", "name.familyName"),
    ("middleName", "name.middleName"),
    ("honorificPrefix", "name.honorificPrefix"),
    ("honorificSuffix", "name.honorificSuffix"),
    ("email", 'emails[type eq "work"].value'),
    ("secondEmail", 'emails[type eq "home"].value'),
    ("displayName", "displayName"),
    ("nickName", "nickName"),
    ("title", "title"),
    ("profileUrl", "profileUrl"),
    ("mobilePhone", 'phoneNumbers[type eq "mobile"].value'),
    ("primaryPhone", 'phoneNumbers[type eq "work"].value'),
    ("streetAddress", 'addresses[type eq "work"].streetAddress'),
    ("city", 'addresses[type eq "work"].locality'),
    ("state", 'addresses[type eq "work"].region'),
    ("zipCode", 'addresses[type eq "work"].postalCode'),
    ("countryCode", 'addresses[type eq "work"].country'),
    ("postalAddress", 'addresses[type eq "work"].formatted'),
    ("preferredLanguage", "preferredLanguage"),
    ("locale", "locale"),
    ("timezone", "timezone"),
    ("userType", "userType"),
    ("employeeNumber", f"{ENT}:employeeNumber"),
    ("costCenter", f"{ENT}:costCenter"),
    ("organization", f"{ENT}:organization"),
    ("division", f"{ENT}:division"),
    ("department", f"{ENT}:department"),
    ("managerId", f"{ENT}:manager.value"),
    ("manager", f"{ENT}:manager.displayName"),
)


def builtin_catalogue() -> Catalogue:
    """The catalogue as seeded, without custom attributes."""
    attrs = tuple(
        CatalogueAttribute(
            name=name,
            display_name=name,
            datatype=Datatype.IDENTIFIER if name == "managerId" else Datatype.STRING,
            description="",
            builtin=True,
            source_priority=SourcePriority.INHERIT_FROM_IDP,
            status=AttributeStatus.VISIBLE,
            scim_path=path,
            position=i,
            version=1,
            created_at="",
            updated_at="",
        )
        for i, (name, path) in enumerate(BUILTIN_PATHS)
    )
    return Catalogue(0, attrs)


def _subs(slots: Iterable[Slot], attr: str) -> set[str]:
    found = {s.sub or "value" for s in slots if s.attr == attr} | KEPT_SUBS.get(attr, set())
    return found | {"type", "primary"} if attr in MULTI_VALUED else found


_NEVER = {"returned": Returned.never}


def _returned(found: Attribute, slots: list[Slot]) -> Attribute:
    """``returned: never`` (RFC 7643 §7) where every value an attribute or sub-attribute
    carries is HIDDEN. A typed element of a multi-valued attribute (`phoneNumbers[type eq
    "mobile"]`) has no schema entry of its own, so its status cannot be advertised there."""
    mine = [s for s in slots if s.attr == found.name]
    if mine and all(s.hidden and s.type is None for s in mine):
        return found.model_copy(update=_NEVER)
    hidden = {s.sub for s in mine if s.hidden and s.type is None and s.sub}
    if not hidden or not found.sub_attributes:
        return found
    subs = [a.model_copy(update=_NEVER) if a.name in hidden else a for a in found.sub_attributes]
    return found.model_copy(update={"sub_attributes": subs})


def _filtered(schema: Schema, slots: list[Slot], keep: set[str]) -> list[Attribute]:
    out = []
    for found in schema.attributes or []:
        name = found.name or ""
        if name not in keep and not any(s.attr == name for s in slots):
            continue
        if found.sub_attributes and name != "groups":
            subs = _subs(slots, name)
            kept = [a for a in found.sub_attributes if a.name in subs]
            found = found.model_copy(update={"sub_attributes": kept})  # noqa: PLW2901
        out.append(_returned(found, slots))
    return out


_TYPES = {
    Datatype.NUMBER: Attribute.Type.decimal,
    Datatype.STRING: Attribute.Type.string,
    Datatype.STRING_ARRAY: Attribute.Type.string,
    Datatype.IDENTIFIER: Attribute.Type.string,
}


def _custom(catalogue: Catalogue) -> list[Attribute]:
    custom = [a for a in catalogue.profile_attributes if not a.builtin]
    return [
        Attribute(
            name=a.name,
            type=_TYPES[a.datatype],
            multi_valued=a.datatype is Datatype.STRING_ARRAY,
            description=a.description or a.display_name,
            case_exact=a.datatype is Datatype.IDENTIFIER,
            **({"returned": Returned.never} if a.status is AttributeStatus.HIDDEN else {}),
        )
        for a in custom
    ]


def _user_attributes(core: list[Slot]) -> list[Attribute]:
    # `active` is required: every user has a status (PATCH cannot remove it, only set it false),
    # and Okta requires the attribute.
    keep = {"userName", "active", "groups", *KEPT_SUBS}  # KEPT_SUBS: app.scim.extras
    found = _filtered(User.to_schema(), core, keep)
    return [
        a.model_copy(update={"required": Required.true}) if a.name == "active" else a for a in found
    ]


def _group_attributes() -> list[Attribute]:
    # A member's display is derived from the user (its displayName, else its loginId), so
    # readOnly; it is returned by default (Microsoft's SCIM reference tests read it).
    derived = {"mutability": Mutability.read_only}
    out = []
    for found in Group.to_schema().attributes or []:
        if found.name == "members":
            subs = [
                a.model_copy(update=derived) if a.name == "display" else a
                for a in found.sub_attributes or []
            ]
            found = found.model_copy(update={"sub_attributes": subs})  # noqa: PLW2901
        out.append(found)
    return out


def _schema(urn: str, name: str, description: str, attrs: list[Attribute], base: str) -> Any:
    meta = Meta(resource_type="Schema", location=f"{base}/Schemas/{urn}")
    doc = Schema(id=urn, name=name, description=description, attributes=attrs, meta=meta)
    return doc.model_dump()


def schemas(catalogue: Catalogue, base: str) -> list[dict[str, Any]]:
    """The Schema resources for this catalogue."""
    slots = list(UserMapping(catalogue).slots)
    core = [s for s in slots if s.urn is None]
    ent = [s for s in slots if s.urn == ENT]
    ent_attrs = _filtered(EnterpriseUser.to_schema(), ent, set())
    return [
        _schema(USER_URN, "User", "User Account", _user_attributes(core), base),
        _schema(ENT, "EnterpriseUser", "Enterprise User", ent_attrs, base),
        _schema(ROSTER_URN, "RosterUser", "Roster custom attributes", _custom(catalogue), base),
        _schema(GROUP_URN, "Group", "Group", _group_attributes(), base),
    ]


def resource_types(catalogue: Catalogue, base: str) -> list[dict[str, Any]]:
    """The User and Group ResourceType resources.

    The roster extension is offered only while the catalogue has custom attributes: with none
    it holds nothing, and a User never carries it (its Schema is listed all the same).
    """
    extensions = [SchemaExtension(schema_=ENT, required=False)]
    if any(not a.builtin for a in catalogue.profile_attributes):
        extensions.append(SchemaExtension(schema_=ROSTER_URN, required=False))
    return [
        _resource_type(base, "User", "User Account", USER_URN, extensions),
        _resource_type(base, "Group", "Group", GROUP_URN),
    ]


def _resource_type(
    base: str,
    name: str,
    description: str,
    urn: str,
    extensions: list[SchemaExtension] | None = None,
) -> dict[str, Any]:
    """One ResourceType resource: ``name`` is its id too, served at /{name}s."""
    return ResourceType(
        id=name,
        name=name,
        description=description,
        endpoint=f"/{name}s",
        schema_=urn,
        schema_extensions=extensions,
        meta=Meta(resource_type="ResourceType", location=f"{base}/ResourceTypes/{name}"),
    ).model_dump()


def service_provider_config(settings: Settings, base: str) -> dict[str, Any]:
    """What this service provider implements, and nothing more."""
    config = ServiceProviderConfig(
        documentation_uri=f"{base}/openapi.json",
        patch=Patch(supported=True),
        bulk=Bulk(
            supported=True,
            max_operations=settings.scim_bulk_max_operations,
            max_payload_size=settings.scim_bulk_max_payload_bytes,
        ),
        filter=Filter(supported=True, max_results=settings.scim_max_page_size),
        # RFC 9865 §4: cursors on /Users and /Groups (and their .search); startIndex by default.
        pagination=Pagination(
            cursor=True,
            index=True,
            default_pagination_method=Pagination.DefaultPaginationMethod.index,
            default_page_size=settings.scim_default_page_size,
            max_page_size=settings.scim_max_page_size,
            cursor_timeout=settings.scim_cursor_timeout_seconds,
        ),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=True),
        etag=ETag(supported=True),
        authentication_schemes=[
            AuthenticationScheme(
                type="oauthbearertoken",
                name="OAuth Bearer Token",
                description="A Roster SCIM token in the Authorization header (Bearer).",
                primary=True,
            )
        ],
        meta=Meta(resource_type="ServiceProviderConfig", location=f"{base}/ServiceProviderConfig"),
    )
    return config.model_dump()


def scim_documents(settings: Settings) -> dict[str, object]:
    """The published contracts for the built-in catalogue (``make schema``)."""
    base = settings.base_url + MOUNT
    return {
        "Schemas": schemas(builtin_catalogue(), base),
        "ResourceTypes": resource_types(builtin_catalogue(), base),
        "ServiceProviderConfig": service_provider_config(settings, base),
        "openapi": openapi_document(settings),
    }
