"""`make bench-guard`: the deprovisioning guard's cost on a SCIM PATCH below its threshold.

A/B in one sitting, on one seeded directory: the `patch_deactivate` phase of `make bench`
(wrk, the same load script) with the guard switched off (A) and on with a threshold it never
reaches (B), alternated ROUNDS times, users reactivated before each run so that each run
deactivates the same users. Prints the medians and the ratio B/A of req/s and p50.

Environment: BENCH_GUARD_ENGINE (sqlite), BENCH_GUARD_SIZE (10000), BENCH_DURATION (5),
BENCH_CONNECTIONS (8), BENCH_GUARD_ROUNDS (3).
"""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

from bench.harness import Server, wrk
from bench.setup import prepare_directory

ROOT = Path(__file__).resolve().parent.parent


def _sql(url: str, statements: list[tuple[str, tuple[object, ...]]]) -> None:
    if url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            for sql, params in statements:
                conn.execute(sql.replace("%s", "?"), params)
        return
    import psycopg

    with psycopg.connect(url) as conn:
        for sql, params in statements:
            conn.execute(sql, params)


def _prepare(url: str, guard_on: bool) -> None:
    """Every user active again, a fresh window, the guard off or on (never reached)."""
    _sql(
        url,
        [
            ("UPDATE users SET status = 'ACTIVE' WHERE status <> 'ACTIVE'", ()),
            ("DELETE FROM guard_counted", ()),
            (
                "UPDATE deprovisioning_guard SET enabled = %s, percent = 100,"
                " minimum = 1000000000, state = 'ARMED', tripped_at = NULL WHERE id = 1",
                (guard_on,),
            ),
            ("UPDATE guard_shards SET window_count = 0, window_deletes = 0", ()),
        ],
    )


def main() -> int:
    """Run the A/B and print it."""
    engine = os.environ.get("BENCH_GUARD_ENGINE", "sqlite")
    size = int(os.environ.get("BENCH_GUARD_SIZE", "10000"))
    duration = int(os.environ.get("BENCH_DURATION", "5"))
    conns = int(os.environ.get("BENCH_CONNECTIONS", "8"))
    rounds = int(os.environ.get("BENCH_GUARD_ROUNDS", "3"))
    setup = prepare_directory(ROOT, engine, size)
    url = setup.env["ROSTER_DATABASE_URL"]
    env = {"BENCH_TOKEN": setup.scim_token, "BENCH_IDS": str(setup.ids_file)}
    figures: dict[str, list[dict[str, float]]] = {"off": [], "on": []}
    for _ in range(rounds):
        for mode in ("off", "on"):
            _prepare(url, mode == "on")
            with Server.roster(ROOT, setup.env, 1) as srv:
                wrk(srv.base, "get_by_id", env, 1, conns)  # warm-up
                result = wrk(srv.base, "patch_deactivate", env, duration, conns)
            figures[mode].append(result)
            print(f"#   guard {mode}: {result}", file=sys.stderr)
    med = {
        mode: {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50_ms")}
        for mode, runs in figures.items()
    }
    print(f"patch_deactivate, {engine}, {size} users, {rounds} rounds of {duration} s")
    print(f"guard off: {med['off']['rps']:.0f} req/s, p50 {med['off']['p50_ms']:.2f} ms")
    print(f"guard on:  {med['on']['rps']:.0f} req/s, p50 {med['on']['p50_ms']:.2f} ms")
    print(
        f"ratio on/off: req/s {med['on']['rps'] / med['off']['rps']:.3f},"
        f" p50 {med['on']['p50_ms'] / med['off']['p50_ms']:.3f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
