"""The built-in Profile Editor attributes as GraphQL fields, named as the Profile Editor does.

Both types hold one field per attribute, declared once in `_ATTRIBUTES` (name, label, where
SCIM carries it): `BuiltinProfile` (read, null when unset) and `BuiltinProfileInput` (write,
absent keeps, null clears)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

import strawberry
from strawberry import UNSET

# (attribute name, label, SCIM attribute) of every built-in profile attribute but loginId.
_ATTRIBUTES: tuple[tuple[str, str, str], ...] = (
    ("firstName", "First name", "name.givenName"),
    ("lastName", "Last name", "name.familyName"),
    ("middleName", "Middle name", "name.middleName"),
    ("honorificPrefix", "Honorific prefix", "name.honorificPrefix"),
    ("honorificSuffix", "Honorific suffix", "name.honorificSuffix"),
    ("email", "Primary email", 'emails[type eq "work"].value'),
    ("secondEmail", "Secondary email", 'emails[type eq "home"].value'),
    ("displayName", "Display name", "displayName"),
    ("nickName", "Nickname", "nickName"),
    ("title", "Title", "title"),
    ("profileUrl", "Profile URL", "profileUrl"),
    ("mobilePhone", "Mobile phone", 'phoneNumbers[type eq "mobile"].value'),
    ("primaryPhone", "Primary phone", 'phoneNumbers[type eq "work"].value'),
    ("streetAddress", "Street address", 'addresses[type eq "work"].streetAddress'),
    ("city", "City", 'addresses[type eq "work"].locality'),
    ("state", "State", 'addresses[type eq "work"].region'),
    ("zipCode", "Zip code", 'addresses[type eq "work"].postalCode'),
    ("countryCode", "Country code", 'addresses[type eq "work"].country'),
    ("postalAddress", "Postal address", 'addresses[type eq "work"].formatted'),
    ("preferredLanguage", "Preferred language", "preferredLanguage"),
    ("locale", "Locale", "locale"),
    ("timezone", "Time zone", "timezone"),
    ("userType", "User type", "userType"),
    ("employeeNumber", "Employee number", "enterprise employeeNumber"),
    ("costCenter", "Cost center", "enterprise costCenter"),
    ("organization", "Organization", "enterprise organization"),
    ("division", "Division", "enterprise division"),
    ("department", "Department", "enterprise department"),
    ("managerId", "Manager id", "enterprise manager.value"),
    ("manager", "Manager", "enterprise manager.displayName"),
)


def _python_name(attribute: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), attribute)


# (attribute name, Python field name) of every built-in profile attribute but loginId.
BUILTIN_FIELDS: tuple[tuple[str, str], ...] = tuple((a, _python_name(a)) for a, _, _ in _ATTRIBUTES)

C = TypeVar("C", bound=type)


def _fields(default: Any, describe: Callable[[str, str, str], str]) -> Callable[[C], C]:
    """Give the class one optional text field per attribute, before Strawberry reads it."""

    def add(cls: C) -> C:
        for (attribute, label, scim), (_, name) in zip(_ATTRIBUTES, BUILTIN_FIELDS, strict=True):
            cls.__annotations__[name] = "str | None"
            field = strawberry.field(default=default, description=describe(attribute, label, scim))
            setattr(cls, name, field)
        return cls

    return add


@strawberry.type(name="BuiltinProfile", description="The built-in profile attributes of a user.")
@_fields(
    None, lambda attribute, label, scim: f"{label} (Profile Editor `{attribute}`; SCIM {scim})."
)
class BuiltinProfile:
    """One field per built-in profile attribute (null when unset).

    Every field defaults to None, so a user is built from the values its profile has only.
    """


@strawberry.input(
    name="BuiltinProfileInput", description="The built-in profile attributes, all optional."
)
@_fields(UNSET, lambda attribute, label, _: f"{label} (`{attribute}`); null clears, absent keeps.")
class BuiltinProfileInput:
    """One optional field per built-in profile attribute."""


_PYTHON_NAMES = dict(BUILTIN_FIELDS)


def builtin_values(record_profile: dict[str, object]) -> dict[str, object]:
    """Keyword arguments for the `BuiltinProfile` fields a stored profile has values for."""
    names = _PYTHON_NAMES
    return {names[k]: v for k, v in record_profile.items() if k in names}


def builtin_input(data: BuiltinProfileInput) -> dict[str, object]:
    """The attributes an input names (explicit null included, absent left out)."""
    out: dict[str, object] = {}
    for name, py in BUILTIN_FIELDS:
        value = getattr(data, py)
        if value is not UNSET:
            out[name] = value
    return out
