"""`make bench-guard`: the deprovisioning guard's cost on a SCIM PATCH below its threshold.

A/B in one sitting, on one seeded directory: the `patch_deactivate` phase of `make bench`
(wrk, the same load script) with the guard switched off (A) and on with a threshold it never
reaches (B), alternated ROUNDS times, users reactivated before each run so that each run
deactivates the same users. Prints the medians and the ratio B/A of req/s, p50 and the
server's CPU time per request (its processes' user + system time over the run: robust when the
machine is shared, where req/s is not).

Environment: BENCH_GUARD_ENGINE (sqlite), BENCH_GUARD_SIZE (10000), BENCH_DURATION (5),
BENCH_CONNECTIONS (8), BENCH_GUARD_ROUNDS (3), BENCH_GUARD_WORKERS (1).
"""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

from bench.harness import Server, cpu_seconds, wrk
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
    workers = int(os.environ.get("BENCH_GUARD_WORKERS", "1"))
    setup = prepare_directory(ROOT, engine, size)
    url = setup.env["ROSTER_DATABASE_URL"]
    env = {"BENCH_TOKEN": setup.scim_token, "BENCH_IDS": str(setup.ids_file)}
    figures: dict[str, list[dict[str, float]]] = {"off": [], "on": []}
    for _ in range(rounds):
        for mode in ("off", "on"):
            _prepare(url, mode == "on")
            with Server.roster(ROOT, setup.env, workers) as srv:
                wrk(srv.base, "get_by_id", env, 1, conns)  # warm-up
                wrk(srv.base, "patch_deactivate", env, 1, conns)  # and the guard's caches
                before = cpu_seconds(srv.pid)
                result = wrk(srv.base, "patch_deactivate", env, duration, conns)
                used = cpu_seconds(srv.pid) - before
            result["cpu_us"] = round(used * 1e6 / max(1.0, result["rps"] * duration), 1)
            figures[mode].append(result)
            print(f"#   guard {mode}: {result}", file=sys.stderr)
    med = {
        mode: {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50_ms", "cpu_us")}
        for mode, runs in figures.items()
    }
    print(
        f"patch_deactivate, {engine}, {workers} worker(s), {size} users,"
        f" {rounds} rounds of {duration} s"
    )
    for mode in ("off", "on"):
        m = med[mode]
        print(
            f"guard {mode}: {m['rps']:.0f} req/s, p50 {m['p50_ms']:.2f} ms,"
            f" server CPU {m['cpu_us']:.0f} us/request"
        )
    pairs = [on["rps"] / off["rps"] for off, on in zip(figures["off"], figures["on"], strict=True)]
    on, off = med["on"], med["off"]
    print(
        f"ratio on/off: req/s {on['rps'] / off['rps']:.3f} (pairs {min(pairs):.3f} to"
        f" {max(pairs):.3f}), p50 {on['p50_ms'] / off['p50_ms']:.3f},"
        f" CPU/request {on['cpu_us'] / off['cpu_us']:.3f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
