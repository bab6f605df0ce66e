"""Webhooks and the feed survive a SIGKILL mid-burst (issue 16, "done when"): two endpoints
and a GET /events consumer; after the restart every committed change reaches each endpoint,
in order per resource, none that did not commit, and the feed has no gap. With two workers
(no kill), on either engine, no delivery is sent twice."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import subprocess
from collections import defaultdict
from typing import Any

import httpx

from app.db import Database
from app.domain.access.bootstrap import issue_admin_token, issue_scim_token
from app.settings import Settings
from tests.e2e.conftest import start_server, stop_server
from tests.e2e.test_health import free_port
from tests.webhooks.conftest import CREATE
from tests.webhooks.receiver import Receiver

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ENV = {
    "ROSTER_WEBHOOK_ALLOWED_TARGETS": "127.0.0.1",
    "ROSTER_WEBHOOK_RETRY_BASE_SECONDS": "0.05",
    "ROSTER_WEBHOOK_LEASE_SECONDS": "2",
}
USERS, CLIENTS, KILL_AFTER = 60, 8, 50


class Burst:
    """SCIM clients each creating users and changing them twice, until told or cut off."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token
        self.acknowledged = 0
        self.enough = asyncio.Event()
        self.todo = list(range(USERS))

    async def client(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with httpx.AsyncClient(base_url=self.base, headers=headers, timeout=30) as http:
            while self.todo:
                k = self.todo.pop()
                try:
                    body = {"schemas": [USER], "userName": f"w{k}@example.com", "active": True}
                    made = await http.post("/scim/v2/Users", json=body)
                    assert made.status_code == 201, made.text
                    for title in ("a", "b"):
                        ops = [{"op": "replace", "path": "title", "value": title}]
                        changed = await http.patch(
                            f"/scim/v2/Users/{made.json()['id']}",
                            json={"schemas": [PATCH], "Operations": ops},
                        )
                        assert changed.status_code in (200, 204), changed.text
                except httpx.TransportError:
                    return
                self.acknowledged += 1
                if self.acknowledged >= KILL_AFTER:
                    self.enough.set()


class Feed:
    """A GET /events consumer that follows the feed across the restart."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token
        self.seqs: list[int] = []

    async def follow(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        after = 0
        async with httpx.AsyncClient(base_url=self.base, headers=headers, timeout=30) as http:
            while True:
                try:
                    page = await http.get("/events", params={"after": after, "wait": 2})
                except httpx.TransportError:
                    await asyncio.sleep(0.2)
                    continue
                if page.status_code != 200:
                    await asyncio.sleep(0.2)
                    continue
                events = page.json()["events"]
                self.seqs += [e["seq"] for e in events]
                after = page.json()["next"]


async def _endpoint(base: str, admin: str, url: str) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        answer = await http.post(
            "/graphql",
            json={"query": CREATE, "variables": {"input": {"url": url}}},
            headers={"Authorization": f"Bearer {admin}"},
        )
    assert answer.json()["data"]["createWebhookEndpoint"]["userErrors"] == [], answer.text


async def _metrics(base: str, workers: int) -> None:
    """/metrics counts the deliveries, shows no failing endpoint, and passes promtool."""
    async with httpx.AsyncClient(timeout=10) as http:
        text = (await http.get(base + "/metrics")).text
    assert "roster_webhook_endpoints_failing 0.0" in text
    if workers == 1:  # (with two, the worker answering may have sent none)
        assert 'roster_webhook_deliveries_total{endpoint="' in text
        assert 'outcome="delivered"' in text
    promtool = shutil.which("promtool")
    if promtool:
        command = [promtool, "check", "metrics"]
        checked = await asyncio.to_thread(
            subprocess.run, command, input=text, capture_output=True, text=True, check=False
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr


async def _rows(db: Database, sql: str) -> list[dict[str, Any]]:
    async with db.transaction(write=False) as tx:
        return [{k: r[k] for k in r.keys()} for r in await tx.fetch(sql)]  # noqa: SIM118


async def _burst(settings: Settings, db: Database, workers: int, kill: bool) -> None:
    async with db.transaction() as tx:
        scim = await issue_scim_token(tx, name="burst", ttl_days=30, max_active=2)
        admin = await issue_admin_token(tx, login_id="owner@example.com", role="owner")
    receiver = await Receiver().start()
    port = free_port()
    env = {**ENV, "ROSTER_WORKERS": str(workers)}
    proc, base = await asyncio.to_thread(start_server, settings, port, **env)
    feed = Feed(base, admin)
    following = asyncio.create_task(feed.follow())
    try:
        await _endpoint(base, admin, receiver.url("/a"))
        await _endpoint(base, admin, receiver.url("/b"))
        burst = Burst(base, scim)
        clients = [asyncio.create_task(burst.client()) for _ in range(CLIENTS)]
        if kill:
            await asyncio.wait_for(burst.enough.wait(), timeout=120)
            proc.send_signal(signal.SIGKILL)
            await asyncio.gather(*clients)
            await asyncio.to_thread(proc.communicate)
            assert proc.returncode == -signal.SIGKILL
            proc, _ = await asyncio.to_thread(start_server, settings, port, **env)
            burst.todo = [USERS]  # one change after the restart: this process sends it
            await burst.client()
        else:
            await asyncio.gather(*clients)
        events = await _rows(db, "SELECT seq, id, type, resource_type FROM outbox_events")
        # the burst's events: after both endpoints were created (webhook.create events)
        start = max(e["seq"] for e in events if e["type"] == "settings.updated")
        users = {e["id"]: e for e in events if e["resource_type"] == "User" and e["seq"] > start}
        last = max(e["seq"] for e in events)

        def arrived(path: str) -> set[str]:
            return {r.event["id"] for r in receiver.on(path) if r.status == 200}

        await receiver.wait_for(
            lambda: set(users) <= arrived("/a") and set(users) <= arrived("/b"), 90
        )
        for _ in range(300):
            if feed.seqs and feed.seqs[-1] >= last:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1)  # anything more would arrive now
        await _metrics(base, workers)
    finally:
        following.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await following
        await asyncio.to_thread(stop_server, proc)
        await receiver.stop()
    await _check(db, receiver, users=users, feed=feed, events=events, kill=kill)


async def _check(
    db: Database,
    receiver: Receiver,
    *,
    users: dict[str, dict[str, Any]],
    feed: Feed,
    events: list[dict[str, Any]],
    kill: bool,
) -> None:
    committed = {e["id"] for e in events}
    attempts = await _rows(
        db,
        "SELECT e.url, a.event_seq, count(*) AS n FROM webhook_attempts a JOIN webhook_endpoints"
        " e ON e.id = a.endpoint_id GROUP BY e.url, a.event_seq",
    )
    recorded = {(r["url"].rsplit("/", 1)[1], int(r["event_seq"])): int(r["n"]) for r in attempts}
    for path in ("/a", "/b"):
        got = [r.event for r in receiver.on(path)]
        assert {e["id"] for e in got} <= committed, "an event that did not commit was sent"
        assert {e["id"] for e in got} >= set(users)
        by_resource: dict[str, list[int]] = defaultdict(list)
        counts: dict[int, int] = defaultdict(int)
        for e in got:
            by_resource[f"{e['resourceType']}:{e['resourceId']}"].append(e["seq"])
            counts[e["seq"]] += 1
        for key, seqs in by_resource.items():
            assert seqs == sorted(seqs), f"{path} {key} out of order: {seqs}"
        for seq, n in counts.items():
            # a send whose answer was recorded is never repeated; only one cut off by the
            # kill (sent, answered or not, not recorded) may go again
            allowed = recorded.get((path[1:], seq), 0) + (1 if kill else 0)
            assert n <= allowed, f"{path}: event {seq} sent {n} times, {allowed} allowed"
            if not kill:
                assert n == 1, f"{path}: event {seq} sent {n} times"
    seqs = sorted(e["seq"] for e in events)
    assert feed.seqs == seqs == list(range(seqs[0], seqs[-1] + 1)), "the feed has a gap"


async def test_sigkill_mid_burst_loses_no_webhook_and_no_feed_event(
    settings: Settings, clean_db: Database
) -> None:
    await _burst(settings, clean_db, workers=1, kill=True)


async def test_two_workers_send_each_event_once(settings: Settings, clean_db: Database) -> None:
    await _burst(settings, clean_db, workers=2, kill=False)
