"""SCIM wire constants and the response helpers every handler shares (RFC 7644 §3.1, §3.14)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from app.domain.settings.catalogue import CUSTOM_URN

SCIM_MEDIA = "application/scim+json"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ROSTER_URN = CUSTOM_URN
LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
# Tolerated in request `schemas` (idp-wire-shapes.md §2.2): Entra's extra group schema and
# the typo in Microsoft's own documentation example.
MS_GROUP_URN = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
ENTERPRISE_TYPO = "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"
MOUNT = "/scim/v2"
_SCIM_MEDIA = SCIM_MEDIA.encode()


class ScimResponse(Response):
    """A JSON body serialised with orjson, served as application/scim+json.

    Builds its raw headers directly: Starlette's generic header set-up is a measurable part of
    a small read's cost.
    """

    media_type = SCIM_MEDIA

    def __init__(
        self, content: Any, status_code: int = 200, headers: Mapping[str, str] | None = None
    ) -> None:
        self.status_code = status_code
        self.background = None
        self.body = content if isinstance(content, bytes) else orjson.dumps(content)
        raw = [(b"content-type", _SCIM_MEDIA), (b"content-length", b"%d" % len(self.body))]
        for name, value in (headers or {}).items():
            raw.append((name.lower().encode("latin-1"), value.encode("latin-1")))
        self.raw_headers = raw


class ScimPieces(Response):
    """A SCIM JSON body sent as the pieces it was rendered in (a large group's members a page
    at a time), so that no copy of the whole text is made to send it."""

    media_type = SCIM_MEDIA

    def __init__(
        self, pieces: list[bytes], status_code: int = 200, headers: Mapping[str, str] | None = None
    ) -> None:
        self.status_code = status_code
        self.background = None
        self.pieces = pieces
        self.body = b""  # not used: __call__ sends the pieces
        length = sum(len(p) for p in pieces)
        raw = [(b"content-type", _SCIM_MEDIA), (b"content-length", b"%d" % length)]
        for name, value in (headers or {}).items():
            raw.append((name.lower().encode("latin-1"), value.encode("latin-1")))
        self.raw_headers = raw

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        last = len(self.pieces) - 1
        for i, piece in enumerate(self.pieces):
            await send({"type": "http.response.body", "body": piece, "more_body": i < last})
        if not self.pieces:
            await send({"type": "http.response.body", "body": b""})


def scim_json(
    content: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A SCIM JSON response (``content`` may already be serialised bytes)."""
    return ScimResponse(content, status, headers)


def no_content(headers: Mapping[str, str] | None = None) -> Response:
    """204 without a body."""
    return Response(status_code=204, headers=dict(headers or {}))


def etag(version: int) -> str:
    """The weak entity tag of a record version (RFC 7644 §3.14)."""
    return f'W/"{version}"'


def parse_etag(header: str | None) -> int | str | None:
    """The version named by If-Match / If-None-Match; "*" for any, None when absent.

    A value that names no version of ours (malformed, or a list with none of ours) comes back
    as -1, which matches nothing.
    """
    if header is None or not header.strip():
        return None
    for part in header.split(","):
        tag = part.strip()
        if tag == "*":
            return "*"
        tag = tag.removeprefix("W/").strip('"')
        if tag.isdigit():
            return int(tag)
    return -1


def base_url(request: Request, public_url: str) -> str:
    """The externally visible SCIM base URL, for Location and $ref."""
    if public_url:
        return public_url.rstrip("/") + MOUNT
    # From the raw scope: building request.url parses the whole URL on every request.
    scope = request.scope
    host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), None)
    if host is None:
        server = scope.get("server") or ("localhost", 80)
        host = f"{server[0]}:{server[1]}"
    return f"{scope['scheme']}://{host}{MOUNT}"
