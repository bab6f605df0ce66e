"""A server killed with SIGKILL in the middle of a load of SCIM creates loses nothing it
acknowledged and keeps no half of anything: after a restart each user is wholly present or
wholly absent, and the provisioning log and the audit log agree with the users (both engines).

Each SCIM write is one transaction that also writes its audit entry and its SUCCESS event
(app/scim/pipeline.py), so the three are committed together or not at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import Any

import httpx

from app.db import Database
from app.domain.access.bootstrap import issue_scim_token
from app.settings import Settings
from tests.e2e.conftest import start_server, stop_server

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
TOTAL = 400
CLIENTS = 16
KILL_AFTER = 60  # acknowledged creates before the kill


def resource(k: int) -> dict[str, Any]:
    """The k-th user of the load, with attributes stored in every place a user keeps them."""
    return {
        "schemas": [USER, ENT],
        "userName": f"crash{k}@example.com",
        "externalId": f"ext-{k}",
        "active": k % 3 != 0,
        "name": {"givenName": f"Given{k}", "familyName": f"Family{k}"},
        "title": f"Title {k}",
        "emails": [
            {"type": "work", "value": f"crash{k}@example.com", "primary": True},
            {"type": "other", "value": f"other{k}@example.org"},  # kept in scim_extras
        ],
        ENT: {"department": f"Dept {k % 7}", "employeeNumber": str(k)},
    }


def stored(doc: dict[str, Any]) -> dict[str, Any]:
    """What of a read resource the create wrote (no id, meta or derived values)."""
    return {k: v for k, v in doc.items() if k not in ("id", "meta")}


class Load:
    """CLIENTS concurrent clients creating users until the server goes away."""

    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
        self.queue: asyncio.Queue[int] = asyncio.Queue()
        for k in range(TOTAL):
            self.queue.put_nowait(k)
        self.acknowledged: dict[int, str] = {}  # k -> id, answered 201
        self.unknown: set[int] = set()  # sent, no answer: the kill came first
        self.enough = asyncio.Event()

    async def client(self) -> None:
        async with httpx.AsyncClient(base_url=self.base, headers=self.headers, timeout=30) as http:
            while not self.queue.empty():
                k = self.queue.get_nowait()
                try:
                    response = await http.post("/scim/v2/Users", json=resource(k))
                except httpx.TransportError:
                    self.unknown.add(k)
                    return
                assert response.status_code == 201, response.text
                self.acknowledged[k] = response.json()["id"]
                if len(self.acknowledged) >= KILL_AFTER:
                    self.enough.set()


async def _rows(db: Database, sql: str) -> list[dict[str, Any]]:
    async with db.transaction() as tx:
        return [{k: r[k] for k in r.keys()} for r in await tx.fetch(sql)]  # noqa: SIM118


async def test_sigkill_mid_load_leaves_each_user_whole_or_absent(
    settings: Settings, clean_db: Database
) -> None:
    async with clean_db.transaction() as tx:
        token = await issue_scim_token(tx, name="crash", ttl_days=30, max_active=2)
    load = await _load_then_kill(settings, token)
    assert load.unknown, "the kill should have caught requests in flight"
    assert len(load.acknowledged) < TOTAL

    proc, base = await asyncio.to_thread(start_server, settings)
    try:
        found = await _read_back(base, token)
    finally:
        await asyncio.to_thread(stop_server, proc)

    in_flight = len(load.unknown & set(found))
    print(
        f"\ncrash on {settings.database_kind}: {len(load.acknowledged)} acknowledged,"
        f" {len(load.unknown)} in flight ({in_flight} committed), {len(found)} present"
    )
    # Acknowledged creates survived; every user present is whole; in-flight ones either way.
    assert set(load.acknowledged) <= set(found)
    assert set(found) <= set(load.acknowledged) | load.unknown
    for k, doc in found.items():
        assert stored(doc) == resource(k), k
        if k in load.acknowledged:
            assert doc["id"] == load.acknowledged[k]
    await _logs_agree(clean_db, {doc["id"] for doc in found.values()})


async def _load_then_kill(settings: Settings, token: str) -> Load:
    """Start a server, put the load on it, SIGKILL it after KILL_AFTER acknowledgements."""
    proc, base = await asyncio.to_thread(start_server, settings)
    load = Load(base, token)
    clients = [asyncio.create_task(load.client()) for _ in range(CLIENTS)]
    try:
        await asyncio.wait_for(load.enough.wait(), timeout=120)
        proc.send_signal(signal.SIGKILL)  # mid-load: CLIENTS requests are in flight
        await asyncio.gather(*clients)
    finally:
        for task in clients:
            task.cancel()
        with contextlib.suppress(Exception):
            proc.kill()
        await asyncio.to_thread(proc.communicate)
    assert proc.returncode == -signal.SIGKILL
    return load


async def _read_back(base: str, token: str) -> dict[int, dict[str, Any]]:
    """Every user of the load present after the restart, by k (one query per user)."""
    found: dict[int, dict[str, Any]] = {}
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:
        for k in range(TOTAL):
            params = {"filter": f'userName eq "crash{k}@example.com"'}
            page = (await http.get("/scim/v2/Users", params=params)).json()
            assert page["totalResults"] in (0, 1)
            if page["totalResults"]:
                found[k] = page["Resources"][0]
    return found


async def _logs_agree(db: Database, present: set[str]) -> None:
    """A SUCCESS event and a user.create audit entry for exactly the users present."""
    events = await _rows(
        db, "SELECT resource_id, outcome, method FROM provisioning_events ORDER BY at"
    )
    assert {(e["method"], e["outcome"]) for e in events} == {("POST", "SUCCESS")}
    assert sorted(e["resource_id"] for e in events) == sorted(present)
    audits = await _rows(db, "SELECT target_id FROM audit_entries WHERE action = 'user.create'")
    assert sorted(a["target_id"] for a in audits) == sorted(present)
    users = await _rows(db, "SELECT id FROM users WHERE deleted_at IS NULL")
    assert {u["id"] for u in users} == present
