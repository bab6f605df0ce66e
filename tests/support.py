"""Helpers shared by the test modules."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from app.db import Database, drivers
from app.domain.guard.leases import BOOK
from app.domain.types import Actor, ActorKind

DATA_TABLES = (
    "webhook_attempts",
    "webhook_deliveries",
    "webhook_endpoints",
    "outbox_events",
    "guard_held",
    "guard_counted",
    "guard_leases",
    "memberships",
    "role_grants",
    "api_tokens",
    "scim_tokens",
    "scim_token_usage",
    "provisioning_events",
    "audit_entries",
    "groups",
    "users",
)


async def reset_database(db: Database) -> None:
    """Delete everything but the seed rows, and put the seeded settings back."""
    async with db.transaction() as tx:
        for table in DATA_TABLES:
            await tx.execute(f"DELETE FROM {table}")
        await tx.execute("DELETE FROM roles WHERE is_admin_role = :f", {"f": False})
        await tx.execute("DELETE FROM profile_attributes WHERE builtin = :f", {"f": False})
        await tx.execute(
            "UPDATE profile_attributes SET source_priority = 'INHERIT_FROM_IDP', status = 'VISIBLE'"
        )
        await tx.execute(
            "UPDATE auth_settings SET type = 'INTERNAL', display_name = NULL, config = :e,"
            " secrets = :e WHERE id = 1",
            {"e": "{}"},
        )
        await tx.execute(
            "UPDATE service_state SET provisioning_enabled = :f,"
            " catalogue_version = catalogue_version + 1 WHERE id = 1",
            {"f": False},
        )
        await tx.execute(
            "UPDATE deprovisioning_guard SET enabled = :t, percent = 5, minimum = 20,"
            " window_minutes = 60, state = 'ARMED', tripped_at = NULL WHERE id = 1",
            {"t": True},
        )
        await tx.execute("UPDATE guard_window SET window_count = 0, window_deletes = 0")
        await tx.execute("UPDATE outbox_counter SET seq = 0")  # numbers start at 1 again
    db.cache.pop(BOOK)  # this process's leases went with their rows


def owner(user_id: str = "00000000-0000-7000-8000-000000000001") -> Actor:
    """An OWNER admin actor."""
    return Actor(ActorKind.ADMIN, user_id, "owner@example.com", frozenset({"OWNER"}))


def admin() -> Actor:
    """An ADMIN actor."""
    return Actor(
        ActorKind.ADMIN, "00000000-0000-7000-8000-000000000002", "admin", frozenset({"ADMIN"})
    )


def viewer() -> Actor:
    """A VIEWER actor."""
    return Actor(
        ActorKind.ADMIN, "00000000-0000-7000-8000-000000000003", "viewer", frozenset({"VIEWER"})
    )


def scim_actor() -> Actor:
    """A SCIM token actor."""
    return Actor(ActorKind.SCIM, "00000000-0000-7000-8000-0000000000aa", "scim:okta")


@contextmanager
def counting(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Record the SQL of every statement either engine's transaction runs."""
    seen: list[str] = []
    for cls in (drivers.SqliteTx, drivers.PgTx):
        for name in ("fetch", "fetchrow", "fetchval", "execute"):
            original = getattr(cls, name)

            def wrap(original: Any = original) -> Any:
                async def counted(self: Any, sql: str, *args: Any) -> Any:
                    seen.append(sql)
                    return await original(self, sql, *args)

                return counted

            monkeypatch.setattr(cls, name, wrap())
    yield seen
