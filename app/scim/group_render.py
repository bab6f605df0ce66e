"""A Group resource as JSON text (RFC 7643 §4.2), its members a keyset page at a time.

The document is a frame (everything but the members, which go before ``meta`` as in every
other read) and the elements of the ``members`` array, one piece per page of members, each
(after the first) led by its comma. Held in memory (`group_json`) or streamed
(`app.scim.group_stream`), the pieces concatenate to the same bytes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson

from app.db import Tx
from app.domain.groups.store import member_page
from app.domain.types import GroupRecord
from app.scim.projection import Projection
from app.scim.wire import GROUP_URN, etag

MEMBER_PAGE = 1000


def group_frame(group: GroupRecord, base: str, proj: Projection) -> tuple[bytes, bytes | None]:
    """The projected resource around its members: (head, tail) with the ``members`` array
    to go between them, or (the whole document, None) when no member is returned."""
    doc: dict[str, Any] = {"schemas": [GROUP_URN], "id": group.id}
    if group.external_id is not None:
        doc["externalId"] = group.external_id
    doc["displayName"] = group.display_name
    doc["meta"] = {
        "resourceType": "Group",
        "created": group.created_at,
        "lastModified": group.updated_at,
        "location": f"{base}/Groups/{group.id}",
        "version": etag(group.version),
    }
    projected = proj.apply(doc)
    if not (group.member_count and proj.wants("members")):
        return orjson.dumps(projected), None
    meta = projected.pop("meta", None)
    head = orjson.dumps(projected)[:-1] + b',"members":['
    tail = b"]" + (b',"meta":' + orjson.dumps(meta) if meta is not None else b"") + b"}"
    return head, tail


async def member_pieces(
    tx: Tx, group_id: str, base: str, proj: Projection, size: int
) -> AsyncIterator[bytes]:
    """The projected members as JSON, ``size`` members read and serialised per piece."""
    after: str | None = None
    first = True
    while True:
        rows = await member_page(tx, group_id=group_id, after=after, limit=size)
        page = [
            {"value": r[0], "display": r[1], "$ref": f"{base}/Users/{r[0]}", "type": "User"}
            for r in rows
        ]
        if proj.given:  # sub-attributes named or excluded (members.value, ...)
            page = proj.apply({"schemas": [GROUP_URN], "id": "", "members": page})["members"]
        if page:
            text = orjson.dumps(page)[1:-1]
            yield text if first else b"," + text
            first = False
        if len(rows) < size:
            return
        after = rows[-1][0]


async def group_json(tx: Tx, group: GroupRecord, base: str, proj: Projection) -> list[bytes]:
    """The projected Group resource as JSON, in pieces that concatenate to the document.

    Members are read only when returned, and then a page at a time, each page serialised
    before the next is read: a 50,000-member group costs the memory of its JSON text and one
    page of objects, not 50,000 dictionaries (docs/performance.md).
    """
    head, tail = group_frame(group, base, proj)
    if tail is None:
        return [head]
    members = [p async for p in member_pieces(tx, group.id, base, proj, MEMBER_PAGE)]
    return [head, *members, tail]


async def render_group(tx: Tx, group: GroupRecord, base: str, proj: Projection) -> Any:
    """The projected Group resource, for a list or a body: JSON text that orjson embeds."""
    return orjson.Fragment(b"".join(await group_json(tx, group, base, proj)))
