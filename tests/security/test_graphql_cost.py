"""Cost attacks on /graphql: small documents that make validation or execution explode.

A ~1 KB document whose fragments spread each other twice per level expands to 2**24 copies
of its last fragment; a document at the token limit selects one field 1,249 times, which
graphql-core's OverlappingFieldsCanBeMerged compares pairwise. Both are refused by the
linear checks in app/graphql/limits.py before graphql-core's rules run, and the worker
keeps answering other requests meanwhile. (Wall-clock times are measured by the bench and
reported in docs/security.md; tests assert the refusal and that /healthz answers.)
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets
from websockets.typing import Subprotocol

from tests.e2e.conftest import Live
from tests.security.graphql_support import at_the_token_limit, fan_out, post

pytestmark = pytest.mark.e2e

FAN_OUT_ERROR = (
    "'FanOut' expands to 33554432 fields (each fragment counted every time it is spread); "
    "the limit is 2000"
)
DUPLICATES_ERROR = (
    "'anonymous' selects 'viewer' 1249 times in one selection set; the limit is 10 "
    "(select each field once)"
)


def _only_error(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] is None
    (error,) = body["errors"]
    message: str = error["message"]
    return message


async def test_the_fragment_fan_out_is_refused(live: Live) -> None:
    async with httpx.AsyncClient(base_url=live.base, timeout=30) as client:
        response = await post(client, live.admin, fan_out(24))
    assert _only_error(response) == FAN_OUT_ERROR


async def test_one_field_selected_to_the_token_limit_is_refused(live: Live) -> None:
    async with httpx.AsyncClient(base_url=live.base, timeout=30) as client:
        response = await post(client, live.admin, at_the_token_limit())
    assert _only_error(response) == DUPLICATES_ERROR


async def test_healthz_answers_while_costly_queries_are_in_flight(live: Live) -> None:
    async with httpx.AsyncClient(base_url=live.base, timeout=120) as client:
        attacks = [
            asyncio.create_task(post(client, live.admin, q))
            for q in (fan_out(24), at_the_token_limit(), fan_out(24), at_the_token_limit())
        ]
        await asyncio.sleep(0.05)  # the attacks are on the wire
        async with httpx.AsyncClient(base_url=live.base, timeout=2) as probe:
            health = await probe.get("/healthz")
        responses = await asyncio.wait_for(asyncio.gather(*attacks), timeout=60)
    assert health.status_code == 200
    assert [_only_error(r) for r in responses] == [
        FAN_OUT_ERROR,
        DUPLICATES_ERROR,
        FAN_OUT_ERROR,
        DUPLICATES_ERROR,
    ]


async def test_a_normal_query_with_fragments_still_runs(live: Live) -> None:
    query = (
        "query Me { ...A ...B } fragment A on Query { viewer { loginId } } "
        "fragment B on Query { viewer { roles } users(first: 5) { totalCount } }"
    )
    async with httpx.AsyncClient(base_url=live.base, timeout=30) as client:
        body = (await post(client, live.admin, query)).json()
    assert body == {
        "data": {
            "viewer": {"loginId": "owner@example.com", "roles": ["OWNER"]},
            "users": {"totalCount": 1},
        }
    }


async def test_the_fan_out_over_a_websocket_is_refused(live: Live) -> None:
    frags = [f"fragment F{i} on Subscription {{ ...F{i + 1} ...F{i + 1} }}" for i in range(24)]
    frags.append("fragment F24 on Subscription { provisioningEvents { method } }")
    query = "subscription FanOut { ...F0 } " + " ".join(frags)
    async with websockets.connect(
        live.base.replace("http://", "ws://") + "/graphql",
        subprotocols=[Subprotocol("graphql-transport-ws")],
    ) as ws:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {live.admin}"}}
        await ws.send(json.dumps(init))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        answer = json.loads(await asyncio.wait_for(ws.recv(), timeout=30))
    assert answer == {
        "id": "1",
        "type": "error",
        "payload": [{"message": FAN_OUT_ERROR}],
    }
