"""A streamed full group read over a real server (app.scim.group_stream), on both engines: a
client that goes mid-stream leaves no snapshot or pooled connection behind.

The client makes its receive buffer small and reads almost nothing, so the server's stream
stops on TCP flow control partway through a 40,000-member group (about 6 MB of JSON) with its
snapshot open, as the server's /metrics shows, before the client goes.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import httpx

from app.db import Database
from app.domain.access.bootstrap import issue_scim_token
from app.domain.types import SYSTEM
from app.seeding import seed_groups, seed_users
from app.settings import Settings
from tests.e2e.conftest import start_server, stop_server

MEMBERS = 40_000


def _pool(base: str) -> tuple[int, int]:
    """(snapshots open, pooled connections in use) from the server's /metrics."""
    text = httpx.get(f"{base}/metrics", timeout=10).text
    found = dict(line.split(" ", 1) for line in text.splitlines() if line.startswith("roster_db"))
    return int(float(found["roster_db_pool_snapshots"])), int(float(found["roster_db_pool_in_use"]))


def _until(check: Callable[[], bool], seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


async def test_a_client_gone_mid_stream_leaves_no_snapshot_held(
    settings: Settings, clean_db: Database
) -> None:
    async with clean_db.transaction() as tx:
        token = await issue_scim_token(tx, name="e2e", ttl_days=30, max_active=2)
        ids = await seed_users(tx, actor=SYSTEM, count=MEMBERS, prefix="s-")
        [group] = await seed_groups(
            tx, actor=SYSTEM, user_ids=ids, count=1, size=MEMBERS, prefix="s-"
        )
    _abandon_streams(settings, token, group)


def _abandon_streams(settings: Settings, token: str, group: str) -> None:
    # A pool of 2: three abandoned streams that each kept a connection would leave the last
    # read waiting for one.
    proc, base = start_server(settings, ROSTER_SCIM_STREAM_BATCH="100", ROSTER_DB_POOL_MAX="2")
    try:
        assert _pool(base) == (0, 0)
        host, port = base.removeprefix("http://").split(":")
        request = (
            f"GET /scim/v2/Groups/{group} HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {token}\r\n\r\n"
        ).encode()
        for _ in range(3):
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect((host, int(port)))
            sock.sendall(request)
            assert sock.recv(64).startswith(b"HTTP/1.1 200 OK")
            assert _until(lambda: _pool(base)[0] == 1)  # the stream is under way
            time.sleep(0.3)
            # and stopped partway by flow control, its snapshot open (on PostgreSQL, a pooled
            # connection: the /metrics request's own transaction has ended)
            assert _pool(base) == (1, 0 if settings.database_kind == "sqlite" else 1)
            sock.close()  # unread data: the kernel resets the connection
            assert _until(lambda: _pool(base) == (0, 0))
        full = httpx.get(
            f"{base}/scim/v2/Groups/{group}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        assert (full.status_code, len(full.json()["members"])) == (200, MEMBERS)
        assert _pool(base) == (0, 0)
    finally:
        stop_server(proc)
