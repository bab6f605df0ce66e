"""`make bench-guard`: the deprovisioning guard's cost on a SCIM PATCH below its threshold.

A/B in one sitting, on one seeded directory: SCIM PATCH `active=false` (wrk, the load script
of `make bench`, phase `patch_deactivate_each`) with the guard switched off (A) and on with a
threshold it never reaches (B), alternated ROUNDS times. Every request of a run deactivates a
user it has not deactivated before (each thread walks its own share of the ids), so every
request is a destructive write the guard judges; users are reactivated before each run, and
the warm-up deactivates other users than the measured run. Prints the medians and the ratio
B/A of req/s, p50 and the server's CPU time per request (its processes' user + system time
over the run: robust when the machine is shared, where req/s is not), and the share of the
measured requests that deactivated someone (1.00 unless the ids ran out).

Environment: BENCH_GUARD_ENGINE (sqlite), BENCH_GUARD_SIZE (10000), BENCH_DURATION (5),
BENCH_CONNECTIONS (8), BENCH_GUARD_ROUNDS (3), BENCH_GUARD_WORKERS (1).
"""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path
from typing import Any

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


def _fetch(url: str, sql: str) -> list[tuple[Any, ...]]:
    if url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            return list(conn.execute(sql).fetchall())
    import psycopg

    with psycopg.connect(url) as conn:
        return list(conn.execute(sql).fetchall())


def _inactive(url: str) -> int:
    return int(_fetch(url, "SELECT COUNT(*) FROM users WHERE status <> 'ACTIVE'")[0][0])


def _prepare(url: str, guard_on: bool) -> None:
    """Every user active again, a fresh window, the guard off or on (never reached)."""
    _sql(
        url,
        [
            ("UPDATE users SET status = 'ACTIVE' WHERE status <> 'ACTIVE'", ()),
            ("DELETE FROM guard_counted", ()),
            ("DELETE FROM guard_leases", ()),
            (
                "UPDATE deprovisioning_guard SET enabled = %s, percent = 100,"
                " minimum = 1000000000, state = 'ARMED', tripped_at = NULL WHERE id = 1",
                (guard_on,),
            ),
            ("UPDATE guard_window SET window_count = 0, window_deletes = 0", ()),
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
    ids = [str(r[0]) for r in _fetch(url, "SELECT id FROM users ORDER BY id")]
    warm_file, run_file = setup.ids_file.with_name("warm.txt"), setup.ids_file.with_name("run.txt")
    warm_file.write_text("\n".join(ids[: len(ids) // 8]) + "\n")
    run_file.write_text("\n".join(ids[len(ids) // 8 :]) + "\n")
    base = {"BENCH_TOKEN": setup.scim_token, "BENCH_STRIDE": str(conns)}
    warm, env = {**base, "BENCH_IDS": str(warm_file)}, {**base, "BENCH_IDS": str(run_file)}
    figures: dict[str, list[dict[str, float]]] = {"off": [], "on": []}
    for _ in range(rounds):
        for mode in ("off", "on"):
            _prepare(url, mode == "on")
            with Server.roster(ROOT, setup.env, workers) as srv:
                wrk(srv.base, "get_by_id", warm, 1, conns)  # warm-up
                wrk(srv.base, "patch_deactivate_each", warm, 1, conns)  # and the guard's caches
                before, inactive = cpu_seconds(srv.pid), _inactive(url)
                result = wrk(srv.base, "patch_deactivate_each", env, duration, conns)
                used = cpu_seconds(srv.pid) - before
            requests = max(1.0, result["rps"] * duration)
            result["cpu_us"] = round(used * 1e6 / requests, 1)
            result["destructive"] = round((_inactive(url) - inactive) / requests, 2)
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
        share = min(r["destructive"] for r in figures[mode])
        print(
            f"guard {mode}: {m['rps']:.0f} req/s, p50 {m['p50_ms']:.2f} ms,"
            f" server CPU {m['cpu_us']:.0f} us/request, destructive share >= {share:.2f}"
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
