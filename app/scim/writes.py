"""The single-request writes: POST, PUT, PATCH and DELETE on /Users and /Groups (RFC 7644
§3.3, §3.5, §3.6). Each runs the handler function a Bulk operation of the same method and
endpoint runs (`WORK`, shared with app.scim.bulk), through `write`, which records its
provisioning event."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.responses import Response

from app.scim import groups, users
from app.scim.body import read_body
from app.scim.params import USER_EXTENSIONS, if_match, query_projection
from app.scim.pipeline import Call, Handler, Op, Session, Written, write

Work = Callable[[Session, Op], Awaitable[Written]]

WORK: dict[tuple[str, str], Work] = {
    ("POST", "Users"): users.user_create,
    ("PUT", "Users"): users.user_replace,
    ("PATCH", "Users"): users.user_patch,
    ("DELETE", "Users"): users.user_delete,
    ("POST", "Groups"): groups.group_create,
    ("PUT", "Groups"): groups.group_replace,
    ("PATCH", "Groups"): groups.group_patch,
    ("DELETE", "Groups"): groups.group_delete,
}
"""The handler of each (method, endpoint) write."""

# endpoint -> (resource type of its provisioning events, extension URNs a projection may name)
_RESOURCES = {"Users": ("User", USER_EXTENSIONS), "Groups": ("Group", ())}


def write_endpoint(method: str, endpoint: str) -> Handler:
    """The request handler of one write: DELETE has no body; the others send it on to the
    provisioning event, so that a refused write still logs the externalId it set."""
    work = WORK[(method, endpoint)]
    resource_type, urns = _RESOURCES[endpoint]

    async def handle(call: Call) -> Response:
        raw = None if method == "DELETE" else await read_body(call)
        resource_id = call.request.path_params.get("id")
        op = Op(resource_id, call.base, query_projection(call, urns), if_match(call), raw)
        return await write(call, resource_type, resource_id, lambda s: work(s, op), sent=raw)

    return handle
