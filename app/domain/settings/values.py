"""Validating profile values (and loginIds) against the Profile Editor's catalogue (settings
package: the catalogue is `app.domain.settings.catalogue`)."""

from __future__ import annotations

import math
import re
from typing import Any

from app.domain.settings.catalogue import Attribute, Catalogue
from app.domain.types import Datatype
from app.errors import InvalidValue

EMAIL_ATTRIBUTES = frozenset({"email", "secondEmail"})
MAX_LOGIN_ID = 255
MAX_STRING = 2048
MAX_ARRAY = 100
MAX_SAFE_INTEGER = 2**53 - 1  # exact in JSON doubles, SQLite INTEGER and PostgreSQL jsonb alike
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def validate_login_id(value: Any, *, field: str = "loginId") -> str:
    """A trimmed loginId; raises InvalidValue when empty, over-long or not text."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(f"{field} must be a non-empty string", fields=[field])
    text: str = value.strip()
    if len(text) > MAX_LOGIN_ID:
        raise InvalidValue(f"{field} is longer than {MAX_LOGIN_ID} characters", fields=[field])
    if _CONTROL.search(text):
        raise InvalidValue(f"{field} contains control characters", fields=[field])
    return text


def check_string(name: str, value: Any, limit: int = MAX_STRING) -> str:
    """``value`` when it is text of at most ``limit`` characters without NUL; raises
    InvalidValue naming ``name``."""
    if not isinstance(value, str):
        raise InvalidValue(f"{name} must be a string", fields=[name])
    if len(value) > limit:
        raise InvalidValue(f"{name} is longer than {limit} characters", fields=[name])
    if "\x00" in value:  # PostgreSQL cannot store it; refused on both engines alike
        raise InvalidValue(f"{name} contains the NUL character (U+0000)", fields=[name])
    return value


def _check_number(name: str, value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidValue(f"{name} must be a number", fields=[name])
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidValue(f"{name} must be a finite number", fields=[name])
    if isinstance(value, int) and abs(value) > MAX_SAFE_INTEGER:
        raise InvalidValue(
            f"{name} must be an integer between -{MAX_SAFE_INTEGER} and {MAX_SAFE_INTEGER} "
            "(or a decimal number)",
            fields=[name],
        )
    return value


def _check_array(name: str, value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_ARRAY:
        raise InvalidValue(f"{name} must be a list of at most {MAX_ARRAY} strings", fields=[name])
    return [check_string(name, v) for v in value]


def validate_value(attr: Attribute, value: Any) -> Any:
    """The value normalised for storage; raises InvalidValue naming the attribute."""
    if value is None:
        return None
    if attr.datatype is Datatype.NUMBER:
        return _check_number(attr.name, value)
    if attr.datatype is Datatype.STRING_ARRAY:
        return _check_array(attr.name, value)
    limit = MAX_LOGIN_ID if attr.datatype is Datatype.IDENTIFIER else MAX_STRING
    text = check_string(attr.name, value, limit)
    if attr.name in EMAIL_ATTRIBUTES:
        text = text.strip()
        if len(text) > 254 or not _EMAIL.match(text):
            raise InvalidValue(f"{attr.name} is not a valid email address", fields=[attr.name])
    return text or None


def validate_profile(catalogue: Catalogue, values: dict[str, Any]) -> dict[str, Any]:
    """Validate a partial profile; raises InvalidValue naming every unknown attribute first."""
    unknown = sorted(k for k in values if catalogue.get(k) is None or k == "loginId")
    if unknown:
        raise InvalidValue(f"unknown profile attribute(s): {', '.join(unknown)}", fields=unknown)
    out: dict[str, Any] = {}
    for key, value in values.items():
        attr = catalogue.get(key)
        assert attr is not None
        out[key] = validate_value(attr, value)
    return out
