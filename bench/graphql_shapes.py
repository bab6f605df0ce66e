# mypy: disable-error-code="untyped-decorator"
# (strawberry.field(...) with arguments is typed Any: it doubles as a dataclass field)
"""The two sides of bench/graphql_baseline.py: a Strawberry-only schema and Roster's schema."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from functools import partial
from pathlib import Path
from typing import Any, NewType

import strawberry
from strawberry.extensions import ParserCache, SchemaExtension, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types.scalar import ScalarDefinition

QUERY = """
query {
  users(first: 100) {
    totalCount
    nodes {
      id loginId externalId authProvider status createdAt updatedAt version
      firstName lastName email displayName title department employeeNumber
      locale timezone userType organization
      roles
      groups(first: 10) { nodes { id displayName } }
    }
  }
}
"""

# ---------------------------------------------------------------- the Strawberry-only side

DateTime = NewType("DateTime", str)
_SCALARS: dict[object, ScalarDefinition] = {
    DateTime: strawberry.scalar(name="DateTime", serialize=lambda v: v)
}


@strawberry.enum(name="AuthProvider")
class Provider(Enum):
    """Owner (the values Roster has)."""

    LOCAL = "LOCAL"
    OKTA = "OKTA"


@strawberry.enum(name="UserStatus")
class Status(Enum):
    """Lifecycle state."""

    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


@strawberry.type(name="Group")
class BGroup:
    """A group."""

    id: strawberry.ID
    display_name: str


@strawberry.type(name="GroupConnection")
class BGroupConnection:
    """A page of groups."""

    nodes: list[BGroup]


@strawberry.type(name="User")
class BUser:
    """A user: plain attributes, one resolver (groups takes an argument)."""

    id: strawberry.ID
    login_id: str
    external_id: str | None
    auth_provider: Provider
    status: Status
    created_at: DateTime
    updated_at: DateTime
    version: int
    first_name: str | None
    last_name: str | None
    email: str | None
    display_name: str | None
    title: str | None
    department: str | None
    employee_number: str | None
    locale: str | None
    timezone: str | None
    user_type: str | None
    organization: str | None
    roles: list[str]
    all_groups: strawberry.Private[list[BGroup]]

    @strawberry.field
    def groups(self, first: int | None = None, after: str | None = None) -> BGroupConnection:
        return BGroupConnection(nodes=self.all_groups[:first])


@strawberry.type(name="UserConnection")
class BUserConnection:
    """A page of users."""

    total_count: int
    nodes: list[BUser]


def _snake(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def _user(node: dict[str, Any]) -> BUser:
    values = {_snake(k): v for k, v in node.items() if k not in ("groups", "roles")}
    values["auth_provider"] = Provider(values["auth_provider"])
    values["status"] = Status(values["status"])
    groups = [BGroup(id=g["id"], display_name=g["displayName"]) for g in node["groups"]["nodes"]]
    return BUser(**values, roles=list(node["roles"]), all_groups=groups)


@dataclass
class Baseline:
    """The Strawberry-only schema over users built once, plain and with the two caches."""

    schema: strawberry.Schema
    cached: strawberry.Schema

    async def run(self) -> Any:
        """One execution of the plain schema (parses and validates every time)."""
        return await self.schema.execute(QUERY)

    async def run_cached(self) -> Any:
        """One execution with ParserCache and ValidationCache, as Roster runs."""
        return await self.cached.execute(QUERY)

    async def check(self) -> Any:
        """One execution's data (errors fail loudly)."""
        result = await self.run()
        assert not result.errors, result.errors
        return result.data


def baseline_runner(answer: dict[str, Any]) -> Baseline:
    """The baseline serving the users of Roster's ``answer`` from memory."""
    page = answer["users"]
    connection = BUserConnection(
        total_count=page["totalCount"], nodes=[_user(n) for n in page["nodes"]]
    )

    @strawberry.type(name="Query")
    class Query:
        @strawberry.field
        def users(self, first: int | None = None) -> BUserConnection:
            return BUserConnection(
                total_count=connection.total_count, nodes=connection.nodes[:first]
            )

    config = StrawberryConfig(scalar_map=_SCALARS)
    caches: list[Callable[[], SchemaExtension]] = [
        partial(ParserCache, maxsize=256),
        partial(ValidationCache, maxsize=256),
    ]
    return Baseline(
        strawberry.Schema(query=Query, config=config),
        strawberry.Schema(query=Query, config=config, extensions=caches),
    )


# ---------------------------------------------------------------------------- Roster's side


async def seed_directory(tmp: Path, users: int) -> Any:
    """A migrated SQLite directory: ``users`` users, 20 groups of 50, roles on some users."""
    from app import migrations
    from app.db import Database
    from app.domain.access.roles import grant_roles
    from app.domain.types import SYSTEM
    from app.seeding import seed_groups, seed_users
    from app.settings import Settings

    settings = Settings(database_url=f"sqlite:///{tmp / 'bench.db'}", _env_file=None)
    migrations.upgrade(settings)
    db = Database(settings)
    await db.connect()
    try:
        async with db.transaction() as tx:
            ids = await seed_users(tx, actor=SYSTEM, count=users, prefix="seed-")
            await seed_groups(tx, actor=SYSTEM, user_ids=ids, count=20, size=50, prefix="seed-")
            await grant_roles(tx, actor=SYSTEM, roles=["VIEWER"], user_ids=ids[:100:3])
            await grant_roles(tx, actor=SYSTEM, roles=["billing"], user_ids=ids[:100:7])
    finally:
        await db.close()
    return settings


async def roster_runner(
    settings: Any,
) -> tuple[Callable[[], Awaitable[Any]], dict[str, Any], Callable[[], Awaitable[None]]]:
    """(one execution, the answer's data, close) of Roster's schema over ``settings``."""
    from app.db import Database
    from app.domain.types import Actor, ActorKind
    from app.graphql.context import Context
    from app.graphql.schema import build_schema

    db = Database(settings)
    await db.connect()
    schema = build_schema(settings)
    actor = Actor(ActorKind.ADMIN, None, "bench@example.com", frozenset({"OWNER"}))

    async def run() -> Any:
        ctx = Context(db=db, settings=settings, request=None, response=None, request_id="b")
        ctx.actor = actor
        return await schema.execute(QUERY, context_value=ctx)

    first = await run()
    assert not first.errors, first.errors
    return run, first.data, db.close
