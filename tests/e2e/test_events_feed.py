"""``GET /events`` on a real server: errors, paging in order, long polling woken by a SCIM
write (also a write on the other of two workers), a cursor retention overtook, and
the GraphQL subscription resuming from its last cursor."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport

from app.db import Database
from app.domain.audit.retention import purge_expired
from app.domain.clock import iso_in
from app.settings import Settings
from tests.e2e.conftest import Live
from tests.e2e.test_workers import _create_user, _fresh

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
WAIT = 20  # the long polls below must end well before this: woken, not timed out


def _admin(live: Live) -> dict[str, str]:
    return {"Authorization": f"Bearer {live.admin}"}


async def _events(live: Live, query: str) -> httpx.Response:
    async with _fresh() as client:
        return await client.get(f"{live.base}/events?{query}", headers=_admin(live))


async def _latest(live: Live) -> int:
    """The newest event's number (the fixtures' tokens and admin user made a few)."""
    r = await _events(live, "after=0&limit=1000")
    assert r.status_code == 200, r.text
    return int(r.json()["next"])


async def _deactivate(live: Live, user_id: str) -> None:
    async with _fresh() as client:
        r = await client.patch(
            f"{live.base}/scim/v2/Users/{user_id}",
            headers=live.scim_headers(),
            json={
                "schemas": [PATCH],
                "Operations": [{"op": "replace", "value": {"active": False}}],
            },
        )
    assert r.status_code == 200, r.text


async def test_feed_refuses_missing_tokens_and_names_the_bad_parameter(live: Live) -> None:
    async with _fresh() as client:
        r = await client.get(live.base + "/events")
        assert (r.status_code, r.json()) == (
            401,
            {"status": 401, "detail": "an admin API token is required (Bearer)"},
        )
        assert r.headers["www-authenticate"] == 'Bearer realm="roster-admin"'
        r = await client.get(live.base + "/events", headers={"Authorization": "Bearer nope"})
        assert (r.status_code, r.json()) == (
            401,
            {"status": 401, "detail": "not an admin API token"},
        )
        r = await client.get(
            live.base + "/events", headers={"Authorization": f"Bearer {live.scim}"}
        )
        assert r.status_code == 401
    bad = {
        "limit=0": "limit must be between 1 and 1000, not 0",
        "after=-1": "after must be between 0 and 4611686018427387904, not -1",
        "after=x": "after must be an integer, not 'x'",
        "wait=31": "wait must be between 0 and 30 seconds, not 31",
        "wait=nan": "wait must be between 0 and 30 seconds, not nan",
    }
    for query, detail in bad.items():
        r = await _events(live, query)
        assert (r.status_code, r.json()) == (400, {"status": 400, "detail": detail}), query
    r = await _events(live, "types=user.created,user.teleported")
    assert r.status_code == 400
    assert r.json()["detail"].startswith("types: unknown event type 'user.teleported'; known: ")


async def test_feed_pages_in_order_and_a_long_poll_wakes_on_a_scim_write(live: Live) -> None:
    base = await _latest(live)
    ids = [await _create_user(live, f"feed{k}@example.com") for k in range(3)]
    r = await _events(live, f"after={base}&limit=2")
    assert r.status_code == 200
    page = r.json()
    assert [(e["seq"], e["type"], e["resourceId"]) for e in page["events"]] == [
        (base + 1, "user.created", ids[0]),
        (base + 2, "user.created", ids[1]),
    ]
    assert page["next"] == base + 2
    first = page["events"][0]
    assert first["actor"]["type"] == "SCIM"
    assert first["resource"]["loginId"] == "feed0@example.com"
    assert (await _events(live, f"after={base + 2}")).json()["next"] == base + 3
    assert (await _events(live, f"after={base + 3}")).json() == {"events": [], "next": base + 3}

    query = f"after={base + 3}&wait={WAIT}&types=user.deactivated"
    poll = asyncio.create_task(_events(live, query))
    await asyncio.sleep(0.5)
    assert not poll.done()
    started = time.monotonic()
    await _deactivate(live, ids[1])
    r = await poll
    assert time.monotonic() - started < WAIT / 2
    events = r.json()["events"]
    assert [(e["seq"], e["type"], e["resourceId"]) for e in events] == [
        (base + 4, "user.deactivated", ids[1])
    ]
    assert events[0]["changes"] == [{"field": "status", "before": "ACTIVE", "after": "INACTIVE"}]
    assert events[0]["resource"]["status"] == "INACTIVE"


async def test_a_long_poll_on_one_worker_wakes_on_a_write_on_the_other(workers: Live) -> None:
    """Two workers: each round's poll and write go over fresh connections, so across rounds
    the write lands on the other worker's process too (the NOTIFY path)."""
    after = await _latest(workers)
    for k in range(6):
        poll = asyncio.create_task(_events(workers, f"after={after}&wait={WAIT}"))
        await asyncio.sleep(0.3)
        started = time.monotonic()
        user_id = await _create_user(workers, f"w{k}@example.com")
        r = await poll
        assert time.monotonic() - started < WAIT / 2
        events: list[dict[str, Any]] = r.json()["events"]
        assert [(e["seq"], e["resourceId"]) for e in events] == [(after + 1, user_id)]
        after += 1


