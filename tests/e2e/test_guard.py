"""Rule 19 over a real server: an IdP replay deactivating 30% of 1,000 users trips the guard
once at the threshold; the writes beyond it are held (answered 200), the rest goes on;
release applies them in order, discard drops them; a kill -9 loses no held write.

Two workers on either engine (the count is shared, the trip happens once).
"""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import pytest

from app.db import Database
from app.settings import Settings
from tests.e2e.conftest import start_server, stop_server
from tests.e2e.guard_support import (
    DISCARD,
    GUARD,
    RELEASE,
    UPDATE,
    Site,
    client,
    deactivate_body,
    rename_body,
    seed,
)

pytestmark = pytest.mark.e2e

USERS = 1000
WAVE = 300  # 30 %
THRESHOLD = 50  # 5 % of 1,000 (above the minimum of 20)
TRIP = "deprovisioning guard tripped"


async def _events(db: Database, outcome: str) -> list[dict[str, Any]]:
    async with db.transaction() as tx:
        rows = await tx.fetch(
            "SELECT resource_id, error_detail, status_code FROM provisioning_events"
            " WHERE outcome = :o ORDER BY at, id",
            {"o": outcome},
        )
    return [{"id": r[0], "detail": r[1], "status": r[2]} for r in rows]


async def _active(db: Database, ids: list[str]) -> dict[str, bool]:
    async with db.transaction() as tx:
        rows = await tx.fetch("SELECT id, status FROM users WHERE deleted_at IS NULL")
    wanted = set(ids)
    return {r[0]: r[1] == "ACTIVE" for r in rows if r[0] in wanted}


async def _wave(site: Site, targets: list[str], bystanders: list[str], tag: str) -> None:
    """Deactivate ``targets``, a rename of a bystander after every tenth: all answered 200."""
    requests: list[tuple[str, str, Any]] = []
    for k, uid in enumerate(targets):
        requests.append(("PATCH", f"/Users/{uid}", deactivate_body(site.dialect)))
        if k % 10 == 9:
            given = f"{tag}{k}"
            requests.append(
                ("PATCH", f"/Users/{bystanders[k // 10]}", rename_body(site.dialect, given))
            )
    responses = await site.many(requests)
    assert [r.status_code for r in responses] == [200] * len(requests)
    for (_, _path, body), r in zip(requests, responses, strict=True):
        if body["Operations"][0].get("path") == "name.givenName":
            assert r.json()["name"]["givenName"] == body["Operations"][0]["value"]


