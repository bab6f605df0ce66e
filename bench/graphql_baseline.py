"""What Roster's GraphQL costs over Strawberry itself: ``python -m bench.graphql_baseline``.

Measures, in one sitting and in-process (no HTTP, no auth), the page of the bench's
``graphql_users_page`` phase: ``users(first: 100)`` with 19 scalar fields, ``roles`` and
``groups(first: 10)``:

- baseline: a Strawberry-only schema of the same shape (same field types and arguments, the
  same DateTime scalar, no extensions) resolving the same 100 users, already in memory, with
  sync resolvers; "cached" is the same schema with ParserCache and ValidationCache;
- roster: Roster's real schema (every extension, a fresh request Context per run) over a seeded
  SQLite directory (1000 users, 20 groups of 50, a role on some users).

The baseline's objects are built from Roster's own answer, and the two answers must be equal,
so both sides serve the same data in the same shape. Costs are CPU time of this process (see
`batch_cost`), in batches alternating between the two sides; the ratio compares the best
batches (the median is printed too). Environment: GQLB_ROUNDS (150 batches per side),
GQLB_BATCH (2 executions each), GQLB_USERS (1000), GQLB_PROFILE (unset; a path writes a
cProfile of 50 executions of Roster's side there).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.graphql_shapes import QUERY, baseline_runner, roster_runner, seed_directory

Runner = Callable[[], Awaitable[Any]]


async def batch_cost(run: Runner, size: int) -> float:
    """CPU seconds per execution of ``run`` over ``size`` executions back to back.

    CPU time of this process, not wall time: the machine is shared, and another program's
    burst would otherwise be charged to whichever side happened to be running. Everything
    here runs on this one thread (SQLite is called inline), so CPU time is the whole cost.
    """
    cpu0 = time.process_time()
    for _ in range(size):
        await run()
    return (time.process_time() - cpu0) / size


async def compare(
    runners: dict[str, Runner], rounds: int, batch: int
) -> dict[str, tuple[float, float]]:
    """(best, median) executions per CPU-second of each runner, over alternating batches.

    The best batch is the figure least disturbed by the neighbours (as timeit takes the
    minimum); the median is printed beside it.
    """
    for run in runners.values():
        await batch_cost(run, batch)
    costs: dict[str, list[float]] = {name: [] for name in runners}
    for k in range(rounds):
        order = list(runners.items())
        for name, run in order if k % 2 else reversed(order):
            costs[name].append(await batch_cost(run, batch))
    return {name: (1 / min(c), 1 / statistics.median(c)) for name, c in costs.items()}


async def profile(run: Runner, path: str, count: int = 50) -> None:
    """Write a cProfile of ``count`` runs to ``path`` (pstats format)."""
    import cProfile

    prof = cProfile.Profile()
    prof.enable()
    for _ in range(count):
        await run()
    prof.disable()
    prof.dump_stats(path)
    print(f"# profile of {count} runs written to {path}", file=sys.stderr)


async def measure(users: int, rounds: int, batch: int) -> dict[str, tuple[float, float]] | None:
    """Seed, check that both sides answer the same, then compare them (None: they differ)."""
    with tempfile.TemporaryDirectory(prefix="roster-gqlb-") as tmp:
        settings = await seed_directory(Path(tmp), users)
        roster, answer, close = await roster_runner(settings)
        try:
            baseline = baseline_runner(answer)
            if await baseline.check() != answer:
                return None
            if os.environ.get("GQLB_PROFILE"):
                await profile(roster, os.environ["GQLB_PROFILE"])
            runners = {
                "baseline": baseline.run,
                "cached": baseline.run_cached,
                "roster": roster,
            }
            return await compare(runners, rounds, batch)
        finally:
            await close()


async def main_async() -> int:
    """Measure and print one line per side and the ratio."""
    users = int(os.environ.get("GQLB_USERS", "1000"))
    rounds = int(os.environ.get("GQLB_ROUNDS", "150"))
    batch = int(os.environ.get("GQLB_BATCH", "2"))
    result = await measure(users, rounds, batch)
    if result is None:
        print("bench: the baseline does not answer what Roster answers", file=sys.stderr)
        return 1
    print(f"query: {' '.join(QUERY.split())}")
    print(f"executions per CPU-second, best / median of {rounds} batches of {batch}:")
    for name, label in (
        ("baseline", "Strawberry only, in memory"),
        ("cached", "the same with ParserCache and ValidationCache"),
        ("roster", f"Roster's schema, SQLite, {users} users"),
    ):
        best, median = result[name]
        print(f"  {name:<9}{best:7.1f} / {median:5.1f}  ({label})")
    for name in ("baseline", "cached"):
        best = result[name][0] / result["roster"][0]
        median = result[name][1] / result["roster"][1]
        print(f"Roster's cost / {name}'s: {best:.2f} (best), {median:.2f} (median)")
    print("target: <= 1.33 against the baseline")
    return 0


def main() -> int:
    """Entry point."""
    try:
        import uvloop

        return uvloop.run(main_async())
    except ImportError:
        return asyncio.run(main_async())


if __name__ == "__main__":
    raise SystemExit(main())
