"""``roster serve``: flags over the environment, a free port checked first, then the banner."""

from __future__ import annotations

import argparse
import errno
import os
import shutil
import socket
import sqlite3
import sys
from collections.abc import Mapping
from contextlib import closing
from pathlib import Path

from app.settings import Settings

# Flag -> the environment variable it overrides (the server's workers read the environment).
FLAGS = {"host": "ROSTER_HOST", "port": "ROSTER_PORT", "workers": "ROSTER_WORKERS"}


def add_serve(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``roster serve [--host H] [--port P] [--workers N]``; help names defaults and env vars."""
    fields = Settings.model_fields
    serve = sub.add_parser(
        "serve",
        help="migrate to head, then serve HTTP",
        description="Migrate the database to head, then serve HTTP. Each flag overrides its "
        "environment variable (or .env entry).",
    )
    serve.add_argument(
        "--host",
        metavar="ADDRESS",
        help=f"address to listen on (default {fields['host'].default}; overrides ROSTER_HOST)",
    )
    serve.add_argument(
        "--port",
        type=int,
        metavar="PORT",
        help=f"TCP port (default {fields['port'].default}; overrides ROSTER_PORT)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help=f"worker processes (default {fields['workers'].default}; more than one needs "
        "PostgreSQL or a SQLite file in WAL mode; overrides ROSTER_WORKERS)",
    )


def apply_flags(args: argparse.Namespace, environ: dict[str, str] | os._Environ[str]) -> None:
    """Write the given flags into the environment, where Settings and every worker read them."""
    for flag, variable in FLAGS.items():
        value = getattr(args, flag, None)
        if value is not None:
            environ[variable] = str(value)


def port_problem(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on (one line), or None when it can.

    Binds the way uvicorn will (SO_REUSEADDR), then lets go: a port held by another server
    fails here, before any banner or migration, instead of as errno 98 inside uvicorn.
    """
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    choose = "choose another with --port PORT or ROSTER_PORT"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # as uvicorn picks it
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except socket.gaierror as exc:
            return f"cannot listen on {where}: unknown address ({exc.strerror}); check --host"
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"{where} is already in use (another server?); {choose}"
            if exc.errno == errno.EACCES:
                return f"cannot listen on {where}: permission denied; {choose} (above 1023)"
            return f"cannot listen on {where}: {exc.strerror or exc}; check --host and --port"
    return None


def shared_sqlite_problem(path: str, wait: float = 5.0) -> str | None:
    """Why several worker processes cannot share the SQLite database at ``path`` (one line),
    or None when they can: it must be a file (an in-memory database lives in one process) in
    WAL mode, which lets every worker read beside the one writer. Switches the file to WAL, as
    every connection of the server does; a file that cannot switch within ``wait`` seconds
    (locked by another program, or on a filesystem without the shared memory WAL needs) is
    refused."""
    if path in ("", ":memory:"):
        return "an in-memory SQLite database lives in one process; ROSTER_WORKERS > 1 needs a file"
    try:
        with closing(sqlite3.connect(path, timeout=wait)) as conn:
            mode = str(conn.execute("PRAGMA journal_mode=WAL").fetchall()[0][0]).lower()
    except sqlite3.Error as exc:
        mode = f"unknown: {exc}"
    if mode != "wal":
        return (
            f"{path} cannot use WAL mode (journal mode {mode}), which several workers on SQLite "
            "need; keep it on a local filesystem, or serve with ROSTER_WORKERS=1"
        )
    return None


def self_command(argv0: str, which: str | None) -> str:
    """How to run ``roster`` again from this shell: ``roster`` when it is on PATH, else the
    path it was started by (``.venv/bin/roster`` under ``make run``), else ``python -m app``."""
    started = Path(argv0)
    if started.name != "roster":
        return "python -m app"
    if which is not None and Path(which).resolve() == started.resolve():
        return "roster"
    try:
        return str(started.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(started)


def banner(settings: Settings, version: str, command: str) -> list[str]:
    """What ``roster serve`` prints before it listens: where each surface is, how to sign in."""
    base = settings.base_url
    graphiql = (
        '(GraphiQL in a browser: Headers {"Authorization": "Bearer <admin token>"})'
        if settings.graphql_graphiql
        else "(GraphiQL off: ROSTER_GRAPHQL_GRAPHIQL=false)"
    )
    return [
        f"Roster {version} on {base}  (database: {settings.database_kind})",
        f"  console   {base}/console   sign in with an admin API token; make one with:",
        f"            {command} token create-admin --login you@example.com",
        f"  GraphQL   {base}/graphql   {graphiql}",
        f"  SCIM 2.0  {base}/scim/v2   (the IdP's token: {command} token create-scim --name okta)",
        f"  health    {base}/healthz  {base}/readyz  {base}/metrics",
    ]


def serve(settings: Settings, version: str, environ: Mapping[str, str] = os.environ) -> int:
    """Check the port, migrate, print the banner, serve; returns the exit code."""
    import uvicorn

    from app import migrations

    problem = port_problem(settings.host, settings.port)
    if problem is not None:
        print(f"roster: {problem}", file=sys.stderr)
        return 1
    try:
        migrations.upgrade(settings)
    except Exception as exc:
        print(
            f"roster: database unreachable ({type(exc).__name__}); serving anyway: /readyz "
            "answers 503 until it returns, and migrations run then",
            file=sys.stderr,
        )
        os.environ["ROSTER_MIGRATE_ON_START"] = "true"
    shared = settings.database_kind == "sqlite" and settings.workers > 1
    if shared and (problem := shared_sqlite_problem(settings.sqlite_path)) is not None:
        print(f"roster: {problem}", file=sys.stderr)
        return 2
    command = self_command(sys.argv[0], shutil.which("roster", path=environ.get("PATH")))
    for line in banner(settings, version, command):
        print(line, file=sys.stderr)
    sys.stderr.flush()
    uvicorn.run(
        "app.main:app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level.lower(),
        access_log=False,  # Roster writes its own JSON access line (ROSTER_ACCESS_LOG)
        timeout_keep_alive=30,
        timeout_graceful_shutdown=10,
    )
    return 0