async def test_a_cursor_older_than_retention_is_gone_not_silently_skipped(
    live: Live, clean_db: Database, settings: Settings
) -> None:
    for k in range(4):
        await _create_user(live, f"old{k}@example.com")
    newest = await _latest(live)
    async with clean_db.transaction() as tx:
        await tx.execute("UPDATE outbox_events SET at = :old", {"old": iso_in(-40)})
    purged = await purge_expired(clean_db, settings)
    assert [p.rows for p in purged if p.log == "outbox_events"] == [newest - 1]  # newest stays
    r = await _events(live, "after=1")
    assert (r.status_code, r.json()) == (
        410,
        {
            "status": 410,
            "detail": f"events after 1 are no longer kept (the oldest is {newest}; retention:"
            f" ROSTER_EVENT_RETENTION_DAYS): resynchronise, then read from after={newest - 1}",
        },
    )
    assert (await _events(live, f"after={newest - 1}")).json()["next"] == newest
    r = await _events(live, f"after={newest + 5}")
    assert r.status_code == 410
    assert r.json()["detail"].startswith(f"after={newest + 5} is past the newest event ({newest})")
    await _create_user(live, "new@example.com")  # numbering continues after the purge
    r = await _events(live, f"after={newest}")
    assert [e["seq"] for e in r.json()["events"]] == [newest + 1]


def _subscription(after: str | None) -> Any:
    args = f'(after: "{after}")' if after is not None else ""
    return gql(f"subscription {{ events{args} {{ sequence type resourceId }} }}")


async def _collect(live: Live, after: str | None, into: list[dict[str, Any]], count: int) -> None:
    """Subscribe from ``after`` and collect ``count`` events, then disconnect."""
    transport = WebsocketsTransport(
        url=live.base.replace("http://", "ws://") + "/graphql",
        init_payload={"Authorization": f"Bearer {live.admin}"},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    async with Client(transport=transport) as session:
        async for result in session.subscribe(_subscription(after)):
            into.append(result["events"])
            if len(into) >= count:
                return


async def test_the_subscription_resumes_from_its_last_cursor_without_loss(live: Live) -> None:
    base = await _latest(live)
    first = [await _create_user(live, f"s{k}@example.com") for k in range(3)]
    got: list[dict[str, Any]] = []
    await asyncio.wait_for(_collect(live, str(base), got, 3), WAIT)
    assert got == [
        {"sequence": str(base + k + 1), "type": "USER_CREATED", "resourceId": uid}
        for k, uid in enumerate(first)
    ]
    # disconnected: these commit while nobody listens
    missed = [await _create_user(live, f"m{k}@example.com") for k in range(2)]
    resumed: list[dict[str, Any]] = []
    follow = asyncio.create_task(_collect(live, got[-1]["sequence"], resumed, 3))
    await asyncio.sleep(0.5)
    late = await _create_user(live, "late@example.com")  # arrives live, after the replay
    await asyncio.wait_for(follow, WAIT)
    assert [(e["sequence"], e["resourceId"]) for e in resumed] == [
        (str(base + 4), missed[0]),
        (str(base + 5), missed[1]),
        (str(base + 6), late),
    ]
