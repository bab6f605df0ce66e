"""/Groups and /Groups/{id} (RFC 7644 §3.3-§3.6, RFC 7643 §4.2).

Members are read page by page through the keyset `member_page`, and not at all when
``members`` is not returned (``excludedAttributes=members``, Entra's every group read).
A group PATCH answers 204, as Entra advises ("returning a body with a list of all the members
isn't advisable"): a body would cost a read of every member of a 50,000-member group on each
membership change. When the client asks for a body with ``attributes`` or
``excludedAttributes``, it gets 200 with the projected resource.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from app.db import Tx
from app.domain.groups import load_group
from app.domain.memberships import member_page
from app.domain.provisioning_groups import (
    MemberChange,
    provision_create_group,
    provision_delete_group,
    provision_update_group,
)
from app.domain.types import GroupRecord
from app.scim.dialects import normalise_patch, normalise_resource
from app.scim.errors import invalid_value
from app.scim.group_patch import fold_group_patch, member_ids
from app.scim.params import if_match, not_modified, query_projection
from app.scim.pipeline import Call, Session, Written, parse_json, read, read_body, write
from app.scim.projection import Projection
from app.scim.wire import GROUP_URN, etag, no_content, scim_json

MEMBER_PAGE = 1000


async def _members(tx: Tx, group_id: str, base: str, display: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        rows = await member_page(tx, group_id=group_id, after=after, limit=MEMBER_PAGE)
        out += [
            {"value": r[0], "$ref": f"{base}/Users/{r[0]}", "type": "User"}
            | ({"display": r[1]} if display else {})
            for r in rows
        ]
        if len(rows) < MEMBER_PAGE:
            return out
        after = rows[-1][0]


async def render_group(tx: Tx, group: GroupRecord, base: str, proj: Projection) -> dict[str, Any]:
    """The projected Group resource; members are read only when returned."""
    doc: dict[str, Any] = {"schemas": [GROUP_URN], "id": group.id}
    if group.external_id is not None:
        doc["externalId"] = group.external_id
    doc["displayName"] = group.display_name
    if group.member_count and proj.wants("members"):
        # members.display is returned on request only (see app.scim.discovery)
        doc["members"] = await _members(tx, group.id, base, proj.requests("members", "display"))
    doc["meta"] = {
        "resourceType": "Group",
        "created": group.created_at,
        "lastModified": group.updated_at,
        "location": f"{base}/Groups/{group.id}",
        "version": etag(group.version),
    }
    return proj.apply(doc)


def _resource(doc: dict[str, Any], version: int, location: str | None = None) -> Response:
    headers = {"ETag": etag(version)}
    if location is not None:
        headers["Location"] = location
    return scim_json(orjson.dumps(doc), 201 if location else 200, headers)


def _fields(raw: bytes) -> tuple[str, str | None, list[str]]:
    doc = normalise_resource(parse_json(raw), "Group", ())
    name, external = doc.get("displayName"), doc.get("externalId")
    if not isinstance(name, str) or not name.strip():
        raise invalid_value("displayName is required and must be a non-empty string")
    if external is not None and not isinstance(external, str):
        raise invalid_value("externalId must be a string")
    return name, external, member_ids(doc.get("members"))


async def get_group(call: Call) -> Response:
    """GET /Groups/{id}; If-None-Match answers 304."""
    group_id, proj = call.request.path_params["id"], query_projection(call, ())

    async def work(s: Session) -> Response:
        group = await load_group(s.tx, group_id)
        cached = not_modified(call, group.version)
        if cached is not None:
            return cached
        return _resource(await render_group(s.tx, group, call.base, proj), group.version)

    return await read(call, work)


async def create_group(call: Call) -> Response:
    """POST /Groups: 201 with Location; unknown member ids are skipped (a WARNING event)."""
    raw, proj = await read_body(call), query_projection(call, ())

    async def work(s: Session) -> Written:
        name, external, members = _fields(raw)
        group, result = await provision_create_group(
            s.tx, actor=s.actor, display_name=name, external_id=external, members=members
        )
        doc = await render_group(s.tx, group, call.base, proj)
        location = f"{call.base}/Groups/{group.id}"
        return Written(_resource(doc, group.version, location), group.id, external, result.unknown)

    return await write(call, "Group", None, work)


async def replace_group(call: Call) -> Response:
    """PUT /Groups/{id}: name, externalId and the whole membership are replaced."""
    group_id, raw = call.request.path_params["id"], await read_body(call)
    proj = query_projection(call, ())

    async def work(s: Session) -> Written:
        name, external, members = _fields(raw)
        group, result = await provision_update_group(
            s.tx,
            actor=s.actor,
            group_id=group_id,
            display_name=name,
            external_id=external,
            set_external_id=True,
            members=MemberChange(replace=members),
            expected_version=if_match(call),
        )
        doc = await render_group(s.tx, group, call.base, proj)
        return Written(_resource(doc, group.version), group.id, external, result.unknown)

    return await write(call, "Group", group_id, work)


async def patch_group(call: Call) -> Response:
    """PATCH /Groups/{id}: member operations as set operations; 204 (see the module doc)."""
    group_id, raw = call.request.path_params["id"], await read_body(call)
    proj = query_projection(call, ())

    async def work(s: Session) -> Written:
        change = fold_group_patch(normalise_patch(parse_json(raw), "Group"))
        group, result = await provision_update_group(
            s.tx,
            actor=s.actor,
            group_id=group_id,
            display_name=change.display_name,
            external_id=change.external_id,
            set_external_id=change.set_external_id,
            members=change.members(),
            expected_version=if_match(call),
        )
        if proj.given:
            doc = await render_group(s.tx, group, call.base, proj)
            response = _resource(doc, group.version)
        else:
            response = no_content({"ETag": etag(group.version)})
        return Written(response, group.id, group.external_id, result.unknown)

    return await write(call, "Group", group_id, work)


async def delete_group(call: Call) -> Response:
    """DELETE /Groups/{id}: 204, then 404; roles granted through the group go with it."""
    group_id = call.request.path_params["id"]

    async def work(s: Session) -> Written:
        group = await provision_delete_group(
            s.tx, actor=s.actor, group_id=group_id, expected_version=if_match(call)
        )
        return Written(no_content(), group.id, group.external_id)

    return await write(call, "Group", group_id, work)
