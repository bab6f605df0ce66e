"""Reading a SCIM request body (RFC 7644 §3.1, §3.8): media type, size limit, JSON."""

from __future__ import annotations

from typing import Any, Protocol

import orjson
from starlette.requests import Request

from app.scim.errors import ScimError, invalid_syntax
from app.scim.text import check_body
from app.settings import Settings


class Incoming(Protocol):
    """What reading a body needs of a call (`app.scim.pipeline.Call` is one; this module does
    not import it, as the pipeline imports this module)."""

    @property
    def request(self) -> Request: ...

    @property
    def settings(self) -> Settings: ...


_MEDIA = ("application/scim+json", "application/json")


async def read_body(call: Incoming, limit: int | None = None) -> bytes:
    """The raw request body; raises 415 (wrong Content-Type) or 413 (over ``limit`` bytes).

    Read before the transaction starts, so a slow client never holds the database.
    """
    request, limit = call.request, limit or call.settings.scim_max_body_bytes
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind and kind not in _MEDIA:
        raise ScimError(415, f"Content-Type {kind!r} is not supported: use application/scim+json")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ScimError(413, f"the request body is larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ScimError(413, f"the request body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(raw: bytes) -> Any:
    """The body as JSON; raises 400 invalidSyntax, or invalidValue for a string no field may
    hold (`app.scim.text.check_body`)."""
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise invalid_syntax(f"the request body is not valid JSON: {exc}") from None
    check_body(doc)
    return doc
