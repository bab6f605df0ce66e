"""Per-request context: the authenticated actor, the request's read transaction, DataLoaders."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader
from strawberry.types import Info as StrawberryInfo

from app.db import Database, Tx
from app.domain.access import api_tokens, scim_tokens
from app.domain.groups.lookups import (
    groups_by_ids,
    groups_of_users,
    members_of_groups,
    roles_of_groups,
)
from app.domain.provisioning.health import TokenHealth, token_health
from app.domain.settings.catalogue import ALWAYS_VISIBLE, Catalogue, get_catalogue
from app.domain.types import Actor, GroupRecord, UserRecord
from app.domain.users.batch_reads import UserRoles, roles_of_users, users_by_ids
from app.domain.users.visibility import hidden_names, may_read_hidden
from app.errors import Forbidden
from app.graphql.types.builtin import BUILTIN_FIELDS
from app.settings import Settings

MemberKey = tuple[str, str | None, int]


async def _token_health(tx: Tx, ids: Sequence[str]) -> dict[str, TokenHealth]:
    # Every token's health in one read: there are a handful of SCIM tokens.
    return {t.token_id: t for t in await token_health(tx)}


R = TypeVar("R")


class Loaders:
    """DataLoaders of one request: each batches every key asked for in one tick."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self.user_groups = DataLoader(self._user_groups)
        self.user_roles = DataLoader(self._user_roles)
        self.group_roles = DataLoader(self._group_roles)
        self.group_members = DataLoader(self._group_members)
        # Objects a log entry links to (actor, target, token, resource), soft-deleted users too.
        self.users = DataLoader(self._by_ids(partial(users_by_ids, include_deleted=True)))
        self.groups = DataLoader(self._by_ids(groups_by_ids))
        self.scim_tokens = DataLoader(self._by_ids(scim_tokens.scim_tokens_by_ids))
        self.api_tokens = DataLoader(self._by_ids(api_tokens.api_tokens_by_ids))
        self.token_health = DataLoader(self._by_ids(_token_health))

    def _by_ids(
        self, read: Callable[[Tx, Sequence[str]], Awaitable[dict[str, R]]]
    ) -> Callable[[Sequence[str]], Awaitable[list[R | None]]]:
        """A batch function reading records by id (None for an id that is gone)."""

        async def load(keys: Sequence[str]) -> list[R | None]:
            async with self._ctx.read() as tx:
                found = await read(tx, keys)
            return [found.get(k) for k in keys]

        return load

    async def _user_groups(self, keys: Sequence[str]) -> list[list[GroupRecord]]:
        async with self._ctx.read() as tx:
            found = await groups_of_users(tx, keys)
        return [found[k] for k in keys]

    async def _user_roles(self, keys: Sequence[str]) -> list[UserRoles]:
        async with self._ctx.read() as tx:
            found = await roles_of_users(tx, keys)
        return [found[k] for k in keys]

    async def _group_roles(self, keys: Sequence[str]) -> list[list[str]]:
        async with self._ctx.read() as tx:
            found = await roles_of_groups(tx, keys)
        return [found[k] for k in keys]

    async def _group_members(self, keys: Sequence[MemberKey]) -> list[list[UserRecord]]:
        windows: dict[tuple[str | None, int], list[str]] = {}
        for group_id, after, limit in keys:
            windows.setdefault((after, limit), []).append(group_id)
        results: dict[MemberKey, list[UserRecord]] = {}
        async with self._ctx.read() as tx:
            for (after, limit), ids in windows.items():
                page = await members_of_groups(tx, ids, after=after, limit=limit)
                results.update({(g, after, limit): page[g] for g in ids})
        return [results[k] for k in keys]


@dataclass(eq=False, kw_only=True)
class Context:
    """What every resolver sees as ``info.context``."""

    db: Database
    settings: Settings
    request: Any
    response: Any
    request_id: str
    _actor: Actor | None = field(default=None, init=False)  # `actor`, once authenticated
    connection_params: dict[str, Any] | None = None
    credential: str | None = None  # a websocket's bearer header, re-checked while open
    tx: Tx | None = None
    _tx_lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)
    _catalogue: Catalogue | None = field(default=None, init=False)
    _catalogue_lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)
    user_roles: dict[str, UserRoles] = field(default_factory=dict, init=False)
    user_groups: dict[str, list[GroupRecord]] = field(default_factory=dict, init=False)
    # Group views (and their cursors), and pages of a user's groups, built once per
    # request: the users of a page share few groups.
    group_views: dict[str, Any] = field(default_factory=dict, init=False)
    group_pages: dict[tuple[Any, ...], Any] = field(default_factory=dict, init=False)
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self)

    @property
    def actor(self) -> Actor:
        """The authenticated principal (the view refuses unauthenticated operations)."""
        if self._actor is None:
            raise Forbidden("not authenticated")
        return self._actor

    @actor.setter
    def actor(self, value: Actor) -> None:
        self._actor = value

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        """The request's read transaction (one caller at a time), or a fresh one."""
        if self.tx is not None:
            async with self._tx_lock:
                yield self.tx
        else:
            async with self.db.transaction(write=False) as tx:
                yield tx

    async def catalogue(self) -> Catalogue:
        """The Profile Editor catalogue, read once per request."""
        if self._catalogue is None:
            async with self._catalogue_lock:  # a page of users asks concurrently: read once
                if self._catalogue is None:
                    async with self.read() as tx:
                        self._catalogue = await get_catalogue(tx)
        return self._catalogue

    def forget_catalogue(self) -> None:
        """Drop the memo after a mutation changed the catalogue."""
        self._catalogue = None

    def forget_prefetched(self) -> None:
        """Drop prefetched roles and groups (a mutation may change them)."""
        self.user_roles.clear()
        self.user_groups.clear()
        self.group_views.clear()
        self.group_pages.clear()
        self.loaders = Loaders(self)

    @property
    def cached_catalogue(self) -> Catalogue | None:
        """The catalogue if this request already read it."""
        return self._catalogue

    @property
    def hidden(self) -> frozenset[str]:
        """Attributes whose values the actor may not read (app.domain.users.visibility).

        The view reads the catalogue up front for such actors; without it, every built-in
        attribute that may be hidden is withheld (fail closed).
        """
        if self._actor is None or may_read_hidden(self._actor):
            return frozenset()
        if self._catalogue is None:
            return frozenset(name for name, _ in BUILTIN_FIELDS) - ALWAYS_VISIBLE
        return hidden_names(self._catalogue)


Info = StrawberryInfo[Context, None]
