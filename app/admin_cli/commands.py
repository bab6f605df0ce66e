"""Argument parsing and the command bodies of ``roster users|groups|provisioning``.

Exit codes: 0 done, 1 the server or the request failed (message on stderr), 2 usage error.
The admin token comes from ``$ROSTER_TOKEN`` only (never an argument, never printed); the
server from ``--server`` or ``$ROSTER_SERVER`` (default http://127.0.0.1:8000).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from app.admin_cli import queries
from app.admin_cli.follow import EVENT_COLUMNS, event_row
from app.admin_cli.output import (
    name_of,
    pairs,
    plural,
    table,
    to_json,
)
from app.idp_names import IDP_NAMES

if TYPE_CHECKING:
    from app.admin_cli.client import Api, Endpoint

COMMANDS = frozenset({"users", "groups", "provisioning"})
DEFAULT_SERVER = "http://127.0.0.1:8000"
STATUSES = ("ACTIVE", "INACTIVE")
# The AuthProvider enum of schema/graphql/schema.graphql (a test keeps them equal).
AUTH_PROVIDERS = ("LOCAL", *IDP_NAMES)

Handler = Callable[["Api", argparse.Namespace], Awaitable[int]]


class UsageError(Exception):
    """The invocation cannot work as given (exit 2)."""


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``users``, ``groups`` and ``provisioning`` to the ``roster`` sub-commands."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--server",
        metavar="URL",
        help=f"Roster base URL (default: $ROSTER_SERVER or {DEFAULT_SERVER})",
    )
    common.add_argument("--json", action="store_true", help="stable JSON on stdout, for scripts")
    epilog = "The admin API token is read from $ROSTER_TOKEN."

    users = sub.add_parser("users", help="list and show users (GraphQL API client)")
    users_sub = users.add_subparsers(dest="action", required=True)
    listing = users_sub.add_parser("list", parents=[common], help="list users", epilog=epilog)
    listing.add_argument("--search", metavar="TEXT", help="text in login, names or email")
    listing.add_argument("--status", type=str.upper, choices=STATUSES)
    listing.add_argument(
        "--auth-provider",
        type=str.upper,
        choices=AUTH_PROVIDERS,
        metavar="P",
        help=f"owner: one of {', '.join(AUTH_PROVIDERS)}",
    )
    listing.add_argument("--limit", type=_positive, default=100, metavar="N", help="default 100")
    listing.set_defaults(admin=_users_list)
    show = users_sub.add_parser("show", parents=[common], help="one user", epilog=epilog)
    show.add_argument("login", metavar="LOGIN")
    show.set_defaults(admin=_users_show)

    groups = sub.add_parser("groups", help="list groups (GraphQL API client)")
    groups_sub = groups.add_subparsers(dest="action", required=True)
    glist = groups_sub.add_parser("list", parents=[common], help="list groups", epilog=epilog)
    glist.set_defaults(admin=_groups_list)

    prov = sub.add_parser("provisioning", help="SCIM provisioning state and events")
    prov_sub = prov.add_subparsers(dest="action", required=True)
    status = prov_sub.add_parser(
        "status", parents=[common], help="state, counters and SCIM tokens", epilog=epilog
    )
    status.set_defaults(admin=_provisioning_status)
    events = prov_sub.add_parser(
        "events", parents=[common], help="the event log, or live with --follow", epilog=epilog
    )
    events.add_argument(
        "--follow",
        action="store_true",
        help="print SCIM writes live until Ctrl-C; reconnects (with backoff) when the server "
        "restarts and resumes after the last event printed",
    )
    events.add_argument(
        "--limit",
        type=_positive,
        metavar="N",
        help="newest N events (default 20); with --follow, stop after N events",
    )
    events.set_defaults(admin=_provisioning_events)


def endpoint_of(args: argparse.Namespace, environ: Mapping[str, str]) -> Endpoint:
    """The server and token of this invocation; raises `UsageError`."""
    from app.admin_cli.client import Endpoint

    base = (args.server or environ.get("ROSTER_SERVER") or DEFAULT_SERVER).strip().rstrip("/")
    base = base.removesuffix("/graphql")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"--server must be an http(s) URL such as {DEFAULT_SERVER}")
    token = environ.get("ROSTER_TOKEN", "").strip()
    if not token:
        raise UsageError("set ROSTER_TOKEN to an admin API token (roster token create-admin)")
    return Endpoint(base=base, token=token)


def run(args: argparse.Namespace) -> int:
    """Run an admin command; returns the exit code."""
    try:
        from app.admin_cli.client import ApiError, connect
    except ImportError as exc:
        print(
            f"roster: the admin commands need gql ({exc}); pip install 'roster[cli]'",
            file=sys.stderr,
        )
        return 1
    try:
        endpoint = endpoint_of(args, os.environ)
    except UsageError as exc:
        print(f"roster: {exc}", file=sys.stderr)
        return 2
    handler: Handler = args.admin

    async def main() -> int:
        async with connect(endpoint) as api:
            return await handler(api, args)

    try:
        return asyncio.run(main())
    except ApiError as exc:
        print(f"roster: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the reader left: say nothing more
        return 1


def _emit(args: argparse.Namespace, data: Any, human: str, note: str | None = None) -> int:
    if args.json:
        print(to_json(data))
    else:
        if human:
            print(human)
        if note:
            print(note, file=sys.stderr)
    return 0


async def _users_list(api: Api, args: argparse.Namespace) -> int:
    wanted: dict[str, Any] = {}
    if args.search:
        wanted["search"] = args.search
    if args.status:
        wanted["status"] = [args.status]
    if args.auth_provider:
        wanted["authProvider"] = [args.auth_provider]
    users, total = await api.collect(
        queries.USERS, ["users"], {"filter": wanted or None}, limit=args.limit
    )
    human = table(
        ["LOGIN", "STATUS", "PROVIDER", "NAME", "EMAIL"],
        [[u["loginId"], u["status"], u["authProvider"], name_of(u), u["email"]] for u in users],
    )
    note = f"{len(users)} of {total} users" + (
        " (raise --limit)" if len(users) < (total or 0) else ""
    )
    return _emit(args, {"totalCount": total, "users": users}, human, note)


def _user_json(user: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in user.items() if k not in ("groups", "profile")}
    out["groups"] = [g["displayName"] for g in user["groups"]["nodes"]]
    out["profile"] = {p["name"]: p["value"] for p in user["profile"] if p["value"] is not None}
    return out


async def _users_show(api: Api, args: argparse.Namespace) -> int:
    from app.admin_cli.client import ApiError

    data = await api.query(queries.USER, {"loginId": args.login})
    if data["user"] is None:
        raise ApiError(f"no user with login {args.login!r}")
    user = _user_json(data["user"])
    if data["user"]["groups"]["totalCount"] > len(user["groups"]):
        print(f"roster: showing the first {len(user['groups'])} groups", file=sys.stderr)
    status = user["status"] + (f" ({user['statusReason']})" if user["statusReason"] else "")
    keys = ("id", "databaseId", "authProvider", "externalId", "email", "roles", "effectiveRoles")
    rows: list[tuple[str, object]] = [("loginId", user["loginId"]), ("status", status)]
    rows += [(k, user[k]) for k in keys]
    rows += [("groups", user["groups"]), ("lockedFields", user["lockedFields"])]
    rows += [(k, user[k]) for k in ("notes", "version", "createdAt", "updatedAt")]
    rows += [("lastProvisionedAt", user["lastProvisionedAt"])]
    human = pairs(rows)
    if user["profile"]:
        human += "\nprofile\n" + pairs(sorted(user["profile"].items()), indent="  ")
    return _emit(args, user, human)


async def _groups_list(api: Api, args: argparse.Namespace) -> int:
    groups, total = await api.collect(queries.GROUPS, ["groups"])
    human = table(
        ["NAME", "PROVIDER", "MEMBERS", "ROLES", "EXTERNAL ID"],
        [
            [g["displayName"], g["authProvider"], g["memberCount"], g["roles"], g["externalId"]]
            for g in groups
        ],
    )
    return _emit(args, {"totalCount": total, "groups": groups}, human, plural(len(groups), "group"))


def _counts(items: list[dict[str, Any]]) -> str:
    return ", ".join(f"{i['authProvider']} {i['count']}" for i in items) or "-"


async def _provisioning_status(api: Api, args: argparse.Namespace) -> int:
    prov = (await api.query(queries.PROVISIONING))["provisioning"]
    stats = prov["stats"]
    human = pairs(
        [
            ("provisioning", "enabled" if prov["enabled"] else "disabled"),
            ("SCIM base URL", prov["scimBaseUrl"]),
            ("users by provider", _counts(stats["usersByProvider"])),
            ("groups by provider", _counts(stats["groupsByProvider"])),
            ("requests (24h)", stats["requestsLast24h"]),
            ("errors (24h)", stats["errorsLast24h"]),
            ("last request", stats["lastRequestAt"]),
        ]
    )
    tokens = prov["tokens"]
    human += "\n\n" + (
        table(
            ["TOKEN", "HINT", "STATE", "CREATED", "EXPIRES", "LAST USED"],
            [
                [
                    t["name"],
                    "..." + t["hint"],
                    t["state"],
                    t["createdAt"],
                    t["expiresAt"],
                    t["lastUsedAt"],
                ]
                for t in tokens
            ],
        )
        if tokens
        else "no SCIM tokens"
    )
    return _emit(args, prov, human)


async def _provisioning_events(api: Api, args: argparse.Namespace) -> int:
    if args.follow:
        from app.admin_cli.follow import follow

        return await follow(api, args)
    events, _ = await api.collect(
        queries.EVENTS, ["provisioning", "events"], limit=args.limit or 20
    )
    human = table(EVENT_COLUMNS, [event_row(e) for e in events])
    return _emit(args, {"events": events}, human, plural(len(events), "event") + ", newest first")
