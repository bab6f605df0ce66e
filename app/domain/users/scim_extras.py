"""What an IdP sent over SCIM that no Profile Editor attribute maps (``users.scim_extras``).

The SCIM adapter (app.scim.extras) decides what goes here: per multi-valued attribute
(emails, phoneNumbers, addresses), ``extra`` lists the elements of unmapped types and
``primary`` the primary flags of mapped ones. It is stored and returned to the IdP, never a
profile value; the rule here is only that it is checked like profile values before it is kept.
"""

from __future__ import annotations

from typing import Any

from app.domain.settings.catalogue import Catalogue
from app.domain.settings.values import MAX_STRING, validate_value
from app.errors import InvalidValue

# The multi-valued SCIM attributes whose unmapped elements are kept, and how many of them;
# `name` keeps the sub-attributes no profile attribute maps (`formatted`).
MULTI_EXTRAS = frozenset(
    {"emails", "phoneNumbers", "addresses", "ims", "photos", "x509Certificates"}
)
EXTRAS_ATTRIBUTES = MULTI_EXTRAS | {"name"}
MAX_EXTRAS = 20
MAX_CERTIFICATE = 16384  # a base64 DER certificate is longer than a profile string
_EXTRAS_KEYS = frozenset({"extra", "primary"})


def _bad_extras(attr: str, why: str) -> InvalidValue:
    return InvalidValue(why, fields=[attr])


def _check_extra_value(attr: str, key: Any, value: Any) -> None:
    limit = MAX_CERTIFICATE if attr == "x509Certificates" and key == "value" else MAX_STRING
    if key == "primary":
        if not isinstance(value, bool):
            raise _bad_extras(attr, "primary must be a boolean")
    elif not isinstance(key, str) or len(key) > 64 or not isinstance(value, str):
        raise _bad_extras(attr, f"{key} must be a string")
    elif len(value) > limit:
        raise _bad_extras(attr, f"{key} is longer than {limit} characters")


def _extra_element(catalogue: Catalogue, attr: str, element: Any) -> dict[str, Any]:
    if not isinstance(element, dict) or not element:
        raise _bad_extras(attr, "each element must be a non-empty object")
    for key, value in element.items():
        _check_extra_value(attr, key, value)
    email = catalogue.get("email")
    if attr == "emails" and email is not None and "value" in element:
        try:
            validate_value(email, element["value"])
        except InvalidValue:
            raise _bad_extras(attr, f"{element['value']!r} is not a valid email address") from None
    return dict(element)


def _name_extras(entry: Any) -> bool:
    """Checks name's unmapped sub-attributes (strings); whether there are any."""
    if not isinstance(entry, dict):
        raise _bad_extras("name", "unexpected shape")
    for key, value in entry.items():
        _check_extra_value("name", key, value)
    return bool(entry)


def _multi_extras(catalogue: Catalogue, attr: str, entry: Any) -> dict[str, Any]:
    """One multi-valued attribute's extras, checked: ``extra`` elements, ``primary`` flags."""
    if not isinstance(entry, dict) or not set(entry) <= _EXTRAS_KEYS:
        raise _bad_extras(attr, "unexpected shape")
    elements, flags = entry.get("extra", []), entry.get("primary", {})
    if not isinstance(elements, list) or len(elements) > MAX_EXTRAS:
        raise _bad_extras(attr, f"at most {MAX_EXTRAS} values of unmapped types are kept")
    if not isinstance(flags, dict) or not all(
        isinstance(k, str) and len(k) <= 64 and isinstance(v, bool) for k, v in flags.items()
    ):
        raise _bad_extras(attr, "primary flags must be booleans")
    kept = [_extra_element(catalogue, attr, e) for e in elements]
    return {k: v for k, v in (("extra", kept), ("primary", dict(flags))) if v}


def validate_scim_extras(catalogue: Catalogue, extras: Any) -> dict[str, Any]:
    """The extras an IdP sent (app.scim.extras names the shape), checked like profile values
    (strings, length caps, email addresses); raises InvalidValue naming the attribute."""
    if not isinstance(extras, dict) or not set(extras) <= EXTRAS_ATTRIBUTES:
        raise InvalidValue("unknown SCIM extras", fields=["scimExtras"])
    out: dict[str, Any] = {}
    for attr, entry in extras.items():
        if attr == "name":
            clean = dict(entry) if _name_extras(entry) else {}
        else:
            clean = _multi_extras(catalogue, attr, entry)
        if clean:
            out[attr] = clean
    return out
