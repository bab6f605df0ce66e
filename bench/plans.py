"""`python -m bench.plans`: PostgreSQL plans and timings of the main queries (docs/query-plans.md).

Migrates to head, seeds an empty database (``roster dev seed``, then a provisioning and audit log
and some admin writes through the domain functions), runs VACUUM ANALYZE, runs each scenario's
domain function in a rolled-back transaction through `RecordingTx` and explains each statement
it sent, with its parameters. An existing output's ``## Notes`` (written by hand) are kept."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app import migrations
from app.db import Database, Params, Row, Tx
from app.domain.settings.catalogue import get_catalogue
from app.settings import Settings
from bench.plan_scenarios import SAMPLE, Scenario, add_log, graphql_scenarios, scim_scenarios

RUNS, USERS, GROUP_SIZE = 5, 100_000, 50_000
LARGE = ("users", "memberships", "audit_entries", "provisioning_events")
SCAN = re.compile(r"(Seq Scan on|Scan(?: Backward)? using|Bitmap Index Scan on) (\w+)")


class _Rollback(Exception):
    """Ends a scenario's transaction without committing."""


class RecordingTx:
    """A Tx that notes each statement and its parameters, then runs it on the real one."""

    def __init__(self, inner: Tx) -> None:
        self.inner, self.dialect, self.cache = inner, inner.dialect, inner.cache
        self.memo = inner.memo
        self.statements: list[tuple[str, dict[str, Any]]] = []
        self.callbacks: list[Callable[[], Awaitable[None] | None]] = []

    def _note(self, sql: str, params: Params) -> Tx:
        self.statements.append((sql, dict(params or {})))
        return self.inner

    async def fetch(self, sql: str, params: Params = None) -> list[Row]:
        return await self._note(sql, params).fetch(sql, params)

    async def fetchrow(self, sql: str, params: Params = None) -> Row | None:
        return await self._note(sql, params).fetchrow(sql, params)

    async def fetchval(self, sql: str, params: Params = None) -> Any:
        return await self._note(sql, params).fetchval(sql, params)

    async def execute(self, sql: str, params: Params = None) -> int:
        return await self._note(sql, params).execute(sql, params)

    def savepoint(self) -> Any:
        return self.inner.savepoint()

    def before_commit(self, callback: Callable[[], Awaitable[None]]) -> None:
        self.inner.before_commit(callback)

    def after_commit(self, callback: Callable[[], Awaitable[None] | None]) -> None:
        self.callbacks.append(callback)

    def notify(self, channel: str, payload: str) -> None:
        self.inner.notify(channel, payload)


async def _run(db: Database, s: Scenario, explain: bool) -> tuple[float, Any]:
    """One run in a transaction that is rolled back: ms of the domain call, its result."""
    rec: RecordingTx | None = None
    try:
        async with db.transaction(write=s.writes) as tx:
            rec = RecordingTx(tx)
            start = time.perf_counter()
            got = await s.work(rec)
            ms = (time.perf_counter() - start) * 1000
            for sql, params in rec.statements if explain else []:
                rows = await tx.fetch(f"EXPLAIN (COSTS OFF) {sql}", params)
                s.plans.append((sql, "\n".join(r[0] for r in rows)))
            raise _Rollback
    except _Rollback:
        pass
    assert rec is not None
    for callback in [] if s.writes else rec.callbacks:  # what committing the read would cache
        if (pending := callback()) is not None:
            await pending
    return ms, got


async def measure(db: Database, s: Scenario) -> Scenario:
    """The plans of a first run (cold per-process caches), then the best ms of RUNS more."""
    first, got = await _run(db, s, explain=True)
    s.best_ms = min([(await _run(db, s, explain=False))[0] for _ in range(RUNS)])
    rows = got[1] if isinstance(got, tuple) else getattr(got, "items", getattr(got, "added", got))
    s.outcome = f"count {got}" if isinstance(got, int) else f"{len(rows)} rows"
    s.outcome += f"; first run {first:.2f} ms"
    return s


