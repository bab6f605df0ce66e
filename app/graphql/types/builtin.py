"""The built-in Profile Editor attributes as GraphQL fields, named as the Profile Editor does."""

from __future__ import annotations

import strawberry
from strawberry import UNSET

# (attribute name, Python field name) of every built-in profile attribute but loginId.
BUILTIN_FIELDS: tuple[tuple[str, str], ...] = (
    ("firstName", "first_name"),
    ("lastName", "last_name"),
    ("middleName", "middle_name"),
    ("honorificPrefix", "honorific_prefix"),
    ("honorificSuffix", "honorific_suffix"),
    ("email", "email"),
    ("secondEmail", "second_email"),
    ("displayName", "display_name"),
    ("nickName", "nick_name"),
    ("title", "title"),
    ("profileUrl", "profile_url"),
    ("mobilePhone", "mobile_phone"),
    ("primaryPhone", "primary_phone"),
    ("streetAddress", "street_address"),
    ("city", "city"),
    ("state", "state"),
    ("zipCode", "zip_code"),
    ("countryCode", "country_code"),
    ("postalAddress", "postal_address"),
    ("preferredLanguage", "preferred_language"),
    ("locale", "locale"),
    ("timezone", "timezone"),
    ("userType", "user_type"),
    ("employeeNumber", "employee_number"),
    ("costCenter", "cost_center"),
    ("organization", "organization"),
    ("division", "division"),
    ("department", "department"),
    ("managerId", "manager_id"),
    ("manager", "manager"),
)


@strawberry.type(name="BuiltinProfile", description="The built-in profile attributes of a user.")
class BuiltinProfile:
    """One field per built-in profile attribute (null when unset).

    Every field defaults to None, so a user is built from the values its profile has only.
    """

    first_name: str | None = strawberry.field(
        default=None, description="First name (Profile Editor `firstName`; SCIM name.givenName)."
    )
    last_name: str | None = strawberry.field(
        default=None, description="Last name (Profile Editor `lastName`; SCIM name.familyName)."
    )
    middle_name: str | None = strawberry.field(
        default=None, description="Middle name (Profile Editor `middleName`; SCIM name.middleName)."
    )
    honorific_prefix: str | None = strawberry.field(
        default=None,
        description="Honorific prefix (Profile Editor `honorificPrefix`; SCIM "
        "name.honorificPrefix).",
    )
    honorific_suffix: str | None = strawberry.field(
        default=None,
        description="Honorific suffix (Profile Editor `honorificSuffix`; SCIM "
        "name.honorificSuffix).",
    )
    email: str | None = strawberry.field(
        default=None,
        description='Primary email (Profile Editor `email`; SCIM emails[type eq "work"].value).',
    )
    second_email: str | None = strawberry.field(
        default=None,
        description="Secondary email (Profile Editor `secondEmail`; SCIM "
        'emails[type eq "home"].value).',
    )
    display_name: str | None = strawberry.field(
        default=None, description="Display name (Profile Editor `displayName`; SCIM displayName)."
    )
    nick_name: str | None = strawberry.field(
        default=None, description="Nickname (Profile Editor `nickName`; SCIM nickName)."
    )
    title: str | None = strawberry.field(
        default=None, description="Title (Profile Editor `title`; SCIM title)."
    )
    profile_url: str | None = strawberry.field(
        default=None, description="Profile URL (Profile Editor `profileUrl`; SCIM profileUrl)."
    )
    mobile_phone: str | None = strawberry.field(
        default=None,
        description="Mobile phone (Profile Editor `mobilePhone`; SCIM "
        'phoneNumbers[type eq "mobile"].value).',
    )
    primary_phone: str | None = strawberry.field(
        default=None,
        description="Primary phone (Profile Editor `primaryPhone`; SCIM "
        'phoneNumbers[type eq "work"].value).',
    )
    street_address: str | None = strawberry.field(
        default=None,
        description="Street address (Profile Editor `streetAddress`; SCIM "
        'addresses[type eq "work"].streetAddress).',
    )
    city: str | None = strawberry.field(
        default=None,
        description='City (Profile Editor `city`; SCIM addresses[type eq "work"].locality).',
    )
    state: str | None = strawberry.field(
        default=None,
        description='State (Profile Editor `state`; SCIM addresses[type eq "work"].region).',
    )
    zip_code: str | None = strawberry.field(
        default=None,
        description="Zip code (Profile Editor `zipCode`; SCIM addresses[type eq "
        '"work"].postalCode).',
    )
    country_code: str | None = strawberry.field(
        default=None,
        description="Country code (Profile Editor `countryCode`; SCIM "
        'addresses[type eq "work"].country).',
    )
    postal_address: str | None = strawberry.field(
        default=None,
        description="Postal address (Profile Editor `postalAddress`; SCIM "
        'addresses[type eq "work"].formatted).',
    )
    preferred_language: str | None = strawberry.field(
        default=None,
        description="Preferred language (Profile Editor `preferredLanguage`; "
        "SCIM preferredLanguage).",
    )
    locale: str | None = strawberry.field(
        default=None, description="Locale (Profile Editor `locale`; SCIM locale)."
    )
    timezone: str | None = strawberry.field(
        default=None, description="Time zone (Profile Editor `timezone`; SCIM timezone)."
    )
    user_type: str | None = strawberry.field(
        default=None, description="User type (Profile Editor `userType`; SCIM userType)."
    )
    employee_number: str | None = strawberry.field(
        default=None,
        description="Employee number (Profile Editor `employeeNumber`; SCIM "
        "enterprise employeeNumber).",
    )
    cost_center: str | None = strawberry.field(
        default=None,
        description="Cost center (Profile Editor `costCenter`; SCIM enterprise costCenter).",
    )
    organization: str | None = strawberry.field(
        default=None,
        description="Organization (Profile Editor `organization`; SCIM enterprise organization).",
    )
    division: str | None = strawberry.field(
        default=None, description="Division (Profile Editor `division`; SCIM enterprise division)."
    )
    department: str | None = strawberry.field(
        default=None,
        description="Department (Profile Editor `department`; SCIM enterprise department).",
    )
    manager_id: str | None = strawberry.field(
        default=None,
        description="Manager id (Profile Editor `managerId`; SCIM enterprise manager.value).",
    )
    manager: str | None = strawberry.field(
        default=None,
        description="Manager (Profile Editor `manager`; SCIM enterprise manager.displayName).",
    )


