"""The ``roster`` command: serve, migrate, and operator token commands."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

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
    admin.add_argument(
        "--ttl-days",
        type=int,
        default=90,
        help="lifetime in days, 1 to ROSTER_API_TOKEN_MAX_TTL_DAYS (365 by default)",
    )
    scim = token.add_parser("create-scim", help="SCIM token (prints only the token)")
    scim.add_argument("--name", required=True)
    auth = sub.add_parser("auth", help="authentication settings").add_subparsers(
        dest="action", required=True
    )
    configure = auth.add_parser("configure", help="set the authentication type (rule 11 applies)")
    configure.add_argument("--type", required=True, type=str.upper)
    configure.add_argument("--display-name", default=None)
    dev = sub.add_parser("dev", help="developer tools").add_subparsers(dest="tool", required=True)
    seed = dev.add_parser("seed", help="load users and groups fast (set-based inserts)")
    seed.add_argument("--users", type=int, default=1000)
    seed.add_argument("--groups", type=int, default=0)
    seed.add_argument("--group-size", type=int, default=0)
    seed.add_argument("--prefix", default="seed-", help="userName = <prefix><k>@example.com")
    purge = sub.add_parser(
        "purge", help="delete provisioning events and audit entries past their retention"
    )
    purge.add_argument("--dry-run", action="store_true", help="only count what would go")
    purge.add_argument("--batch-size", type=int, default=1000, help="rows per transaction")
    from app.admin_cli import add_commands  # users, groups, provisioning: GraphQL API client

    add_commands(sub)
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
    try:
        migrations.upgrade(settings)
    except Exception as exc:
        print(
            f"roster: database unreachable ({type(exc).__name__}); serving anyway: /readyz "
            "answers 503 until it returns, and migrations run then",
            file=sys.stderr,
        )
        os.environ["ROSTER_MIGRATE_ON_START"] = "true"
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
        access_log=False,  # Roster writes its own JSON access line (ROSTER_ACCESS_LOG)
        timeout_keep_alive=30,
        timeout_graceful_shutdown=10,
    )
    return 0


def _progress(what: str, done: int, total: int) -> None:
    """A bar on a terminal; a line per tenth otherwise (logs stay readable)."""
    if sys.stderr.isatty():
        filled = 30 * done // max(1, total)
        bar = "#" * filled + "." * (30 - filled)
        end = "\n" if done >= total else ""
        print(f"\r{what:<28} [{bar}] {done}/{total}", end=end, file=sys.stderr, flush=True)
    elif done >= total or (10 * done // max(1, total)) != (10 * (done - 1000) // max(1, total)):
        print(f"{what}: {done}/{total}", file=sys.stderr, flush=True)


def _configure_auth(settings: Settings, args: argparse.Namespace) -> int:
    from app.domain.auth_settings import configure_authentication
    from app.domain.types import KEEP, SYSTEM, AuthType
    from app.errors import RosterError

    label = KEEP if args.display_name is None else args.display_name  # omitted keeps
    try:
        kind = AuthType(args.type)
    except ValueError:
        known = ", ".join(t.value for t in AuthType)
        print(f"roster: unknown type {args.type!r}; one of {known}", file=sys.stderr)
        return 2
    try:
        _with_db(
            settings,
            lambda tx: configure_authentication(tx, actor=SYSTEM, type=kind, display_name=label),
        )
    except RosterError as exc:
        print(f"roster: {exc.message}", file=sys.stderr)
        return 1
    print(f"authentication type is now {kind.value}", file=sys.stderr)
    return 0


def _seed(settings: Settings, args: argparse.Namespace) -> int:
    from app.domain.types import SYSTEM
    from app.errors import RosterError
    from app.seeding import seed_groups, seed_users

    if args.users < 0 or args.groups < 0 or args.group_size < 0:
        print("roster: counts must not be negative", file=sys.stderr)
        return 2

    async def work(tx: Any) -> tuple[int, int]:
        ids = await seed_users(
            tx, actor=SYSTEM, count=args.users, prefix=args.prefix, progress=_progress
        )
        groups = await seed_groups(
            tx,
            actor=SYSTEM,
            user_ids=ids,
            count=args.groups,
            size=args.group_size,
            prefix=args.prefix,
            progress=_progress,
        )
        return len(ids), len(groups)

    try:
        users, groups = _with_db(settings, work)
    except RosterError as exc:
        print(f"roster: {exc.message} (is the prefix already used? try --prefix)", file=sys.stderr)
        return 1
    if settings.database_kind == "postgresql":
        # Statistics for the loaded rows now, not when autovacuum gets to them: until then the
        # planner may read a 50,000-member group as if it were empty.
        _with_db(settings, lambda tx: tx.execute("ANALYZE users, groups, memberships"))
    print(f"seeded {users} users and {groups} groups", file=sys.stderr)
    return 0


def _purge(settings: Settings, args: argparse.Namespace) -> int:
    """`roster purge [--dry-run]`: the retention settings applied (app.domain.retention)."""
    from app.db import Database
    from app.domain.retention import Purged, purge_expired
    from app.errors import RosterError

    async def run() -> list[Purged]:
        db = Database(settings)
        await db.connect()
        try:
            return await purge_expired(
                db, settings, dry_run=args.dry_run, batch_size=args.batch_size
            )
        finally:
            await db.close()

    try:
        done = asyncio.run(run())
    except RosterError as exc:
        print(f"roster: {exc.message}", file=sys.stderr)
        return 2
    verb = "would delete" if args.dry_run else "deleted"
    for purged in done:
        print(f"{purged.log}: {verb} {purged.rows} older than {purged.before}", file=sys.stderr)
    if not done:
        print("roster: every retention is 0 (keep forever); nothing to purge", file=sys.stderr)
    return 0


def _create_admin(settings: Settings, args: argparse.Namespace) -> str:
    """`roster token create-admin`; an out-of-range --ttl-days exits 2 before any write."""
    from app.domain.access.api_tokens import check_api_token_ttl
    from app.domain.access.bootstrap import issue_admin_token
    from app.errors import InvalidValue

    try:
        ttl = check_api_token_ttl(args.ttl_days, settings.api_token_max_ttl_days)
    except InvalidValue as exc:
        print(f"roster: {exc.message.replace('ttlDays', '--ttl-days')}", file=sys.stderr)
        raise SystemExit(2) from None
    return _with_db(
        settings,
        lambda tx: issue_admin_token(
            tx,
            login_id=args.login,
            role=args.role,
            ttl_days=ttl,
            max_ttl_days=settings.api_token_max_ttl_days,
        ),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = _parser().parse_args(argv)
    from app import admin_cli

    if args.command in admin_cli.COMMANDS:
        return admin_cli.run(args)
    settings = Settings()
    if args.command == "serve":
        return _serve(settings)
    from app import migrations

    if args.command == "migrate":
        migrations.upgrade(settings)
        print(f"migrated to {migrations.head_revision()}", file=sys.stderr)
        return 0
    from app.domain.access.bootstrap import issue_scim_token
    from app.errors import RosterError

    migrations.upgrade(settings)
    local = {"purge": _purge, "dev": _seed, "auth": _configure_auth}
    if args.command in local:
        return local[args.command](settings, args)
    try:
        if args.kind == "create-admin":
            secret = _create_admin(settings, args)
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
