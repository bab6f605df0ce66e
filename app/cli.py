"""The ``roster`` command: serve, migrate, and operator token commands."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from typing import Any

from app.cli_serve import add_serve, apply_flags, serve
from app.cli_tokens import add_token, run_token, with_db
from app.idp_names import IDP_NAMES
from app.settings import Settings

# The AuthType enum of app/domain/types.py (a test keeps them equal; importing the domain here
# would make every `roster --help` load it).
AUTH_TYPES = ("INTERNAL", *IDP_NAMES)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="roster", description="Roster identity admin service")
    parser.add_argument("--version", action="version", version=f"roster {version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    add_serve(sub)
    sub.add_parser("migrate", help="upgrade the database to head")
    add_token(sub)
    auth = sub.add_parser("auth", help="authentication settings").add_subparsers(
        dest="action", required=True
    )
    configure = auth.add_parser(
        "configure",
        help="set the authentication type (one IdP at a time: rule 11 of docs/rules.md)",
    )
    configure.add_argument(
        "--type",
        required=True,
        type=str.upper,
        choices=AUTH_TYPES,
        metavar="TYPE",
        help=f"INTERNAL (no IdP) or the IdP: one of {', '.join(AUTH_TYPES)}",
    )
    configure.add_argument(
        "--display-name", default=None, help="the IdP's name as admins see it (omitted: kept)"
    )
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
    from app.domain.settings.authentication import configure_authentication
    from app.domain.types import KEEP, SYSTEM, AuthType
    from app.errors import RosterError

    label = KEEP if args.display_name is None else args.display_name  # omitted keeps
    kind = AuthType(args.type)  # argparse took only AUTH_TYPES
    try:
        with_db(
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
        users, groups = with_db(settings, work)
    except RosterError as exc:
        print(f"roster: {exc.message} (is the prefix already used? try --prefix)", file=sys.stderr)
        return 1
    if settings.database_kind == "postgresql":
        # Statistics for the loaded rows now, not when autovacuum gets to them: until then the
        # planner may read a 50,000-member group as if it were empty.
        with_db(settings, lambda tx: tx.execute("ANALYZE users, groups, memberships"))
    print(f"seeded {users} users and {groups} groups", file=sys.stderr)
    return 0


def _purge(settings: Settings, args: argparse.Namespace) -> int:
    """`roster purge [--dry-run]`: the retention settings applied (app.domain.audit.retention)."""
    from app.db import Database
    from app.domain.audit.retention import Purged, purge_expired
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


def version() -> str:
    """The installed distribution's version (the package's own when run from a source tree)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    from app import __version__

    try:
        return installed("roster")
    except PackageNotFoundError:
        return __version__


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = _parser().parse_args(argv)
    from app import admin_cli

    if args.command in admin_cli.COMMANDS:
        return admin_cli.run(args)
    if args.command == "serve":
        apply_flags(args, os.environ)  # flags win over ROSTER_*; the workers read os.environ
        from pydantic import ValidationError

        try:
            settings = Settings()
        except ValidationError as exc:
            wrong = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())
            print(f"roster: {wrong}", file=sys.stderr)
            return 2
        return serve(settings, version())
    settings = Settings()
    from app import migrations

    if args.command == "migrate":
        migrations.upgrade(settings)
        print(f"migrated to {migrations.head_revision()}", file=sys.stderr)
        return 0
    migrations.upgrade(settings)
    local = {"purge": _purge, "dev": _seed, "auth": _configure_auth, "token": run_token}
    return local[args.command](settings, args)
