"""Opaque, tamper-evident, expiring list cursors (RFC 9865 §2).

A cursor is ``<payload>.<tag>``: the payload is base64url JSON (format version, the query it
belongs to, the direction, the position of the row it points past as the directory's cursor
codec writes it (`app.domain.directory.cursor`, the one GraphQL hands out too), its expiry) and the
tag an HMAC-SHA256 of it under the deployment's key: ``ROSTER_SCIM_CURSOR_SECRET``, or when that
is empty a key derived from the database URL, so every worker and replica of a deployment
accepts the cursors of the others. Both parts use only unreserved characters (RFC 3986 §2.3),
as RFC 9865 §2 asks. Nothing is stored: a cursor is checked, not looked up.

A cursor carries no authority: forging one (which the tag prevents) could only move the
position inside a query its token may run anyway. It is bound to its query (resource type,
filter, sortBy, sortOrder) so it cannot be replayed against another; ``count`` may change.
Errors: a cursor that does not verify or belongs to another query is 400 ``invalidCursor``; a
valid one past its expiry (``cursorTimeout``, announced in ServiceProviderConfig) is 400
``expiredCursor`` (RFC 9865 §2.1).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson

from app.domain.directory.cursor import Position, decode_position, encode_position
from app.errors import InvalidValue
from app.scim.errors import ScimError
from app.settings import Settings

_VERSION = 2


@dataclass(frozen=True, slots=True)
class CursorState:
    """Where a cursor points: read ``backward`` (a previousCursor) or forward from a row."""

    backward: bool
    position: Position


def invalid_cursor(detail: str) -> ScimError:
    """400 invalidCursor (RFC 9865 §2.1)."""
    return ScimError(400, detail, "invalidCursor")


@lru_cache(maxsize=8)
def _derived_key(secret: str, database_url: str) -> bytes:
    material = secret.encode() if secret else database_url.encode()
    return hmac.new(b"roster scim cursor v1", material, hashlib.sha256).digest()


def _key(settings: Settings) -> bytes:
    return _derived_key(settings.scim_cursor_secret.get_secret_value(), settings.database_url)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _tag(settings: Settings, payload: str) -> str:
    return _b64(hmac.new(_key(settings), payload.encode(), hashlib.sha256).digest())


def query_scope(resource: str, filter_text: str | None, sort_by: Any, descending: bool) -> str:
    """A digest of the query a cursor belongs to (attribute names are case-insensitive)."""
    sort = str(sort_by).lower() if sort_by else None
    raw = orjson.dumps([resource, filter_text, sort, descending])
    return _b64(hashlib.sha256(raw).digest()[:12])


def issue_cursor(
    settings: Settings, scope: str, state: CursorState, *, now: float | None = None
) -> str:
    """A signed cursor for ``state`` in the query ``scope``, valid for cursorTimeout."""
    expires = int((now if now is not None else time.time()) + settings.scim_cursor_timeout_seconds)
    body = [_VERSION, scope, int(state.backward), encode_position(state.position), expires]
    payload = _b64(orjson.dumps(body))
    return f"{payload}.{_tag(settings, payload)}"


def _fields(payload: str) -> list[Any]:
    try:
        body = orjson.loads(_unb64(payload))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        body = None
    if not isinstance(body, list) or len(body) != 5 or body[0] != _VERSION:
        raise invalid_cursor("the cursor is not one this service issued")
    return body


def read_cursor(
    settings: Settings, scope: str, cursor: str, *, now: float | None = None
) -> CursorState:
    """The state a cursor of the query ``scope`` names; raises invalidCursor or expiredCursor."""
    payload, _, tag = cursor.partition(".")
    if not tag or not hmac.compare_digest(tag, _tag(settings, payload)):
        raise invalid_cursor("the cursor is not one this service issued, or was altered")
    _, owner, backward, token, expires = _fields(payload)
    if owner != scope:
        raise invalid_cursor(
            "the cursor belongs to another query: keep filter, sortBy and sortOrder unchanged"
        )
    if not isinstance(token, str) or not isinstance(expires, int):
        raise invalid_cursor("the cursor is not one this service issued")
    if expires < (now if now is not None else time.time()):
        timeout = settings.scim_cursor_timeout_seconds
        raise ScimError(
            400, f"the cursor has expired (cursorTimeout is {timeout} seconds)", "expiredCursor"
        )
    try:
        position = decode_position(token)
    except InvalidValue:
        raise invalid_cursor("the cursor is not one this service issued") from None
    return CursorState(bool(backward), position)
