"""`make bench-guard-cpu`: the deprovisioning guard's CPU cost on a SCIM PATCH, in process.

The companion of `make bench-guard` (wrk, req/s) for a shared machine, where req/s moves with
the neighbours: the same `PATCH active=false` sent through the real SCIM app in this process
(httpx's ASGI transport: no sockets, no server), the guard switched off (A) and on with a
threshold it never reaches (B), in alternating batches of fresh users. The cost is this
process's CPU time per request (`time.process_time`), which another program's burst does not
inflate; on PostgreSQL the database server's own work is not in it (it runs in its backends),
so the wrk A/B is the figure there. Prints the median of each side, the ratio B/A and the
spread of the pairs.

Environment: BENCH_GUARD_ENGINE (sqlite), BENCH_GUARD_SIZE (10000 users), BENCH_GUARD_BATCH
(500 requests a batch), BENCH_GUARD_ROUNDS (8 pairs of batches). BENCH_GUARD_ONE=off|on runs
the warm-up and then one batch of that side only and prints nothing: under
`valgrind --tool=callgrind`, which counts instructions whatever else the machine does, the
difference between two batch sizes of one side, divided by the difference in requests, is
that side's instructions per request.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from pathlib import Path

import httpx
import orjson
from starlette.applications import Starlette
from starlette.routing import Mount

from app.db import Database
from app.scim.app import build_scim_app
from app.scim.wire import MOUNT
from app.settings import Settings
from bench.setup import prepare_directory

ROOT = Path(__file__).resolve().parent.parent
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BODY = orjson.dumps(
    {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": False}]}
)


async def _switch(db: Database, on: bool) -> None:
    """The guard on (with a threshold it never reaches) or off, and its window empty."""
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE deprovisioning_guard SET enabled = :on, percent = 100, minimum = 1000000000,"
            " state = 'ARMED', tripped_at = NULL WHERE id = 1",
            {"on": on},
        )
        await tx.execute("DELETE FROM guard_counted")
        await tx.execute("DELETE FROM guard_leases")
        await tx.execute("UPDATE guard_window SET window_count = 0, window_deletes = 0")


async def _batch(client: httpx.AsyncClient, ids: list[str]) -> float:
    """CPU seconds per PATCH over ``ids`` (each deactivated once: every one is destructive)."""
    cpu0 = time.process_time()
    for uid in ids:
        response = await client.patch(f"{MOUNT}/Users/{uid}", content=BODY)
        if response.status_code != 200:
            raise RuntimeError(f"PATCH {uid}: {response.status_code} {response.text}")
    return (time.process_time() - cpu0) / len(ids)


async def _check_counted(db: Database, expected: int) -> None:
    """Every PATCH of an on-batch was judged and counted (none of an off-batch)."""
    async with db.transaction() as tx:
        counted = await tx.fetchval("SELECT COUNT(*) FROM guard_counted")
    if counted != expected:
        raise RuntimeError(f"{counted} writes counted, {expected} expected")


async def main() -> None:
    """Seed, then alternate off/on batches and print the medians and the ratio."""
    engine = os.environ.get("BENCH_GUARD_ENGINE", "sqlite")
    size = int(os.environ.get("BENCH_GUARD_SIZE", "10000"))
    batch = int(os.environ.get("BENCH_GUARD_BATCH", "500"))
    rounds = int(os.environ.get("BENCH_GUARD_ROUNDS", "8"))
    one = os.environ.get("BENCH_GUARD_ONE", "")
    setup = prepare_directory(ROOT, engine, size)
    settings = Settings(database_url=setup.env["ROSTER_DATABASE_URL"], _env_file=None)
    db = Database(settings)
    await db.connect()
    async with db.transaction() as tx:
        ids = [str(r[0]) for r in await tx.fetch("SELECT id FROM users ORDER BY id")]
    need = batch * (2 * rounds + 2)
    if len(ids) < need:
        raise SystemExit(f"{len(ids)} users seeded, {need} needed: raise BENCH_GUARD_SIZE")
    app = Starlette(routes=[Mount(MOUNT, app=build_scim_app(settings, db))])
    headers = {
        "Authorization": f"Bearer {setup.scim_token}",
        "Content-Type": "application/scim+json",
    }
    costs: dict[bool, list[float]] = {False: [], True: []}
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers=headers
        ) as client:
            chunks = iter(ids[i : i + batch] for i in range(0, need, batch))
            for on in (False, True):  # warm-up: caches, statements, the guard's live count
                await _switch(db, on)
                await _batch(client, next(chunks))
            if one:  # one side only, for an instruction count (see the module's docstring)
                await _switch(db, one == "on")
                await _batch(client, next(chunks))
                return
            for _ in range(rounds):
                for on in (False, True):
                    await _switch(db, on)
                    costs[on].append(await _batch(client, next(chunks)))
                    await _check_counted(db, batch if on else 0)
    finally:
        await db.close()
    if one:
        return
    cost_off, cost_on = statistics.median(costs[False]), statistics.median(costs[True])
    pairs = [b / a for a, b in zip(costs[False], costs[True], strict=True)]
    print(f"PATCH active=false, {engine}, in process, {rounds} pairs of {batch} requests")
    print(f"guard off: {cost_off * 1e6:.0f} us CPU/request; on: {cost_on * 1e6:.0f} us")
    print(f"ratio on/off {cost_on / cost_off:.3f} (pairs {min(pairs):.3f} to {max(pairs):.3f})")


if __name__ == "__main__":
    asyncio.run(main())
