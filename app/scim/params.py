"""Request parameters shared by the handlers: preconditions (RFC 7644 §3.14), projection."""

from __future__ import annotations

from starlette.responses import Response

from app.scim.pipeline import Call
from app.scim.projection import EVERYTHING, Projection, projection
from app.scim.wire import ENTERPRISE_URN, ROSTER_URN, etag, parse_etag

USER_EXTENSIONS = (ENTERPRISE_URN, ROSTER_URN)


def expected_version(header: str | None) -> int | None:
    """The version an If-Match value (or a Bulk operation's ``version``) demands (None: any);
    a tag naming no version matches nothing."""
    tag = parse_etag(header)
    return None if tag is None or tag == "*" else int(tag)


def if_match(call: Call) -> int | None:
    """The version If-Match demands."""
    return expected_version(call.request.headers.get("if-match"))


def not_modified(call: Call, version: int) -> Response | None:
    """304 when If-None-Match names the current version."""
    tag = parse_etag(call.request.headers.get("if-none-match"))
    if tag in ("*", version):
        return Response(status_code=304, headers={"ETag": etag(version)})
    return None


def query_projection(call: Call, urns: tuple[str, ...] = USER_EXTENSIONS) -> Projection:
    """``attributes`` / ``excludedAttributes`` from the query string."""
    if not call.request.scope["query_string"]:  # most reads: skip parsing an empty string
        return EVERYTHING
    params = call.params
    return projection(params.get("attributes"), params.get("excludedAttributes"), urns)
