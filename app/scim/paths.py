"""SCIM attribute paths resolved against the schema and the Profile Editor catalogue.

Users have the RFC 7643 core and enterprise attributes plus one custom attribute per
catalogue entry (``urn:ietf:params:scim:schemas:extension:roster:2.0:User:<name>``); where a
value is stored comes from each catalogue attribute's ``scim_path``, so a new custom attribute
is filterable and sortable at once. Attribute names and schema URNs are case-insensitive
(RFC 7644 §3.10). Multi-valued attributes are the elements the catalogue maps
(``emails[type eq "work"].value`` → profile ``email``); the ``work`` element is the primary
one, as `app.scim.mapping` renders it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from app.domain.settings.catalogue import Attribute, Catalogue
from app.domain.types import Datatype

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PRIMARY_TYPE = "work"

Kind = Literal["string", "boolean", "dateTime", "number"]
Key = tuple[str, str]  # (schema URN, attribute name), both lower-case

_MAPPING = re.compile(
    r'^(?:(?P<urn>urn:.+):)?(?P<attr>[A-Za-z][\w$]*)(?:\[type eq "(?P<type>[^"]*)"\])?'
    r"(?:\.(?P<sub>[A-Za-z$][\w$]*))?$"
)
_MULTI_SUBS = frozenset({"value", "display", "type", "primary"})
_ADDRESS_SUBS = frozenset(
    {"formatted", "streetaddress", "locality", "region", "postalcode", "country", "type", "primary"}
)
_NAME_SUBS = (
    "formatted",
    "familyName",
    "givenName",
    "middleName",
    "honorificPrefix",
    "honorificSuffix",
)
_MULTI = {
    "emails": _MULTI_SUBS,
    "phonenumbers": _MULTI_SUBS,
    "ims": _MULTI_SUBS,
    "photos": _MULTI_SUBS,
    "addresses": _ADDRESS_SUBS,
    "entitlements": _MULTI_SUBS,
    "roles": _MULTI_SUBS,
    "x509certificates": _MULTI_SUBS,
}


@dataclass(frozen=True, slots=True)
class Target:
    """A single value: a domain field, a constant (``const``), or nothing stored (both None)."""

    field: str | None
    kind: Kind = "string"
    case_exact: bool = False
    const: str | bool | None = None
    sortable: bool = True


ABSENT = Target(None, sortable=False)


@dataclass(frozen=True, slots=True)
class Complex:
    """A single-valued complex attribute (``name``, ``manager``, ``meta``)."""

    subs: dict[str, Target]
    default_sub: str | None = None


@dataclass(frozen=True, slots=True)
class Element:
    """One element of a multi-valued attribute, as the catalogue maps it."""

    type: str
    subs: dict[str, Target]

    @property
    def primary(self) -> bool:
        """The element rendered with ``primary: true``."""
        return self.type == PRIMARY_TYPE


@dataclass(slots=True)
class Multi:
    """A multi-valued complex attribute stored in the profile, element by element."""

    known_subs: frozenset[str]
    elements: list[Element] = field(default_factory=list)
    default_sub: str | None = "value"


@dataclass(frozen=True, slots=True)
class Relation:
    """A multi-valued reference held in the memberships table (``members``, ``groups``)."""

    field: str
    known_subs: frozenset[str] = frozenset({"value", "display", "type", "$ref"})


@dataclass(frozen=True, slots=True)
class Schemas:
    """``schemas``: the core URN always, an extension URN when the resource has a value there."""

    core: str
    extensions: dict[str, tuple[str, ...]]  # lower-case URN → the fields stored under it


Resolved = Target | Complex | Multi | Relation | Schemas


def _meta(resource_type: str) -> Complex:
    """``meta`` of a resource of this type (its resourceType a constant)."""
    return Complex(
        {
            "created": Target("createdAt", "dateTime", True),
            "lastmodified": Target("updatedAt", "dateTime", True),
            "resourcetype": Target(None, const=resource_type, case_exact=True, sortable=False),
        }
    )


def _kind(attr: Attribute) -> tuple[Kind, bool]:
    if attr.datatype is Datatype.NUMBER:
        return "number", True
    return "string", attr.datatype is Datatype.IDENTIFIER


def _user_base() -> dict[Key, Resolved]:
    core, ent = USER_URN.lower(), ENTERPRISE_URN.lower()
    return {
        (core, "id"): Target("id", case_exact=True),
        (core, "externalid"): Target("externalId", case_exact=True),
        (core, "username"): Target("loginId"),
        (core, "active"): Target("active", "boolean", sortable=False),
        (core, "meta"): _meta("User"),
        (core, "groups"): Relation("groupId"),
        (core, "name"): Complex({s.lower(): ABSENT for s in _NAME_SUBS}),
        (ent, "manager"): Complex(
            {"value": ABSENT, "$ref": ABSENT, "displayname": ABSENT}, "value"
        ),
        **{
            (core, m): Multi(subs, default_sub=None if m == "addresses" else "value")
            for m, subs in _MULTI.items()
        },
    }


def _add_mapping(schema: dict[Key, Resolved], attr: Attribute) -> None:
    m = _MAPPING.match(attr.scim_path or "")
    if m is None or attr.name == "loginId":
        return
    urn = (m["urn"] or USER_URN).lower()
    key, sub = (urn, m["attr"].lower()), (m["sub"] or "").lower()
    kind, exact = _kind(attr)
    target = Target(
        f"profile.{attr.name}", kind, exact, sortable=attr.datatype != Datatype.STRING_ARRAY
    )
    node = schema.get(key)
    if m["type"] is not None and isinstance(node, Multi):
        element = next((e for e in node.elements if e.type == m["type"]), None)
        if element is None:
            element = Element(m["type"], {})
            node.elements.append(element)
        element.subs[sub or "value"] = target
    elif sub and isinstance(node, Complex):
        node.subs[sub] = target
    elif sub and node is None:
        schema[key] = Complex({sub: target})
    elif not sub and m["type"] is None:
        schema[key] = target


def user_schema(catalogue: Catalogue) -> dict[Key, Resolved]:
    """Every filterable User attribute, keyed by (schema URN, name) in lower case."""
    schema = _user_base()
    extensions: dict[str, list[str]] = {}
    for attr in catalogue.profile_attributes:
        _add_mapping(schema, attr)
        m = _MAPPING.match(attr.scim_path or "")
        if m is not None and m["urn"] and m["urn"].lower() != USER_URN.lower():
            extensions.setdefault(m["urn"].lower(), []).append(f"profile.{attr.name}")
    found = {urn: tuple(fields) for urn, fields in extensions.items()}
    schema[USER_URN.lower(), "schemas"] = Schemas(USER_URN.lower(), found)
    return schema


def group_schema() -> dict[Key, Resolved]:
    """Every filterable Group attribute, keyed by (schema URN, name) in lower case."""
    core = GROUP_URN.lower()
    return {
        (core, "id"): Target("id", case_exact=True),
        (core, "externalid"): Target("externalId", case_exact=True),
        (core, "displayname"): Target("displayName"),
        (core, "meta"): _meta("Group"),
        (core, "members"): Relation("memberId"),
        (core, "schemas"): Schemas(core, {}),
    }