@strawberry.input(
    name="BuiltinProfileInput", description="The built-in profile attributes, all optional."
)
class BuiltinProfileInput:
    """One optional field per built-in profile attribute."""

    first_name: str | None = strawberry.field(
        default=UNSET, description="First name (`firstName`); null clears, absent keeps."
    )
    last_name: str | None = strawberry.field(
        default=UNSET, description="Last name (`lastName`); null clears, absent keeps."
    )
    middle_name: str | None = strawberry.field(
        default=UNSET, description="Middle name (`middleName`); null clears, absent keeps."
    )
    honorific_prefix: str | None = strawberry.field(
        default=UNSET,
        description="Honorific prefix (`honorificPrefix`); null clears, absent keeps.",
    )
    honorific_suffix: str | None = strawberry.field(
        default=UNSET,
        description="Honorific suffix (`honorificSuffix`); null clears, absent keeps.",
    )
    email: str | None = strawberry.field(
        default=UNSET, description="Primary email (`email`); null clears, absent keeps."
    )
    second_email: str | None = strawberry.field(
        default=UNSET, description="Secondary email (`secondEmail`); null clears, absent keeps."
    )
    display_name: str | None = strawberry.field(
        default=UNSET, description="Display name (`displayName`); null clears, absent keeps."
    )
    nick_name: str | None = strawberry.field(
        default=UNSET, description="Nickname (`nickName`); null clears, absent keeps."
    )
    title: str | None = strawberry.field(
        default=UNSET, description="Title (`title`); null clears, absent keeps."
    )
    profile_url: str | None = strawberry.field(
        default=UNSET, description="Profile URL (`profileUrl`); null clears, absent keeps."
    )
    mobile_phone: str | None = strawberry.field(
        default=UNSET, description="Mobile phone (`mobilePhone`); null clears, absent keeps."
    )
    primary_phone: str | None = strawberry.field(
        default=UNSET, description="Primary phone (`primaryPhone`); null clears, absent keeps."
    )
    street_address: str | None = strawberry.field(
        default=UNSET, description="Street address (`streetAddress`); null clears, absent keeps."
    )
    city: str | None = strawberry.field(
        default=UNSET, description="City (`city`); null clears, absent keeps."
    )
    state: str | None = strawberry.field(
        default=UNSET, description="State (`state`); null clears, absent keeps."
    )
    zip_code: str | None = strawberry.field(
        default=UNSET, description="Zip code (`zipCode`); null clears, absent keeps."
    )
    country_code: str | None = strawberry.field(
        default=UNSET, description="Country code (`countryCode`); null clears, absent keeps."
    )
    postal_address: str | None = strawberry.field(
        default=UNSET, description="Postal address (`postalAddress`); null clears, absent keeps."
    )
    preferred_language: str | None = strawberry.field(
        default=UNSET,
        description="Preferred language (`preferredLanguage`); null clears, absent keeps.",
    )
    locale: str | None = strawberry.field(
        default=UNSET, description="Locale (`locale`); null clears, absent keeps."
    )
    timezone: str | None = strawberry.field(
        default=UNSET, description="Time zone (`timezone`); null clears, absent keeps."
    )
    user_type: str | None = strawberry.field(
        default=UNSET, description="User type (`userType`); null clears, absent keeps."
    )
    employee_number: str | None = strawberry.field(
        default=UNSET, description="Employee number (`employeeNumber`); null clears, absent keeps."
    )
    cost_center: str | None = strawberry.field(
        default=UNSET, description="Cost center (`costCenter`); null clears, absent keeps."
    )
    organization: str | None = strawberry.field(
        default=UNSET, description="Organization (`organization`); null clears, absent keeps."
    )
    division: str | None = strawberry.field(
        default=UNSET, description="Division (`division`); null clears, absent keeps."
    )
    department: str | None = strawberry.field(
        default=UNSET, description="Department (`department`); null clears, absent keeps."
    )
    manager_id: str | None = strawberry.field(
        default=UNSET, description="Manager id (`managerId`); null clears, absent keeps."
    )
    manager: str | None = strawberry.field(
        default=UNSET, description="Manager (`manager`); null clears, absent keeps."
    )


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
