"""The one cursor codec of every list: a row's position (sort key, id) as an opaque token.

A token is base64url of the JSON ``[key, id]``; a PostgreSQL NUMERIC key (a Decimal, which JSON
cannot carry exactly as a number) travels as ``{"d": "<digits>"}``. GraphQL hands tokens out as
Relay cursors as they are; SCIM wraps them in its signed, expiring cursors (app.scim.cursors).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson

from app.errors import InvalidValue


@dataclass(frozen=True, slots=True)
class Position:
    """Where a row sits in a list's order: its sort key (None when absent or unsorted), its id."""

    key: Any
    id: str


def _wire(key: Any) -> Any:
    return {"d": str(key)} if isinstance(key, Decimal) else key


def _read(key: Any) -> Any:
    if isinstance(key, dict):
        digits = key.get("d")
        if not isinstance(digits, str):
            raise ValueError("not a number")
        return Decimal(digits)
    return key


def encode_cursor(key: Any, row_id: str) -> str:
    """An opaque token for a row at ``key`` with id ``row_id``."""
    return base64.urlsafe_b64encode(orjson.dumps([_wire(key), row_id])).decode()


def decode_cursor(cursor: str, field: str) -> tuple[Any, str]:
    """The (key, id) inside a token; raises InvalidValue (on ``field``) for anything else."""
    try:
        key, row_id = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
        key = _read(key)
    except (binascii.Error, ValueError, TypeError, ArithmeticError) as exc:
        raise InvalidValue(f"{field} is not a valid cursor", fields=[field]) from exc
    if not isinstance(row_id, str):
        raise InvalidValue(f"{field} is not a valid cursor", fields=[field])
    return key, row_id


def encode_position(position: Position) -> str:
    """`encode_cursor` of a position."""
    return encode_cursor(position.key, position.id)


def decode_position(token: str, field: str = "cursor") -> Position:
    """`decode_cursor` as a position; raises InvalidValue."""
    key, row_id = decode_cursor(token, field)
    return Position(key, row_id)
