"""Relay global ids: base64 of ``"Type:rawId"``, checked strictly on the way in."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence

from app.errors import InvalidValue

# WebhookEndpoint is no Node (node() answers null for it), but its mutations take its global id.
_UUID_TYPES = frozenset(
    {"User", "Group", "ScimToken", "ApiToken", "AuditEntry", "ProvisioningEvent", "WebhookEndpoint"}
)
NODE_TYPES = _UUID_TYPES | {"ProfileAttribute"}


def to_global_id(type_name: str, raw_id: str) -> str:
    """The global id of a record."""
    return base64.b64encode(f"{type_name}:{raw_id}".encode()).decode()


def parse_global_id(value: str, field: str = "id") -> tuple[str, str]:
    """(type name, raw id) of a global id; raises InvalidValue naming ``field``."""
    try:
        text = base64.b64decode(value.encode("ascii"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise InvalidValue(f"{field}: {value!r} is not a valid global id", [field]) from exc
    type_name, sep, raw = text.partition(":")
    if not sep or type_name not in NODE_TYPES or not raw:
        raise InvalidValue(f"{field}: {value!r} is not a valid global id", [field])
    if type_name in _UUID_TYPES:
        try:
            raw = str(uuid.UUID(raw))
        except ValueError as exc:
            raise InvalidValue(f"{field}: {value!r} is not a valid global id", [field]) from exc
    return type_name, raw


def decode_id(value: str, expected: str, field: str = "id") -> str:
    """The raw id inside a global id of type ``expected``; raises InvalidValue otherwise."""
    type_name, raw = parse_global_id(value, field)
    if type_name != expected:
        raise InvalidValue(f"{field}: expected a {expected} id, got a {type_name} id", [field])
    return raw


def decode_ids(values: Sequence[str] | None, expected: str, field: str) -> list[str]:
    """Raw ids of a list of global ids of one type."""
    return [decode_id(v, expected, field) for v in values or []]
