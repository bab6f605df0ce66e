"""Two real workers (`ROSTER_WORKERS=2`), on PostgreSQL and on SQLite: what one worker writes,
both see.

Every request goes out on a fresh connection, so the kernel spreads them over the workers;
each test then reads the per-worker request counters of /metrics to show that both served.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport

from tests.e2e.conftest import Live

pytestmark = pytest.mark.e2e

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
SUBSCRIBE = gql(
    "subscription { provisioningEvents { id method resourceType resourceId outcome statusCode } }"
)
WRITES = 60
PARALLEL = 8


def _fresh() -> httpx.AsyncClient:
    """A client that opens a new connection for every request."""
    return httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_keepalive_connections=0))


async def _create_user(live: Live, login: str) -> str:
    async with _fresh() as client:
        r = await client.post(
            live.base + "/scim/v2/Users",
            headers=live.scim_headers(),
            json={"schemas": [USER], "userName": login, "active": True},
        )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _create_users(live: Live, prefix: str, count: int) -> list[str]:
    gate = asyncio.Semaphore(PARALLEL)

    async def one(k: int) -> str:
        async with gate:
            return await _create_user(live, f"{prefix}{k}@example.com")

    return list(await asyncio.gather(*(one(k) for k in range(count))))


def _requests(metrics: str, method: str, route: str, status: int) -> int:
    """One worker's count of SCIM requests, from its /metrics text."""
    pattern = (
        rf'^roster_http_requests_total\{{surface="scim",method="{method}",route="{route}",'
        rf'status="{status}"\}} (\d+)$'
    )
    return sum(int(m) for m in re.findall(pattern, metrics, flags=re.MULTILINE))


async def _served_by_both(live: Live, method: str, route: str, status: int, total: int) -> bool:
    """Some worker counts between 0 and ``total`` such requests: the other served the rest."""
    for _ in range(40):
        async with _fresh() as client:
            metrics = (await client.get(live.base + "/metrics")).text
        if 0 < _requests(metrics, method, route, status) < total:
            return True
    return False


class Feed:
    """What a subscription received, and a way to wait for more."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self._changed = asyncio.Event()

    def add(self, event: dict[str, Any]) -> None:
        """One event arrived."""
        self.events.append(event)
        self._changed.set()

    async def reaches(self, condition: Callable[[list[dict[str, Any]]], bool]) -> None:
        """Return once ``condition`` holds for the events received (bound it with a timeout)."""
        while not condition(self.events):
            self._changed.clear()
            await self._changed.wait()


async def _subscribe(live: Live, feed: Feed) -> None:
    transport = WebsocketsTransport(
        url=live.base.replace("http://", "ws://") + "/graphql",
        init_payload={"Authorization": f"Bearer {live.admin}"},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    async with Client(transport=transport) as session:
        async for result in session.subscribe(SUBSCRIBE):
            feed.add(result["provisioningEvents"])


async def _warm_up(live: Live, feed: Feed) -> int:
    """Write until the subscription delivers something (it is then live); how many writes."""
    for k in range(100):
        await _create_user(live, f"warm-{k}@example.com")
        try:
            async with asyncio.timeout(0.3):
                await feed.reaches(bool)
        except TimeoutError:
            continue
        return k + 1
    raise AssertionError("the subscription never delivered an event")


async def test_every_scim_write_reaches_a_subscriber_exactly_once(workers: Live) -> None:
    feed = Feed()
    listening = asyncio.create_task(_subscribe(workers, feed))
    try:
        warm = await _warm_up(workers, feed)
        created = await _create_users(workers, "spread-", WRITES)
        async with asyncio.timeout(30):
            await feed.reaches(lambda events: set(created) <= {e["resourceId"] for e in events})
        await asyncio.sleep(1.0)  # a second delivery of any event would be here by now
    finally:
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)

    delivered = Counter(e["resourceId"] for e in feed.events)
    assert {uid: delivered[uid] for uid in created} == {uid: 1 for uid in created}
    assert len({e["id"] for e in feed.events}) == len(feed.events), "an event came twice"
    ours = [e for e in feed.events if e["resourceId"] in set(created)]
    assert {(e["method"], e["resourceType"], e["outcome"], e["statusCode"]) for e in ours} == {
        ("POST", "User", "SUCCESS", 201)
    }
    assert await _served_by_both(workers, "POST", "/Users", 201, warm + WRITES), (
        "the kernel sent every write to one worker: nothing crossed between workers"
    )


REVOKE = (
    "mutation($i: RevokeScimTokenInput!) { revokeScimToken(input: $i) {"
    " scimToken { name state } userErrors { code } } }"
)


async def _graphql(live: Live, query: str, **variables: Any) -> Any:
    async with _fresh() as client:
        r = await client.post(
            live.base + "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {live.admin}"},
        )
    assert r.status_code == 200, r.text
    return r.json()


async def _statuses(live: Live, count: int) -> list[int]:
    gate = asyncio.Semaphore(PARALLEL)

    async def one() -> int:
        async with gate, _fresh() as client:
            r = await client.get(live.base + "/scim/v2/Users?count=1", headers=live.scim_headers())
            return r.status_code

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def test_a_revoked_scim_token_stops_working_at_once_on_every_worker(workers: Live) -> None:
    assert await _statuses(workers, 20) == [200] * 20
    tokens = await _graphql(workers, "{ provisioning { tokens { id name state } } }")
    [token] = tokens["data"]["provisioning"]["tokens"]
    assert (token["name"], token["state"]) == ("okta", "ACTIVE")

    revoked = await _graphql(workers, REVOKE, i={"id": token["id"]})
    after = await _statuses(workers, 40)

    assert revoked == {
        "data": {
            "revokeScimToken": {
                "scimToken": {"name": "okta", "state": "REVOKED"},
                "userErrors": [],
            }
        }
    }
    assert after == [401] * 40
    assert await _served_by_both(workers, "GET", "/Users", 401, 40), (
        "the kernel sent every request to one worker: the other was not tried"
    )


async def test_concurrent_creates_on_two_workers_all_land_once(workers: Live) -> None:
    async def create(client: httpx.AsyncClient, login: str) -> tuple[int, str, str]:
        r = await client.post(
            workers.base + "/scim/v2/Users",
            headers=workers.scim_headers(),
            json={"schemas": [USER], "userName": login, "active": True},
        )
        return r.status_code, r.json()["userName"], r.json()["id"]

    logins: list[str] = []
    created: list[tuple[int, str, str]] = []
    raced = False
    for burst in range(5):  # until the kernel has spread a burst over both workers
        batch = [f"burst-{burst}-{k:02}@example.com" for k in range(12)]
        async with _fresh() as client:  # 12 at once: the workers' writes queue for the lock
            created += await asyncio.gather(*(create(client, login) for login in batch))
        logins += batch
        raced = await _served_by_both(workers, "POST", "/Users", 201, len(logins))
        if raced:
            break
    async with _fresh() as client:
        listed = await client.get(
            workers.base + "/scim/v2/Users",
            params={"filter": 'userName sw "burst-"', "count": "100"},
            headers=workers.scim_headers(),
        )

    assert raced, "the kernel sent every write to one worker: the writes did not race"
    assert [(status, login) for status, login, _ in created] == [(201, x) for x in logins]
    assert len({uid for _, _, uid in created}) == len(logins)
    body = listed.json()
    assert (listed.status_code, body["totalResults"]) == (200, len(logins))
    assert {(u["userName"], u["id"]) for u in body["Resources"]} == {
        (login, uid) for _, login, uid in created
    }
