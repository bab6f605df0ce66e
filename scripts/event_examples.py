"""Regenerate docs/event-examples.md from real changes (not written by hand).

Runs one change of each kind through the domain on a throw-away SQLite database, reads the
outbox back as consumers see it (`app.domain.outbox.views.document`), signs the deactivation
as Security Event Tokens, and writes docs/event-examples.md (docs/events.md links to it):

    .venv/bin/python scripts/event_examples.py            # rewrite docs/event-examples.md
    .venv/bin/python scripts/event_examples.py --print    # print it instead
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import jwt

from app import migrations
from app.db import Database
from app.domain.access.api_tokens import create_api_token, revoke_api_token
from app.domain.access.bootstrap import issue_admin_token
from app.domain.access.roles import grant_roles, revoke_roles
from app.domain.access.scim_tokens import set_provisioning_enabled
from app.domain.clock import new_id
from app.domain.groups.service import (
    add_group_members,
    create_group,
    delete_group,
    remove_group_members,
    update_group,
)
from app.domain.outbox.store import events_after
from app.domain.outbox.types import EVENT_TYPES
from app.domain.outbox.views import document
from app.domain.security_events import encode_sets
from app.domain.types import Actor, ActorKind
from app.domain.users.service import (
    UserCreate,
    UserUpdate,
    create_user,
    delete_user,
    restore_user,
    set_user_status,
    update_user,
)
from app.settings import Settings

DOC = Path(__file__).resolve().parent.parent / "docs" / "event-examples.md"
WIDTH = 96
ISSUER, AUDIENCE = "https://roster.example.com", "https://receiver.example.com/events"


async def _changes(db: Database) -> None:
    """One change of each kind, each in its own transaction (as requests make them)."""
    async with db.transaction() as tx:
        await issue_admin_token(tx, login_id="owner@example.com", role="owner")
        owner_id = str(
            await tx.fetchval("SELECT id FROM users WHERE login_id = 'owner@example.com'")
        )

    def admin() -> Actor:
        return Actor(ActorKind.ADMIN, owner_id, "owner@example.com", frozenset({"OWNER"}), new_id())

    steps: list[Any] = []
    async with db.transaction() as tx:
        ada = await create_user(
            tx,
            actor=admin(),
            data=UserCreate(login_id="ada@example.com", profile={"displayName": "Ada"}),
        )
        group = await create_group(tx, actor=admin(), display_name="Engineering")
    steps += [
        lambda tx: update_user(
            tx, actor=admin(), user_id=ada.id, data=UserUpdate({"displayName": "Ada L"})
        ),
        lambda tx: set_user_status(tx, actor=admin(), user_id=ada.id, active=False, reason="left"),
        lambda tx: set_user_status(tx, actor=admin(), user_id=ada.id, active=True, reason="back"),
        lambda tx: update_group(tx, actor=admin(), group_id=group.id, display_name="Platform"),
        lambda tx: add_group_members(tx, actor=admin(), group_id=group.id, user_ids=[ada.id]),
        lambda tx: remove_group_members(tx, actor=admin(), group_id=group.id, user_ids=[ada.id]),
        lambda tx: grant_roles(tx, actor=admin(), roles=["BILLING"], group_ids=[group.id]),
        lambda tx: revoke_roles(tx, actor=admin(), roles=["BILLING"], group_ids=[group.id]),
        lambda tx: delete_group(tx, actor=admin(), group_id=group.id),
        lambda tx: delete_user(tx, actor=admin(), user_id=ada.id),
        lambda tx: restore_user(tx, actor=admin(), user_id=ada.id),
        lambda tx: set_provisioning_enabled(tx, actor=admin(), enabled=True),
    ]
    for step in steps:
        async with db.transaction() as tx:
            await step(tx)
    async with db.transaction() as tx:
        token, _ = await create_api_token(tx, actor=admin(), user_id=owner_id, name="feed reader")
    async with db.transaction() as tx:
        await revoke_api_token(tx, actor=admin(), token_id=token.id)


def _compact(value: Any, indent: int = 0, lead: int = 0) -> str:
    """JSON that keeps on one line what fits in WIDTH columns and opens only what does not
    (``lead``: the columns the first line already holds before the value)."""
    flat = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    if indent + lead + len(flat) <= WIDTH or not isinstance(value, dict | list) or not value:
        return flat
    pad = " " * (indent + 2)
    if isinstance(value, dict):
        items = [
            f"{pad}{json.dumps(k)}: {_compact(v, indent + 2, len(k) + 4)}" for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [pad + _compact(v, indent + 2) for v in value]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def _block(value: Any) -> str:
    return "```json\n" + _compact(value) + "\n```"


async def _section() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite:///{tmp}/examples.db", _env_file=None)
        migrations.upgrade(settings)
        db = Database(settings)
        await db.connect()
        try:
            await _changes(db)
            async with db.transaction() as tx:
                events = [document(e) for e in await events_after(tx, 0, 1000)]
                deactivated = next(e for e in events if e["type"] == "user.deactivated")
                tokens = await encode_sets(tx, deactivated, audience=AUDIENCE, issuer=ISSUER)
        finally:
            await db.close()
    first = {}
    for event in events:
        first.setdefault(event["type"], event)
    parts = [
        "# Event examples",
        "",
        "One event of each type as `GET /events`, GraphQL (`resourceData`) and webhooks deliver",
        "it, then the Security Event Tokens of a deactivation. Generated from real changes on a",
        "throw-away database by `scripts/event_examples.py` (ids and times differ on every run);",
        "[events.md](events.md) explains the fields and the guarantees.",
        "",
        "## Events",
        "",
    ]
    for kind, meaning in EVENT_TYPES.items():
        parts += [f"### `{kind}`", "", meaning, "", _block(first[kind]), ""]
    parts += [
        "## The Security Event Tokens of a `user.deactivated`",
        "",
        "Each token's protected header and claims (decoded; the tokens are compact JWS):",
        "",
    ]
    for token in tokens:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
        parts += [_block({"header": header, "claims": claims}), ""]
    return "\n".join(parts).rstrip() + "\n"


def main() -> int:
    section = asyncio.run(_section())
    if "--print" in sys.argv:
        print(section, end="")
        return 0
    DOC.write_text(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
