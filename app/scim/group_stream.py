"""A full read of a large group, streamed: the members rendered and sent a batch at a time.

Built in memory, a 50,000-member group's JSON is several megabytes held until the last byte is
sent, and its first byte waits for its last member. Streamed, the frame goes out at once and
each batch of ``ROSTER_SCIM_STREAM_BATCH`` members is read, serialised and sent before the
next is read, so memory is one batch whatever the size (docs/performance.md).

Every batch is read from one snapshot (`Database.snapshot`: one SQLite read transaction on a
connection of its own, or a PostgreSQL REPEATABLE READ READ ONLY transaction), together with
the group row whose version is the ETag: a member PATCH committed during the stream cannot
tear the list. The request's own transaction (the token check) has ended by then, so a slow
client holds only the snapshot, never SQLite's request lock. 404 and 304 are decided from the
snapshot before the first byte; the snapshot is given back when the stream ends, fails, or the
client goes away (Starlette cancels the body on ``http.disconnect``).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import AsyncExitStack

import anyio

# anyio imports its event-loop backend on first use: 40 ms of the first stream's TTFB.
import anyio._backends._asyncio
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from app.db import Tx
from app.domain.groups.store import load_group
from app.domain.types import GroupRecord
from app.scim.group_render import group_frame, member_pieces
from app.scim.params import not_modified
from app.scim.pipeline import Call
from app.scim.projection import Projection
from app.scim.wire import SCIM_MEDIA, etag


class ScimStream(StreamingResponse):
    """A streamed SCIM JSON body; ``release`` runs once the response is over, however."""

    def __init__(
        self,
        body: AsyncGenerator[bytes, None],
        release: Callable[[], Awaitable[None]],
        headers: dict[str, str],
    ) -> None:
        super().__init__(body, 200, headers, media_type=SCIM_MEDIA)
        self._body = body
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                await self._body.aclose()
                await self._release()


def should_stream(call: Call, group: GroupRecord, proj: Projection) -> bool:
    """Stream when the members are returned and are more than the setting allows in memory,
    and a snapshot is free (else the group is rendered in memory, as a smaller one). HEAD is
    not streamed: its answer carries the length of the body it does not send."""
    return (
        group.member_count > call.settings.scim_stream_members_over
        and call.request.scope["method"] == "GET"
        and proj.wants("members")
        and call.db.can_snapshot
    )


async def _body(
    tx: Tx, group: GroupRecord, call: Call, proj: Projection
) -> AsyncGenerator[bytes, None]:
    head, tail = group_frame(group, call.base, proj)
    yield head
    if tail is None:  # the group lost every member between the request's read and the snapshot
        return
    async for piece in member_pieces(
        tx, group.id, call.base, proj, call.settings.scim_stream_batch
    ):
        yield piece
    yield tail


async def stream_group(call: Call, group_id: str, proj: Projection) -> Response:
    """The group read again in a snapshot of its own: 304 or 404 from it, else its stream."""
    stack = AsyncExitStack()
    try:
        tx = await stack.enter_async_context(call.db.snapshot())
        group = await load_group(tx, group_id)
        cached = not_modified(call, group.version)
    except BaseException:
        await stack.aclose()
        raise
    if cached is not None:
        await stack.aclose()
        return cached
    headers = {"ETag": etag(group.version)}
    return ScimStream(_body(tx, group, call, proj), stack.aclose, headers)
