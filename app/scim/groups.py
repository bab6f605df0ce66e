"""/Groups and /Groups/{id} (RFC 7644 §3.3-§3.6, RFC 7643 §4.2).

Members are read page by page through the keyset `member_page`, and not at all when
``members`` is not returned (``excludedAttributes=members``, Entra's every group read); a full
read of a large group is streamed (`app.scim.group_stream`).
A group PATCH answers 204, as Entra advises ("returning a body with a list of all the members
isn't advisable"): a body would cost a read of every member of a 50,000-member group on each
membership change. When the client asks for a body with ``attributes`` or
``excludedAttributes``, it gets 200 with the projected resource.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from app.domain.groups.members import MemberChange
from app.domain.groups.provisioning import (
    provision_create_group,
    provision_delete_group,
    provision_update_group,
)
from app.domain.groups.store import load_group
from app.domain.guard import writes as guard
from app.domain.types import GroupRecord
from app.scim.attributes import GROUP_VOCABULARY
from app.scim.dialects import normalise_patch, normalise_resource
from app.scim.errors import invalid_value
from app.scim.group_patch import fold_group_patch, member_ids
from app.scim.group_render import group_json
from app.scim.group_stream import should_stream, stream_group
from app.scim.guarded import held
from app.scim.params import not_modified, query_projection
from app.scim.pipeline import Call, Op, Session, Written, read
from app.scim.wire import ScimPieces, etag, no_content


async def _written(
    s: Session, op: Op, group: GroupRecord, unknown: list[str], *, created: bool = False
) -> Written:
    """The resource (none in Bulk) with its ETag; 201 with Location on create."""
    pieces = await group_json(s.tx, group, op.base, op.proj) if op.render else [b"{}"]
    headers = {"ETag": etag(group.version)}
    if created:
        headers["Location"] = f"{op.base}/Groups/{group.id}"
    response = ScimPieces(pieces, 201 if created else 200, headers)
    return Written(response, group.id, group.external_id, unknown)


def _fields(body: Any) -> tuple[str, str | None, list[str]]:
    doc = normalise_resource(body, GROUP_VOCABULARY)
    name, external = doc.get("displayName"), doc.get("externalId")
    if not isinstance(name, str) or not name.strip():
        raise invalid_value("displayName is required and must be a non-empty string")
    if external is not None and not isinstance(external, str):
        raise invalid_value("externalId must be a string")
    return name, external, member_ids(doc.get("members"))


async def get_group(call: Call) -> Response:
    """GET /Groups/{id}; If-None-Match answers 304. A large group is streamed from a snapshot
    taken after this request's transaction ends (a pooled connection is never held while
    another is awaited)."""
    group_id, proj = call.request.path_params["id"], query_projection(call, ())

    async def work(s: Session) -> Response | None:
        group = await load_group(s.tx, group_id)
        cached = not_modified(call, group.version)
        if cached is not None:
            return cached
        if should_stream(call, group, proj):
            return None
        pieces = await group_json(s.tx, group, call.base, proj)
        return ScimPieces(pieces, 200, {"ETag": etag(group.version)})

    answered = await read(call, work)
    return answered if answered is not None else await stream_group(call, group_id, proj)


async def group_create(s: Session, op: Op) -> Written:
    """Create a group: POST /Groups and Bulk POST; unknown member ids are skipped (WARNING)."""
    name, external, members = _fields(op.body())
    group, result = await provision_create_group(
        s.tx, actor=s.actor, display_name=name, external_id=external, members=members
    )
    return await _written(s, op, group, result.unknown, created=True)


async def group_replace(s: Session, op: Op) -> Written:
    """Replace a group: name, externalId and the whole membership."""
    assert op.resource_id is not None
    name, external, members = _fields(op.body())
    change = MemberChange(replace=members)
    asked = await guard.group_update(
        s.tx, s.actor, op.resource_id, change, (name, external, True, "PUT")
    )
    detail = await held(s, asked)
    if detail is not None:
        stored = await load_group(s.tx, op.resource_id)
        written = await _written(s, op, stored, [])
        written.held = detail
        return written
    group, result = await provision_update_group(
        s.tx,
        actor=s.actor,
        group_id=op.resource_id,
        display_name=name,
        external_id=external,
        set_external_id=True,
        members=change,
        expected_version=op.expected_version,
    )
    return await _written(s, op, group, result.unknown)


async def group_patch(s: Session, op: Op) -> Written:
    """Modify a group: member operations as set operations; 204 (see the module doc)."""
    assert op.resource_id is not None
    change = fold_group_patch(normalise_patch(op.body(), "Group"))
    fields = (change.display_name, change.external_id, change.set_external_id, "PATCH")
    detail = await held(
        s, await guard.group_update(s.tx, s.actor, op.resource_id, change.members(), fields)
    )
    if detail is not None:
        stored = await load_group(s.tx, op.resource_id)
        response = no_content({"ETag": etag(stored.version)})
        return Written(response, stored.id, stored.external_id, held=detail)
    group, result = await provision_update_group(
        s.tx,
        actor=s.actor,
        group_id=op.resource_id,
        display_name=change.display_name,
        external_id=change.external_id,
        set_external_id=change.set_external_id,
        members=change.members(),
        expected_version=op.expected_version,
    )
    if op.proj.given and op.render:
        return await _written(s, op, group, result.unknown)
    response = no_content({"ETag": etag(group.version)})
    return Written(response, group.id, group.external_id, result.unknown)


async def group_delete(s: Session, op: Op) -> Written:
    """Delete a group: 204, then 404; roles granted through the group go with it."""
    assert op.resource_id is not None
    group = await provision_delete_group(
        s.tx, actor=s.actor, group_id=op.resource_id, expected_version=op.expected_version
    )
    return Written(no_content(), group.id, group.external_id)
