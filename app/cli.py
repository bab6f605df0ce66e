"""The ``roster`` command: serve, migrate, and operator token commands."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from app.settings import Settings

T = TypeVar("T")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="roster", description="Roster identity admin service")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="migrate to head, then serve HTTP")
    sub.add_parser("migrate", help="upgrade the database to head")
    token = sub.add_parser("token", help="issue tokens").add_subparsers(dest="kind", required=True)
    admin = token.add_parser("create-admin", help="admin API token (prints only the token)")
    admin.add_argument("--login", required=True)
    admin.add_argument("--role", default="owner", choices=["owner", "admin", "viewer"])
    scim = token.add_parser("create-scim", help="SCIM token (prints only the token)")
    scim.add_argument("--name", required=True)
    return parser


def _with_db(settings: Settings, work: Callable[..., Awaitable[T]]) -> T:
    from app.db import Database

    async def run() -> T:
        db = Database(settings)
        await db.connect()
        try:
            async with db.transaction() as tx:
                return await work(tx)
        finally:
            await db.close()

    return asyncio.run(run())


def _serve(settings: Settings) -> int:
    import uvicorn

    from app import migrations

    if settings.database_kind == "sqlite" and settings.workers > 1:
        print(
            "roster: SQLite serves one process; use PostgreSQL for ROSTER_WORKERS > 1",
            file=sys.stderr,
        )
        return 2
    migrations.upgrade(settings)
    base = settings.base_url
    print(f"Roster on {base}  (database: {settings.database_kind})", file=sys.stderr)
    print(f"  GraphQL   {base}/graphql   (GraphiQL in a browser)", file=sys.stderr)
    print(f"  SCIM 2.0  {base}/scim/v2", file=sys.stderr)
    print(f"  health    {base}/healthz  {base}/readyz  {base}/metrics", file=sys.stderr)
    uvicorn.run(
        "app.main:app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level.lower(),
        timeout_keep_alive=30,
        timeout_graceful_shutdown=10,
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = _parser().parse_args(argv)
    settings = Settings()
    if args.command == "serve":
        return _serve(settings)
    from app import migrations

    if args.command == "migrate":
        migrations.upgrade(settings)
        print(f"migrated to {migrations.head_revision()}", file=sys.stderr)
        return 0
    from app.domain.bootstrap import issue_admin_token, issue_scim_token
    from app.errors import RosterError

    migrations.upgrade(settings)
    try:
        if args.kind == "create-admin":
            secret = _with_db(
                settings, lambda tx: issue_admin_token(tx, login_id=args.login, role=args.role)
            )
        else:
            secret = _with_db(
                settings,
                lambda tx: issue_scim_token(
                    tx,
                    name=args.name,
                    ttl_days=settings.scim_token_ttl_days,
                    max_active=settings.scim_max_tokens,
                ),
            )
    except RosterError as exc:
        print(f"roster: {exc.message}", file=sys.stderr)
        return 1
    print(secret)
    return 0
