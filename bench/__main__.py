"""`make bench`: Roster's own benchmark. See docs/performance.md.

Runs the minimal Starlette ceiling app and Roster (SQLite with 1 worker; PostgreSQL with 1 and
2 workers) over a sweep of directory sizes, with wrk as the load generator, and prints one
table: req/s, p50, p99, and each figure as a share of the ceiling measured in the same sitting.
Raw results go to bench-results/<timestamp>.json.

Environment: BENCH_SIZES (1000,10000,100000), BENCH_ENGINES (sqlite,postgres),
BENCH_SQLITE_WORKERS (1; "1,2" adds SQLite with two workers), BENCH_PG_WORKERS (1,2),
BENCH_DURATION (5 s per phase), BENCH_CONNECTIONS (8),
BENCH_PG_URL (postgresql://postgres@127.0.0.1:5432/roster_bench), BENCH_PHASES (all),
BENCH_EVENTS_RATE (50 deactivations/s) and BENCH_EVENTS_SECONDS (10) for the events phase.
The group_stream phase (bench/stream_phase.py) runs only when BENCH_PHASES names it.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import sys
import time
from pathlib import Path

from bench.events_phase import events_phase
from bench.harness import (
    Server,
    bulk_phase,
    group_full_phase,
    members_phase,
    rss_peak_kb,
    wrk,
)
from bench.setup import pg_url, prepare_directory
from bench.stream_phase import group_stream_phase
from bench.webhooks_phase import webhooks_phase

PHASES = [
    "get_by_id",
    "filter_eq",
    "list_first",
    "list_last",
    "patch_deactivate",
    "group_get",
    "create",
    "graphql_user",
    "graphql_users_page",
]
# Phases timed request by request rather than under wrk.
SEQUENTIAL = {
    "members": members_phase,
    "group_full": group_full_phase,
    "bulk": bulk_phase,
    "events": events_phase,  # bench/events_phase.py: deactivation to feed consumer
    "webhooks": webhooks_phase,  # bench/webhooks_phase.py: deactivation to webhook receiver
}
ROOT = Path(__file__).resolve().parent.parent


def _env_list(name: str, default: str) -> list[str]:
    return [p.strip() for p in os.environ.get(name, default).split(",") if p.strip()]


def _configs() -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for engine in _env_list("BENCH_ENGINES", "sqlite,postgres"):
        if engine == "sqlite":
            workers = _env_list("BENCH_SQLITE_WORKERS", "1")
        else:
            workers = _env_list("BENCH_PG_WORKERS", "1,2")
        out += [(engine, int(w)) for w in workers]
    return out


def ceiling(duration: int, conns: int) -> dict[str, dict[str, float]]:
    """The bare Starlette app's rates for a GET and a POST."""
    env = {"CEILING_TOKEN": "t"}
    with Server.ceiling(env) as srv:
        ids = srv.workdir / "ids.txt"
        ids.write_text("x\n")
        return {
            "get_by_id": wrk(
                srv.base, "get_by_id", {"BENCH_TOKEN": "t", "BENCH_IDS": str(ids)}, duration, conns
            ),
            "create": wrk(
                srv.base, "create", {"BENCH_TOKEN": "t", "BENCH_IDS": str(ids)}, duration, conns
            ),
        }


def run_config(
    engine: str, workers: int, size: int, duration: int, conns: int
) -> dict[str, object]:
    """All phases for one engine/worker/size; returns the figures."""
    setup = prepare_directory(ROOT, engine, size)
    results: dict[str, object] = {"engine": engine, "workers": workers, "size": size}
    # The webhooks phase's receiver listens on 127.0.0.1, which the SSRF rule refuses unless
    # the operator allows it.
    env = {**setup.env, "ROSTER_WEBHOOK_ALLOWED_TARGETS": "127.0.0.1"}
    with Server.roster(ROOT, env, workers) as srv:
        base_env = {
            "BENCH_TOKEN": setup.scim_token,
            "BENCH_ADMIN_TOKEN": setup.admin_token,
            "BENCH_IDS": str(setup.ids_file),
            "BENCH_N": str(size),
            "BENCH_PREFIX": "seed-",
            "BENCH_GROUP": setup.big_group,
            "BENCH_RUN": str(int(time.time())),
        }
        phases = _env_list("BENCH_PHASES", ",".join([*PHASES, *SEQUENTIAL]))
        # Unmeasured warm-up: a server just started on a just-seeded database reads cold pages
        # and fills its caches first; in one sitting that alone put get_by_id at 100,000 users
        # at 1.4 to 1.75 times its 1,000-user latency, and at 1.15 the next run.
        for phase in ("get_by_id", "filter_eq"):
            wrk(srv.base, phase, base_env, max(1, duration // 2), conns)
        for phase in phases:
            if phase == "group_stream":  # needs the server's process, for its memory
                results[phase] = group_stream_phase(srv.base, setup, srv.pid)
            elif phase in SEQUENTIAL:
                results[phase] = SEQUENTIAL[phase](srv.base, setup)
            else:
                env = dict(base_env)
                if phase == "graphql_user":
                    env["BENCH_IDS"] = str(setup.gids_file)
                results[phase] = wrk(srv.base, phase, env, duration, conns)
            print(f"#   {engine} w={workers} n={size} {phase}: {results[phase]}", file=sys.stderr)
        results["server_rss_peak_kb"] = rss_peak_kb(srv.pid)
    return results


def _postgres_reachable() -> bool:
    """Check before minutes of SQLite runs that the PostgreSQL configurations can run at all."""
    import psycopg

    url = pg_url()
    server = url.rsplit("/", 1)[0]
    try:
        with psycopg.connect(f"{server}/postgres", connect_timeout=5):
            return True
    except psycopg.Error as exc:
        print(
            f"bench: cannot reach PostgreSQL at {server} ({exc}).\n"
            "  Set BENCH_PG_URL=postgresql://user@host:port/dbname (a database it may drop and"
            " create), or BENCH_ENGINES=sqlite.",
            file=sys.stderr,
        )
        return False


def main() -> int:
    """Run the sweep, print the table, write the raw file."""
    if shutil.which("wrk") is None:
        print("bench: wrk not found (Debian/Ubuntu: apt-get install -y wrk)", file=sys.stderr)
        return 2
    if any(engine == "postgres" for engine, _ in _configs()) and not _postgres_reachable():
        return 2
    duration = int(os.environ.get("BENCH_DURATION", "5"))
    conns = int(os.environ.get("BENCH_CONNECTIONS", "8"))
    sizes = [int(s) for s in _env_list("BENCH_SIZES", "1000,10000,100000")]
    report: dict[str, object] = {"ceiling": ceiling(duration, conns), "runs": []}
    runs: list[dict[str, object]] = report["runs"]  # type: ignore[assignment]
    for engine, workers in _configs():
        for size in sizes:
            runs.append(run_config(engine, workers, size, duration, conns))
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    path = out / time.strftime("%Y%m%d-%H%M%S.json")
    path.write_text(json.dumps(report, indent=2))
    from bench.report import render

    print(render(report))
    print(f"raw results: {path}", file=sys.stderr)
    return 0


def global_id(kind: str, uid: str) -> str:
    """The GraphQL global id of a record."""
    return base64.b64encode(f"{kind}:{uid}".encode()).decode()


if __name__ == "__main__":
    raise SystemExit(main())