@pytest.mark.parametrize("dialect", ["okta", "entra"])
async def test_replay_trips_once_holds_the_rest_release_then_discard(
    settings: Settings, clean_db: Database, dialect: str
) -> None:
    scim, admin, ids = await seed(clean_db, dialect, USERS)
    proc, base = start_server(settings, ROSTER_WORKERS="2")
    try:
        async with client() as http:
            site = Site(base, scim, admin, dialect, http)
            guard = (await site.graphql(GUARD))["provisioning"]["guard"]
            assert guard == {
                "state": "ARMED",
                "threshold": THRESHOLD,
                "window": 60,
                "heldCount": 0,
                "trippedAt": None,
                "counted": 0,
            }
            first, bystanders = ids[:WAVE], ids[WAVE : WAVE + WAVE // 10]
            await _wave(site, first, bystanders, "a")

            # One trip, exactly the writes beyond the threshold held, renames all applied.
            held_events = await _events(clean_db, "HELD")
            assert len(held_events) == WAVE - THRESHOLD
            assert [e["detail"] for e in held_events].count(None) == 0
            assert sum(e["detail"].startswith(TRIP) for e in held_events) == 1
            assert held_events[0]["detail"].startswith(TRIP)
            assert {e["status"] for e in held_events} == {200}
            assert len(await _events(clean_db, "SUCCESS")) == THRESHOLD + WAVE // 10
            assert await _events(clean_db, "ERROR") == []
            active = await _active(clean_db, first)
            assert sum(not a for a in active.values()) == THRESHOLD
            # PostgreSQL spent leases far below the threshold (each settled one counted as one
            # row of its weight), near it judged each write under the full lock; the trip
            # waited for every lease to settle. SQLite with two workers takes no leases (a
            # row per write, under the one writer lock).
            async with clean_db.transaction() as tx:
                rows = [
                    (r[0], r[1]) for r in await tx.fetch("SELECT kind, weight FROM guard_counted")
                ]
                open_leases = await tx.fetch("SELECT id FROM guard_leases")
            assert sum(w for _, w in rows) == THRESHOLD and open_leases == []
            leased = [w for k, w in rows if k == "LEASED"]
            if settings.database_kind == "postgresql":
                assert leased and max(leased) > 1, rows
            else:
                assert leased == [] and {w for _, w in rows} == {1}
            guard = (await site.graphql(GUARD))["provisioning"]["guard"]
            assert (guard["state"], guard["heldCount"], guard["counted"]) == (
                "TRIPPED",
                WAVE - THRESHOLD,
                THRESHOLD,
            )
            assert guard["trippedAt"] is not None

            # A repeat of a held write joins its entry.
            again = await site.send(
                "PATCH", f"/Users/{held_events[0]['id']}", deactivate_body(dialect)
            )
            assert again.status_code == 200
            held = await site.held()
            assert len(held) == WAVE - THRESHOLD
            assert [h["position"] for h in held] == sorted(h["position"] for h in held)
            assert held[0]["repeats"] == 1 and {h["kind"] for h in held} == {"DEACTIVATE_USER"}
            assert {h["token"]["name"] for h in held} == {dialect}
            assert [h["resourceId"] for h in held] == [e["id"] for e in held_events]
            assert all(h["user"]["id"] for h in held)

            # Release: applied in the order held, every one; the guard re-arms.
            released = (await site.graphql(RELEASE))["releaseHeldWrites"]
            assert released["userErrors"] == []
            assert released["guard"] == {"state": "ARMED", "heldCount": 0}
            outcomes = released["outcomes"]
            assert [o["heldWrite"]["resourceId"] for o in outcomes] == [
                e["id"] for e in held_events
            ]
            assert {(o["applied"], o["error"]) for o in outcomes} == {(True, None)}
            assert not any((await _active(clean_db, first)).values())

            # A second wave, discarded: those users stay active.
            second = ids[WAVE + WAVE // 10 : 2 * WAVE + WAVE // 10]
            await _wave(site, second, ids[-(WAVE // 10) :], "b")
            discarded = (await site.graphql(DISCARD))["discardHeldWrites"]
            assert len(discarded["discarded"]) == WAVE - THRESHOLD
            assert discarded["guard"] == {"state": "ARMED", "heldCount": 0}
            active = await _active(clean_db, second)
            assert sum(active.values()) == WAVE - THRESHOLD
            trips = [e for e in await _events(clean_db, "HELD") if e["detail"].startswith(TRIP)]
            assert len(trips) == 2  # one per wave
    finally:
        stop_server(proc)


async def test_kill_9_while_writes_are_held_loses_none(
    settings: Settings, clean_db: Database
) -> None:
    scim, admin, ids = await seed(clean_db, "okta", 10)
    # One process, so that SIGKILL takes the whole server down (workers would outlive it).
    proc, base = start_server(settings)
    async with client() as http:
        site = Site(base, scim, admin, "okta", http)
        settled = await site.graphql(UPDATE, input={"minimum": 2, "percent": 1})
        guard = settled["updateDeprovisioningGuard"]["guard"]
        assert guard == {
            "state": "ARMED",
            "enabled": True,
            "percent": 1.0,
            "minimum": 2,
            "window": 60,
            "threshold": 2,
        }
        responses = [
            await site.send("PATCH", f"/Users/{u}", deactivate_body("okta")) for u in ids[:6]
        ]
        assert [r.status_code for r in responses] == [200] * 6
        deleted = await site.send("DELETE", f"/Users/{ids[9]}")
        assert deleted.status_code == 204
        before = await site.held()
        assert [h["kind"] for h in before] == ["DEACTIVATE_USER"] * 4 + ["DELETE_USER"]
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL

        proc, base = start_server(settings)
        try:
            site = Site(base, scim, admin, "okta", http)
            assert await site.held() == before
            guard = (await site.graphql(GUARD))["provisioning"]["guard"]
            assert (guard["state"], guard["heldCount"]) == ("TRIPPED", 5)
            metrics = (await http.get(base + "/metrics")).text.splitlines()
            assert [line for line in metrics if line.startswith("roster_guard_")] == [
                "roster_guard_tripped 1.0",
                "roster_guard_enabled 1.0",
                "roster_guard_held_writes 5.0",
            ]
            released = (await site.graphql(RELEASE))["releaseHeldWrites"]
            assert [o["applied"] for o in released["outcomes"]] == [True] * 5
            gone = await site.send("GET", f"/Users/{ids[9]}")
            assert gone.status_code == 404
            assert not any((await _active(clean_db, ids[:6])).values())
        finally:
            stop_server(proc)


async def test_a_workers_lease_settles_in_the_background(
    settings: Settings, clean_db: Database
) -> None:
    # Far below the threshold (PostgreSQL, or SQLite with its one worker): the first
    # deactivation leases 64 writes to the worker, the second spends one, and with no further
    # request the worker's own loop settles the lease once it expires (a quarter of a
    # second): it then counts as 2.
    scim, admin, ids = await seed(clean_db, "okta", 4)
    proc, base = start_server(settings)
    try:
        async with client() as http:
            site = Site(base, scim, admin, "okta", http)
            await site.graphql(UPDATE, input={"minimum": 1000})
            for uid in ids[:2]:
                done = await site.send("PATCH", f"/Users/{uid}", deactivate_body("okta"))
                assert done.status_code == 200 and done.json()["active"] is False
            rows: list[tuple[int, int, bool]] = []
            for _ in range(200):
                async with clean_db.transaction() as tx:
                    found = await tx.fetch("SELECT granted, used, settled FROM guard_leases")
                rows = [(r[0], r[1], r[2]) for r in found]
                if rows and rows[0][2]:
                    break
                await asyncio.sleep(0.05)
            assert rows == [(64, 2, True)]
            guard = (await site.graphql(GUARD))["provisioning"]["guard"]
            assert (guard["counted"], guard["threshold"]) == (2, 1000)
    finally:
        stop_server(proc)
