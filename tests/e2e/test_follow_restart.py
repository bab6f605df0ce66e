"""`roster provisioning events --follow` across a server restart: it says it lost the feed,
reconnects with backoff, and prints every event once, in order, including those committed while
it was away (both engines, real processes)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import httpx
import pytest

from app.db import Database
from app.domain.access.bootstrap import issue_admin_token, issue_scim_token
from app.settings import Settings
from tests.e2e.conftest import Live, start_server, stop_server
from tests.e2e.test_health import free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
USER = "urn:ietf:params:scim:schemas:core:2.0:User"


async def _create(base: str, scim: str, login: str) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        answer = await client.post(
            base + "/scim/v2/Users",
            headers={
                "Authorization": f"Bearer {scim}",
                "Content-Type": "application/scim+json",
                "X-Request-Id": login,
            },
            json={"schemas": [USER], "userName": f"{login}@example.com", "active": True},
        )
    assert answer.status_code == 201, answer.text


async def _line(stream: asyncio.StreamReader, seconds: float = 60) -> str:
    return (await asyncio.wait_for(stream.readline(), seconds)).decode()


async def test_follow_reconnects_after_a_restart_and_prints_each_event_once_in_order(
    settings: Settings, clean_db: Database
) -> None:
    async with clean_db.transaction() as tx:
        scim = await issue_scim_token(tx, name="e2e", ttl_days=30, max_active=2)
        admin = await issue_admin_token(tx, login_id="owner@example.com", role="owner")
    port = free_port()
    server, base = start_server(settings, port=port)
    env = {**os.environ, "ROSTER_SERVER": base, "ROSTER_TOKEN": admin}
    follow = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        "provisioning",
        "events",
        "--follow",
        "--json",
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert follow.stdout is not None and follow.stderr is not None
    printed: list[str] = []
    try:
        assert await _line(follow.stderr) == (
            f"roster: following provisioning events on {base} (Ctrl-C to stop)\n"
        )
        # The subscription starts a moment after the ready line: write until one shows up.
        for attempt in range(20):
            await _create(base, scim, f"before-{attempt}")
            try:
                printed.append(json.loads(await _line(follow.stdout, 1))["requestId"])
                break
            except TimeoutError:
                continue
        first = printed[0]

        stop_server(server)  # the restart: the feed goes away ...
        lost = await _line(follow.stderr)
        assert lost.startswith(f"roster: lost the live feed from {base} (")
        assert lost.endswith("); reconnecting\n")
        # ... and, while the client waits, another server on the same database takes writes.
        other, other_base = start_server(settings)
        await _create(other_base, scim, "away-1")
        await _create(other_base, scim, "away-2")
        stop_server(other)
        server, _ = start_server(settings, port=port)

        back = await _line(follow.stderr)
        event_id = back.rsplit(" ", 1)[1].strip()
        assert back == f"roster: reconnected to {base}; resuming after event {event_id}\n"
        printed += [json.loads(await _line(follow.stdout))["requestId"] for _ in range(2)]
        await _create(base, scim, "after")
        printed.append(json.loads(await _line(follow.stdout))["requestId"])

        follow.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(follow.communicate(), timeout=30)
    finally:
        if follow.returncode is None:
            follow.kill()
            await follow.wait()
        stop_server(server)
    assert printed == [first, "away-1", "away-2", "after"]
    assert (follow.returncode, out, err) == (0, b"", b"")  # nothing twice, nothing more


async def test_follow_stops_when_its_token_is_revoked_instead_of_retrying(live: Live) -> None:
    env = {**os.environ, "ROSTER_SERVER": live.base, "ROSTER_TOKEN": live.admin}
    follow = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        "provisioning",
        "events",
        "--follow",
        "--json",
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert follow.stderr is not None
    try:
        ready = await _line(follow.stderr)
        assert ready == f"roster: following provisioning events on {live.base} (Ctrl-C to stop)\n"
        revoke = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "app",
            "token",
            "revoke",
            "cli:owner@example.com",
            env={**os.environ, "ROSTER_DATABASE_URL": live.settings.database_url},
            cwd=ROOT,
            stderr=asyncio.subprocess.DEVNULL,
        )
        assert await asyncio.wait_for(revoke.wait(), 60) == 0
        out, err = await asyncio.wait_for(follow.communicate(), timeout=30)
    finally:
        if follow.returncode is None:
            follow.kill()
            await follow.wait()
    assert (follow.returncode, out, err.decode()) == (
        1,
        b"",
        "roster: the server refused the token on the live feed (4403); set ROSTER_TOKEN to a"
        " valid admin API token (roster token create-admin)\n",
    )