async def prepare(db: Database, url: str) -> dict[str, int]:
    """Seed what is missing, VACUUM ANALYZE; the row count of each table that can grow large."""
    async with db.transaction(write=False) as tx:
        empty = not await tx.fetchval("SELECT count(*) FROM users")
    if empty:
        size = ["--users", str(USERS), "--groups", "1", "--group-size", str(GROUP_SIZE)]
        cmd = [sys.executable, "-m", "app", "dev", "seed", *size]
        env = {**os.environ, "ROSTER_DATABASE_URL": url}
        if await (await asyncio.create_subprocess_exec(*cmd, env=env)).wait():
            raise SystemExit("roster dev seed failed")
    async with db.transaction(write=False) as tx:
        logged = await tx.fetchval("SELECT count(*) FROM provisioning_events")
        ids = [r[0] for r in await tx.fetch("SELECT id FROM users ORDER BY id")]
        group = await tx.fetchval(SAMPLE[2])
    if not logged:
        await add_log(db, ids, group)
    async with db.pool.acquire() as conn:
        await conn.execute("VACUUM (ANALYZE)")
        return {t: await conn.fetchval(f"SELECT count(*) FROM {t}") for t in (*LARGE, "groups")}


async def sample(db: Database) -> dict[str, Any]:
    """The SAMPLE values and the catalogue."""
    found: dict[str, Any] = {}
    async with db.transaction(write=False) as tx:
        for sql in SAMPLE:
            found.update(await tx.fetchrow(sql, found) or {})
        found["catalogue"] = await get_catalogue(tx)
    return found


def _scans(plans: list[tuple[str, str]]) -> str:
    text = "\n".join(plan for _, plan in plans)
    found = (f"Seq Scan {m[2]}" if m[1] == "Seq Scan on" else m[2] for m in SCAN.finditer(text))
    return ", ".join(f"**{f}**" if f.split()[-1] in LARGE else f for f in dict.fromkeys(found))


def render(done: list[Scenario], sizes: dict[str, int], cmd: str, old: str, base: str) -> str:
    """The document: how it was made, each scenario's statements and plans, a summary (with the
    scans and ms of a baseline document beside, if any), and the Notes kept from ``old``."""
    rows = ", ".join(f"{t} {n:,}" for t, n in sizes.items())
    out = [
        "# Query plans of the main queries on PostgreSQL\n",
        f"Made by `{cmd}` on {datetime.now(UTC):%Y-%m-%d} (rows: {rows}).",
        "Each scenario runs the real domain function in a transaction that is rolled back; the",
        "statements are those of its first run (cold per-process caches), each explained with",
        "`EXPLAIN (COSTS OFF)` and the same parameters in the same transaction. ms is the best",
        f"of {RUNS} more runs of the domain call (its statements and round trips; no HTTP).\n",
    ]
    for s in done:
        out += [f"## {s.name}\n", f"{s.best_ms:.2f} ms; {s.outcome}.\n"]
        for sql, plan in s.plans:
            short = sql if len(sql) < 700 else f"{sql[:450]} … {sql[-200:]}"
            lines = (ln if len(ln) < 240 else f"{ln[:200]} …" for ln in plan.splitlines())
            out += ["```sql", short, "```", "```", *lines, "```\n"]
    before = dict(re.findall(r"^\| (.+?) \| (.*? \| [\d.]+) \|", base, re.MULTILINE))
    extra = (" before: scans | before: ms |", "---|--:|") if base else ("", "")
    out += ["## Summary\n", "| scenario | scans | ms |" + extra[0], "|---|---|--:|" + extra[1]]
    for s in done:
        was = f" {before.get(s.name, '- | -')} |" if base else ""
        out.append(f"| {s.name} | {_scans(s.plans)} | {s.best_ms:.2f} |{was}")
    return "\n".join(out) + "\n" + "".join(old.partition("\n## Notes")[1:])


async def main(url: str) -> tuple[list[Scenario], dict[str, int]]:
    """Migrate, seed, measure."""
    settings = Settings(database_url=url, _env_file=None)
    migrations.upgrade(settings)
    db = Database(settings)
    await db.connect()
    try:
        sizes = await prepare(db, url)
        s = await sample(db)
        return [await measure(db, x) for x in scim_scenarios(s) + graphql_scenarios(s)], sizes
    finally:
        await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.plans", description=__doc__)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/roster_plans")
    parser.add_argument("--out", type=Path, default=Path("docs/query-plans.md"))
    parser.add_argument("--baseline", type=Path, help="an earlier output, shown beside")
    args = parser.parse_args()
    done, sizes = asyncio.run(main(args.url))
    old = args.out.read_text() if args.out.exists() else ""
    base = args.baseline.read_text() if args.baseline else ""
    cmd = " ".join(["python -m bench.plans", *sys.argv[1:]])
    args.out.write_text(render(done, sizes, cmd, old, base))
