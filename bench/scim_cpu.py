"""`make bench-cpu`: the CPU one SCIM request costs Roster's own code, in process.

`make bench` measures req/s over sockets, which moves with whatever else the shared machine
runs and includes uvicorn's work, the same for every app. This measures what Roster adds: each
request is sent as an ASGI call to the whole application `roster serve` runs (`create_app`,
its lifespan started: request context, rate limit, the SCIM router, the database), with no
socket and no HTTP parser, and the cost is this process's CPU time per request
(`time.process_time`), which a neighbour's burst moves far less than req/s (it still does,
through shared caches: hence the lowest figure). On PostgreSQL the database server's own
work is not in it (it runs in its backends). It is the tool for an A/B of a change on the
request path: run it on both sides, alternating, and compare the lowest figures (the medians
still move with a busy machine).

Phases, in order, each `BENCH_CPU_ROUNDS` rounds of `BENCH_CPU_BATCH` requests:
  create   POST /Users with what an IdP sends (name, a work email marked primary, externalId)
  get      GET /Users/{id} of those users
  filter   GET /Users?filter=userName eq "…" of those users
  list     GET /Users?startIndex=…&count=100
  patch    PATCH /Users/{id} replace active (false, then true the next round: every one writes)

The deprovisioning guard stays on with a threshold the phases never reach (`minimum` raised),
so the PATCHes are applied as in normal operation; otherwise it would trip within the first
round and the rest would measure held writes.

Environment: BENCH_CPU_ENGINE (sqlite | postgresql; PostgreSQL uses BENCH_PG_URL, dropped
and recreated), BENCH_CPU_SIZE (users seeded first, 2,000), BENCH_CPU_BATCH (500),
BENCH_CPU_ROUNDS (7), BENCH_CPU_PHASES (all). Prints one line per phase: the median and the
lowest µs of CPU per request over the rounds, and the spread.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson

from app.main import create_app
from app.settings import Settings
from bench.setup import prepare_directory

ROOT = Path(__file__).resolve().parent.parent
PHASES = ("create", "get", "filter", "list", "patch")
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

Request = tuple[str, str, bytes, bytes]  # method, path, query string, body


class Client:
    """Sends requests to the app as ASGI calls; checks each answer's status."""

    def __init__(self, app: Any, token: str) -> None:
        self.stack = app.build_middleware_stack()
        self.headers = [
            (b"host", b"127.0.0.1:8000"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"accept", b"application/scim+json"),
            (b"content-type", b"application/scim+json"),
        ]
        self.sent: list[dict[str, Any]] = []

    async def call(self, request: Request, expect: int) -> bytes:
        method, path, query, body = request
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query,
            "root_path": "",
            "headers": self.headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            self.sent.append(message)

        self.sent.clear()
        await self.stack(scope, receive, send)
        status = self.sent[0]["status"]
        answer = b"".join(m.get("body", b"") for m in self.sent[1:])
        if status != expect:
            raise RuntimeError(f"{method} {path}: {status} {answer[:300]!r}")
        return answer


def _new_user(login: str) -> bytes:
    return orjson.dumps(
        {
            "schemas": [USER],
            "userName": login,
            "externalId": f"ext-{login}",
            "name": {"givenName": "Bench", "familyName": login.split("@", maxsplit=1)[0]},
            "emails": [{"value": login, "type": "work", "primary": True}],
            "active": True,
        }
    )


def _deactivate(active: bool) -> bytes:
    ops = [{"op": "replace", "value": {"active": active}}]
    return orjson.dumps({"schemas": [PATCH_OP], "Operations": ops})


async def _round(client: Client, requests: list[Request], expect: int) -> float:
    """CPU seconds per request over ``requests``."""
    cpu0 = time.process_time()
    for request in requests:
        await client.call(request, expect)
    return (time.process_time() - cpu0) / len(requests)


async def run(engine: str, size: int, batch: int, rounds: int, phases: list[str]) -> None:
    """Seed, start the app, and print each phase's CPU per request."""
    setup = prepare_directory(ROOT, engine, size)
    settings = Settings(
        database_url=setup.env["ROSTER_DATABASE_URL"],
        access_log=False,
        rate_limit_per_second=0,
        _env_file=None,
    )
    app = create_app(settings)
    tag = uuid.uuid4().hex[:6]
    logins = [f"cpu-{tag}-{i}@example.com" for i in range(batch * (rounds + 1))]
    async with app.router.lifespan_context(app):
        async with app.state.db.transaction() as tx:  # see the module's docstring
            await tx.execute("UPDATE deprovisioning_guard SET minimum = 1000000000 WHERE id = 1")
        client = Client(app, setup.scim_token)
        ids: list[str] = []
        created = [("POST", "/scim/v2/Users", b"", _new_user(login)) for login in logins]
        for request in created[:batch]:  # warm-up, and users for the reads
            ids.append(orjson.loads(await client.call(request, 201))["id"])
        by_phase: dict[str, Callable[[int], tuple[list[Request], int]]] = {
            "create": lambda r: (created[batch * (r + 1) : batch * (r + 2)], 201),
            "get": lambda r: ([("GET", f"/scim/v2/Users/{i}", b"", b"") for i in ids], 200),
            "filter": lambda r: (
                [
                    ("GET", "/scim/v2/Users", _query(f'userName eq "{login}"'), b"")
                    for login in logins[:batch]
                ],
                200,
            ),
            "list": lambda r: (
                [
                    ("GET", "/scim/v2/Users", _page(1 + (k * 97) % size), b"")
                    for k in range(max(1, batch // 10))
                ],
                200,
            ),
            "patch": lambda r: (
                [("PATCH", f"/scim/v2/Users/{i}", b"", _deactivate(r % 2 == 1)) for i in ids],
                200,
            ),
        }
        print(f"SCIM in process, {engine}, {size} users seeded, {rounds} rounds of {batch}")
        for phase in phases:
            costs = []
            if phase in ("get", "filter", "list"):  # the writes were warmed by the first batch
                warm, expect = by_phase[phase](0)
                await _round(client, warm[:50], expect)
            for r in range(rounds):
                requests, expect = by_phase[phase](r)
                costs.append(await _round(client, requests, expect))
            med, low = statistics.median(costs), min(costs)
            spread = (max(costs) - low) / med
            print(
                f"{phase:7s} {med * 1e6:8.1f} us CPU/request (lowest {low * 1e6:.1f},"
                f" spread {spread:.0%})"
            )


def _page(start: int) -> bytes:
    return f"startIndex={start}&count=100".encode()


def _query(filter_text: str) -> bytes:
    return f"filter={quote(filter_text)}".encode()


def main() -> None:
    """Read the environment and run."""
    engine = os.environ.get("BENCH_CPU_ENGINE", "sqlite")
    size = int(os.environ.get("BENCH_CPU_SIZE", "2000"))
    batch = int(os.environ.get("BENCH_CPU_BATCH", "500"))
    rounds = int(os.environ.get("BENCH_CPU_ROUNDS", "7"))
    chosen = os.environ.get("BENCH_CPU_PHASES", ",".join(PHASES)).split(",")
    unknown = set(chosen) - set(PHASES)
    if unknown:
        raise SystemExit(f"unknown phases {sorted(unknown)}; choose from {', '.join(PHASES)}")
    asyncio.run(run(engine, size, batch, rounds, [p for p in PHASES if p in chosen]))


if __name__ == "__main__":
    main()
