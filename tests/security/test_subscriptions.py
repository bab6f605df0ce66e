"""Subscriptions end when their credentials die (rule 15), over a real server and socket.

An ADMIN opens a graphql-transport-ws subscription; an OWNER then revokes the ADMIN's token,
deactivates or deletes the ADMIN, or revokes its role. The socket must close with 4403 within
about a second (asserted with a generous bound); left alone, it stays open.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.typing import Subprotocol

from app.db import Database
from app.domain.access.bootstrap import issue_admin_token
from tests.e2e.conftest import Live
from tests.security.graphql_support import post

pytestmark = pytest.mark.e2e

SUBSCRIBE = "subscription { provisioningEvents { method resourceType } }"
BOUND = 3.0  # seconds: the promise is one second (re-checked every 0.5 s); a loaded host is slow


async def _subscribe(base: str, token: str) -> ClientConnection:
    ws = await websockets.connect(
        base.replace("http://", "ws://") + "/graphql",
        subprotocols=[Subprotocol("graphql-transport-ws")],
    )
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": token}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
    return ws


async def _closed_within(ws: ClientConnection, seconds: float) -> tuple[int | None, float]:
    """The close code and how long it took (None: still open after ``seconds``)."""
    start = time.monotonic()
    try:
        async with asyncio.timeout(seconds):
            async for _ in ws:
                pass
    except TimeoutError:
        return None, time.monotonic() - start
    except websockets.ConnectionClosed:
        pass  # any code but 1000 ends the iteration with this
    return ws.close_code, time.monotonic() - start


async def _admin(live: Live, db: Database) -> tuple[str, str, str]:
    """A second admin: its bearer header, user id and token id."""
    async with db.transaction() as tx:
        token = await issue_admin_token(tx, login_id="watcher@example.com", role="admin")
    async with httpx.AsyncClient(base_url=live.base, timeout=30) as client:
        body = (await post(client, token, "{ viewer { userId } apiTokens { id userId } }")).json()
    me = body["data"]["viewer"]["userId"]
    (token_id,) = [t["id"] for t in body["data"]["apiTokens"] if t["userId"] == me]
    return f"Bearer {token}", me, token_id


async def _owner_does(live: Live, query: str, variables: dict[str, Any]) -> None:
    async with httpx.AsyncClient(base_url=live.base, timeout=30) as client:
        body = (await post(client, live.admin, query, variables)).json()
    payload = next(iter(body["data"].values()))
    assert payload["userErrors"] == [], body


def _revoke(token_id: str, user_id: str) -> tuple[str, dict[str, Any]]:
    return (
        "mutation($i: RevokeApiTokenInput!) { revokeApiToken(input: $i) { userErrors { code } } }",
        {"i": {"id": token_id}},
    )


def _deactivate(token_id: str, user_id: str) -> tuple[str, dict[str, Any]]:
    return (
        "mutation($i: SetUserStatusInput!) { setUserStatus(input: $i) { userErrors { code } } }",
        {"i": {"id": user_id, "active": False, "reason": "left the company"}},
    )


def _delete(token_id: str, user_id: str) -> tuple[str, dict[str, Any]]:
    return "mutation($i: DeleteUserInput!) { deleteUser(input: $i) { userErrors { code } } }", {
        "i": {"id": user_id}
    }


def _demote(token_id: str, user_id: str) -> tuple[str, dict[str, Any]]:
    return "mutation($i: RolesInput!) { revokeRoles(input: $i) { userErrors { code } } }", {
        "i": {"roles": ["ADMIN"], "userIds": [user_id]}
    }


Attack = Callable[[str, str], tuple[str, dict[str, Any]]]


@pytest.mark.parametrize("attack", [_revoke, _deactivate, _delete, _demote])
async def test_a_subscription_closes_4403_once_its_credentials_die(
    live: Live, clean_db: Database, attack: Attack
) -> None:
    header, user_id, token_id = await _admin(live, clean_db)
    ws = await _subscribe(live.base, header)
    try:
        still_open, _ = await _closed_within(ws, 1.0)
        assert still_open is None
        await _owner_does(live, *attack(token_id, user_id))
        code, took = await _closed_within(ws, BOUND)
    finally:
        await ws.close()
    print(f"{attack.__name__}: closed {code} after {took * 1000:.0f} ms")
    assert code == 4403


async def test_a_subscription_whose_token_lives_stays_open(live: Live, clean_db: Database) -> None:
    header, _, _ = await _admin(live, clean_db)
    ws = await _subscribe(live.base, header)
    try:
        code, _ = await _closed_within(ws, BOUND)
    finally:
        await ws.close()
    assert code is None
