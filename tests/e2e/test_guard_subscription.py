"""Rule 19: `deprovisioningGuardTripped` delivers each trip once, and nothing for the writes
held after it, over graphql-transport-ws on a real server (both engines)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport

from app.db import Database
from app.settings import Settings
from tests.e2e.conftest import start_server, stop_server
from tests.e2e.guard_support import DISCARD, UPDATE, Site, client, deactivate_body, seed
from tests.e2e.test_workers import Feed

pytestmark = pytest.mark.e2e

TRIPPED = gql(
    "subscription { deprovisioningGuardTripped { guard { state heldCount }"
    " event { outcome statusCode resourceId method } } }"
)


async def _listen(base: str, admin: str, feed: Feed) -> None:
    transport = WebsocketsTransport(
        url=base.replace("http://", "ws://") + "/graphql",
        init_payload={"Authorization": f"Bearer {admin}"},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    async with Client(transport=transport) as session:
        async for result in session.subscribe(TRIPPED):
            feed.add(result["deprovisioningGuardTripped"])


async def _trip(site: Site, feed: Feed, ids: list[str]) -> tuple[int, dict[str, Any]]:
    """Trip the guard (one write applied, the next held) until the subscriber sees it: the
    subscription may not be live for the first attempts. Returns the attempt and the event."""
    for k in range(0, len(ids) - 1, 2):
        for uid in ids[k : k + 2]:
            assert (await site.send("PATCH", f"/Users/{uid}", deactivate_body("okta"))).is_success
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1):
                await feed.reaches(bool)
            return k, feed.events[0]
        await site.graphql(DISCARD)  # re-arms with a fresh window
    raise AssertionError("the subscription never delivered a trip")


async def test_each_trip_is_delivered_once(settings: Settings, clean_db: Database) -> None:
    scim, admin, ids = await seed(clean_db, "okta", 40)
    proc, base = start_server(settings)
    feed = Feed()
    listening = asyncio.create_task(_listen(base, admin, feed))
    try:
        async with client() as http:
            site = Site(base, scim, admin, "okta", http)
            await site.graphql(UPDATE, input={"minimum": 1, "percent": 1})
            k, event = await _trip(site, feed, ids[:30])
            assert event == {
                "guard": {"state": "TRIPPED", "heldCount": 1},
                "event": {
                    "outcome": "HELD",
                    "statusCode": 200,
                    "resourceId": ids[k + 1],
                    "method": "PATCH",
                },
            }
            # Held after the trip: no second event.
            more = await site.send("PATCH", f"/Users/{ids[35]}", deactivate_body("okta"))
            assert more.status_code == 200
            await asyncio.sleep(1)
            assert len(feed.events) == 1
    finally:
        listening.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await listening
        stop_server(proc)
