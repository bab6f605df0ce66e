"""A full read of a large group, streamed (app.scim.group_stream), on both engines.

The app under test streams every group of more than 2 members, 3 members per batch; the
session's app (threshold 1,000) renders the same groups in memory, which is the reference.
The stream is driven at the ASGI level so that each message sent, the moment of a concurrent
write and the client's disconnect are under the test's control.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import Message

from app.db import Database
from app.scim.app import build_scim_app
from app.scim.wire import MOUNT
from app.settings import Settings
from tests.scim.conftest import GROUP, SCIM_JSON, Scim, scrub
from tests.scim.test_groups import group_resource, member


@pytest.fixture
async def streaming(settings: Settings, database: Database) -> AsyncIterator[Starlette]:
    small = settings.model_copy(update={"scim_stream_members_over": 2, "scim_stream_batch": 3})
    yield Starlette(routes=[Mount(MOUNT, app=build_scim_app(small, database))])


async def _seven(scim: Scim) -> tuple[str, list[str]]:
    """A group of seven members (three batches of 3, 3 and 1) and their ids in id order."""
    ids = sorted([(await scim.create_user(f"u{i}@x.com"))["id"] for i in range(7)])
    return await scim.create_group("Eng", ids, externalId="x-1"), ids


def _scope(scim: Scim, path: str, query: str = "", **headers: str) -> dict[str, Any]:
    raw = [(b"authorization", f"Bearer {scim.token}".encode()), (b"host", b"roster.test")]
    raw += [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": MOUNT + path,
        "raw_path": (MOUNT + path).encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": raw,
        "server": ("roster.test", 80),
        "client": ("127.0.0.1", 1234),
    }


class Client:
    """One ASGI request: the messages the app sent, and a disconnect the test can trigger."""

    def __init__(self) -> None:
        self.sent: list[Message] = []
        self.gone = asyncio.Event()
        self._asked = False

    async def receive(self) -> Message:
        if not self._asked:
            self._asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        self.sent.append(message)
        await asyncio.sleep(0)

    @property
    def headers(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.sent[0]["headers"]}

    @property
    def chunks(self) -> list[bytes]:
        return [m["body"] for m in self.sent[1:] if m["body"]]


async def _get(app: Starlette, scim: Scim, path: str, query: str = "", **headers: str) -> Client:
    client = Client()

    async def send(message: Message) -> None:
        await client.send(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            client.gone.set()  # the response is over: the client goes

    await app(_scope(scim, path, query, **headers), client.receive, send)
    return client


@pytest.mark.parametrize(
    "query",
    ["", "attributes=members", "excludedAttributes=" + quote("members.$ref,meta")],
)
async def test_streamed_body_is_the_in_memory_body_sent_a_batch_at_a_time(
    scim: Scim, streaming: Starlette, query: str
) -> None:
    g, ids = await _seven(scim)
    reference = await scim.client.get(f"/Groups/{g}?{query}")
    streamed = await _get(streaming, scim, f"/Groups/{g}", query)
    body = b"".join(streamed.chunks)
    assert body == reference.content
    assert streamed.headers == {
        "etag": 'W/"2"',
        "content-type": SCIM_JSON,
        "x-request-id": streamed.headers["x-request-id"],
    }  # no content-length: sent as it is read
    assert len(streamed.chunks) == 5  # the frame's head, three batches of members, its tail
    subs = {f"u{i}": uid for i, uid in enumerate(ids)}
    everyone = [member(f"u{i}") for i in range(7)]
    if query == "":
        assert scrub(reference.json(), g=g, **subs) == group_resource(everyone)
    elif query == "attributes=members":
        assert scrub(reference.json(), g=g, **subs) == {
            "schemas": [GROUP],
            "id": "{g}",
            "members": everyone,
        }
    else:
        expected = group_resource(
            [{k: m[k] for k in ("value", "display", "type")} for m in everyone]
        )
        del expected["meta"]
        assert scrub(reference.json(), g=g, **subs) == expected


async def test_small_groups_reads_without_members_and_head_are_not_streamed(
    scim: Scim, streaming: Starlette
) -> None:
    ids = sorted([(await scim.create_user(f"s{i}@x.com"))["id"] for i in range(2)])
    small = await scim.create_group("Small", ids)
    large, _ = await _seven(scim)
    for path, query in [(small, ""), (large, "excludedAttributes=members")]:
        got = await _get(streaming, scim, f"/Groups/{path}", query)
        reference = await scim.client.get(f"/Groups/{path}?{query}")
        assert got.headers["content-length"] == str(len(reference.content))
        assert b"".join(got.chunks) == reference.content
    head = Client()
    await streaming({**_scope(scim, f"/Groups/{large}"), "method": "HEAD"}, head.receive, head.send)
    reference = await scim.client.get(f"/Groups/{large}")
    assert (head.sent[0]["status"], head.headers["content-length"]) == (
        200,
        str(len(reference.content)),
    )


async def test_if_none_match_answers_304_before_streaming_and_404_still_404(
    scim: Scim, streaming: Starlette
) -> None:
    g, _ = await _seven(scim)
    cached = await _get(streaming, scim, f"/Groups/{g}", if_none_match='W/"2"')
    assert (cached.sent[0]["status"], cached.headers["etag"], cached.chunks) == (304, 'W/"2"', [])
    stale = await _get(streaming, scim, f"/Groups/{g}", if_none_match='W/"1"')
    assert stale.sent[0]["status"] == 200
    missing = await _get(streaming, scim, "/Groups/nope")
    assert (missing.sent[0]["status"], b"".join(missing.chunks)) == (
        404,
        b'{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"404",'
        b'"detail":"no group with id \'nope\'"}',
    )


async def test_a_member_patch_during_the_stream_does_not_tear_the_list(
    scim: Scim, streaming: Starlette
) -> None:
    g, ids = await _seven(scim)
    before = (await scim.client.get(f"/Groups/{g}")).content
    client = Client()
    patched: list[int] = []

    async def send(message: Message) -> None:
        await client.send(message)
        if len(client.sent) == 3:  # the head and the first batch are out: change the rest
            ops = [{"op": "remove", "path": f'members[value eq "{ids[5]}"]'}]
            ops.append({"op": "remove", "path": f'members[value eq "{ids[0]}"]'})
            response = await scim.patch(f"/Groups/{g}", ops)
            patched.append(response.status_code)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            client.gone.set()

    await streaming(_scope(scim, f"/Groups/{g}"), client.receive, send)
    assert patched == [204]
    assert b"".join(client.chunks) == before  # all seven, as of version 2
    assert client.headers["etag"] == 'W/"2"'
    after = (await scim.client.get(f"/Groups/{g}")).json()
    assert (len(after["members"]), after["meta"]["version"]) == (5, 'W/"3"')


async def test_a_client_that_goes_mid_stream_leaves_no_connection_behind(
    scim: Scim, streaming: Starlette, database: Database
) -> None:
    g, _ = await _seven(scim)
    clients = []
    for _ in range(database.settings.db_pool_max + 2):  # more than the pool holds
        client = Client()

        async def send(message: Message, client: Client = client) -> None:
            await client.send(message)
            if len(client.sent) == 2:  # the head is out: the client goes
                client.gone.set()
                await asyncio.sleep(0.01)

        await asyncio.wait_for(streaming(_scope(scim, f"/Groups/{g}"), client.receive, send), 10)
        clients.append(client)
    assert all(len(c.chunks) < 5 for c in clients)  # none was sent whole
    stats = database.pool_stats()
    assert (stats["in_use"], stats["snapshots"]) == (0, 0)
    full = await _get(streaming, scim, f"/Groups/{g}")
    assert b"".join(full.chunks) == (await scim.client.get(f"/Groups/{g}")).content


async def test_past_half_the_pool_in_streams_a_large_group_is_sent_whole(
    scim: Scim, streaming: Starlette, database: Database
) -> None:
    g, _ = await _seven(scim)
    reference = (await scim.client.get(f"/Groups/{g}")).content
    go_on = asyncio.Event()

    async def stall() -> tuple[Client, asyncio.Task[None]]:
        """A reader that takes the head, then stalls holding its snapshot until ``go_on``."""
        slow, started = Client(), asyncio.Event()

        async def send(message: Message) -> None:
            await slow.send(message)
            if len(slow.sent) == 2:
                started.set()
                await go_on.wait()
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                slow.gone.set()

        task = asyncio.create_task(streaming(_scope(scim, f"/Groups/{g}"), slow.receive, send))
        await started.wait()
        return slow, task

    half = database.settings.db_pool_max // 2
    stalled = [await stall() for _ in range(half)]
    assert database.pool_stats()["snapshots"] == half
    whole = await _get(streaming, scim, f"/Groups/{g}")
    assert (whole.headers["content-length"], b"".join(whole.chunks)) == (
        str(len(reference)),
        reference,
    )
    go_on.set()
    await asyncio.wait_for(asyncio.gather(*(task for _, task in stalled)), 10)
    assert all(b"".join(slow.chunks) == reference for slow, _ in stalled)
    assert database.pool_stats()["snapshots"] == 0
