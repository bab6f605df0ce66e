"""``roster token ...``: issue, list and revoke admin API and SCIM tokens on the database.

Secrets appear once, on stdout, when created; listing shows names, owners and dates only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from app.settings import Settings

T = TypeVar("T")
#: What a token command does in its transaction: issue a token and return its secret.
Issue = Callable[[Any], Awaitable[str]]
ROLES = ("owner", "admin", "viewer")
COLUMNS = ("ID", "NAME", "KIND", "OWNER", "STATE", "CREATED", "EXPIRES", "LAST USED")
REVOKE_HINT = "`roster token list` shows them, `roster token revoke NAME` revokes one"


def add_token(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``roster token create-admin|create-scim|list|revoke``."""
    token = sub.add_parser("token", help="issue, list and revoke tokens")
    kinds = token.add_subparsers(dest="kind", required=True)
    admin = kinds.add_parser("create-admin", help="admin API token (prints only the token)")
    admin.add_argument("--login", required=True, help="the admin's loginId (created if missing)")
    admin.add_argument(
        "--role", default="owner", choices=ROLES, help="role granted (default owner)"
    )
    admin.add_argument(
        "--ttl-days",
        type=int,
        default=90,
        metavar="DAYS",
        help="lifetime in days (default 90), 1 to ROSTER_API_TOKEN_MAX_TTL_DAYS (default 365)",
    )
    scim = kinds.add_parser("create-scim", help="SCIM token (prints only the token)")
    scim.add_argument("--name", required=True, help="a label, e.g. the IdP's name")
    listing = kinds.add_parser(
        "list", help="admin API and SCIM tokens: names, owners, dates (never a secret)"
    )
    listing.add_argument("--json", action="store_true", help="stable JSON on stdout")
    revoke = kinds.add_parser("revoke", help="revoke an admin API or SCIM token at once")
    revoke.add_argument("token", metavar="ID_OR_NAME", help="a token's id, or an active name")


@dataclass(frozen=True)
class Listed:
    """One token as `roster token list` shows it."""

    id: str
    name: str
    kind: str  # "admin" or "scim"
    owner: str  # the admin's loginId; for a SCIM token, who created it
    state: str
    created_at: str
    expires_at: str | None
    last_used_at: str | None

    def row(self) -> list[object]:
        """The table row."""
        return [
            self.id,
            self.name,
            self.kind,
            self.owner,
            self.state,
            self.created_at,
            self.expires_at,
            self.last_used_at,
        ]


def with_db(settings: Settings, work: Callable[..., Awaitable[T]]) -> T:
    """Run ``work(tx)`` in one transaction on a fresh connection."""
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


async def _listed(tx: Any) -> list[Listed]:
    from app.domain.access.api_tokens import list_api_tokens
    from app.domain.access.scim_tokens import list_scim_tokens
    from app.domain.users.store import find_user

    out: list[Listed] = []
    for t in await list_api_tokens(tx):
        user = await find_user(tx, t.user_id or "", include_deleted=True)
        owner = user.login_id if user is not None else "-"
        out.append(
            Listed(
                t.id, t.name, "admin", owner, t.state, t.created_at, t.expires_at, t.last_used_at
            )
        )
    for t in await list_scim_tokens(tx):
        out.append(
            Listed(
                t.id,
                t.name,
                "scim",
                t.created_by,
                t.state,
                t.created_at,
                t.expires_at,
                t.last_used_at,
            )
        )
    return sorted(out, key=lambda t: (t.created_at, t.id), reverse=True)


def _list(settings: Settings, args: argparse.Namespace) -> int:
    from app.admin_cli.output import table

    tokens = with_db(settings, _listed)
    if args.json:
        print(json.dumps([asdict(t) for t in tokens], indent=2, sort_keys=True))
        return 0
    if tokens:
        print(table(COLUMNS, [t.row() for t in tokens]))
    active = sum(t.state == "ACTIVE" for t in tokens)
    print(f"{len(tokens)} tokens, {active} active", file=sys.stderr)
    return 0


class Ambiguous(Exception):
    """A name that several active tokens share."""


def _pick(tokens: list[Listed], wanted: str) -> Listed | None:
    by_id = [t for t in tokens if t.id == wanted]
    if by_id:
        return by_id[0]
    named = [t for t in tokens if t.name == wanted and t.state == "ACTIVE"]
    if len(named) > 1:
        ids = ", ".join(f"{t.id} ({t.kind})" for t in named)
        raise Ambiguous(f"{len(named)} active tokens are named {wanted!r}: revoke one by id: {ids}")
    return named[0] if named else None


def _revoke(settings: Settings, args: argparse.Namespace) -> int:
    from app.domain.access.api_tokens import revoke_api_token
    from app.domain.access.scim_tokens import revoke_scim_token
    from app.domain.types import SYSTEM

    async def work(tx: Any) -> tuple[Listed | None, bool]:
        target = _pick(await _listed(tx), args.token)
        if target is None or target.state == "REVOKED":
            return target, False
        revoke = revoke_api_token if target.kind == "admin" else revoke_scim_token
        await revoke(tx, actor=SYSTEM, token_id=target.id)
        return target, True

    try:
        target, revoked = with_db(settings, work)
    except Ambiguous as exc:
        print(f"roster: {exc}", file=sys.stderr)
        return 2
    if target is None:
        print(
            f"roster: no token with id {args.token!r} and no active token named {args.token!r};"
            " `roster token list` shows them",
            file=sys.stderr,
        )
        return 1
    label = "admin API" if target.kind == "admin" else "SCIM"
    done = "revoked" if revoked else "was already revoked:"
    print(f"{done} {label} token {target.name!r} ({target.id})", file=sys.stderr)
    return 0


def _create_admin(settings: Settings, args: argparse.Namespace) -> Issue:
    """The issuing of an admin API token; an out-of-range --ttl-days exits 2 before any write."""
    from app.domain.access.api_tokens import check_api_token_ttl
    from app.domain.access.bootstrap import issue_admin_token
    from app.errors import InvalidValue

    try:
        ttl = check_api_token_ttl(args.ttl_days, settings.api_token_max_ttl_days)
    except InvalidValue as exc:
        print(f"roster: {exc.message.replace('ttlDays', '--ttl-days')}", file=sys.stderr)
        raise SystemExit(2) from None
    return lambda tx: issue_admin_token(
        tx,
        login_id=args.login,
        role=args.role,
        ttl_days=ttl,
        max_ttl_days=settings.api_token_max_ttl_days,
    )


def _create_scim(settings: Settings, args: argparse.Namespace) -> Issue:
    """The issuing of a SCIM token."""
    from app.domain.access.bootstrap import issue_scim_token

    return lambda tx: issue_scim_token(
        tx,
        name=args.name,
        ttl_days=settings.scim_token_ttl_days,
        max_active=settings.scim_max_tokens,
    )


def run_token(settings: Settings, args: argparse.Namespace) -> int:
    """The ``token`` commands (the database is migrated already); returns the exit code."""
    from app.errors import RosterError, TokenLimitReached

    if args.kind == "list":
        return _list(settings, args)
    if args.kind == "revoke":
        return _revoke(settings, args)
    create = _create_admin if args.kind == "create-admin" else _create_scim
    try:
        secret = with_db(settings, create(settings, args))
    except TokenLimitReached as exc:
        print(f"roster: {exc.message} ({REVOKE_HINT})", file=sys.stderr)
        return 1
    except RosterError as exc:
        print(f"roster: {exc.message}", file=sys.stderr)
        return 1
    print(secret)
    return 0
