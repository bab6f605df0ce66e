"""Following a channel that every worker sends on. PostgreSQL: one LISTEN connection
(`app.db.listen.Listener`) per channel and `Database` in a process, started by its first
follower and stopped when the Database closes. SQLite: no payload travels; this process's
`app.db.watch` watcher calls the follower's `catch_up` whenever another process commits.

Transport-neutral about what travels: the owner of a channel (for provisioning events,
`app.domain.provisioning.feed`) gives a `Follower` that handles each payload and catches up
from the table behind the channel. A payload the follower cannot handle at once (it must read a
row first) returns the coroutine that will; the feed runs it and cancels what is still pending
when it stops.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from app.db import Database
from app.db.listen import Listener
from app.db.watch import watch

Pending = Coroutine[Any, Any, None]


class Follower(Protocol):
    """The channel owner's side of a feed."""

    def on_payload(self, payload: str) -> Pending | None:
        """Handle one notification; return a coroutine for work that must wait (a read)."""

    async def catch_up(self) -> None:
        """Deliver from the table what was committed and not received: on PostgreSQL after a
        reconnect, what was sent while the listener was away; on SQLite, after a commit of
        another process, what is new since the previous call (the first call marks where
        to start)."""


class _Feed:
    """This process's end of one channel for one Database: its listener and pending work."""

    def __init__(self, db: Database, channel: str, follower: Follower) -> None:
        self.db = db
        self.channel = channel
        self.follower = follower
        self.listener = Listener(
            db.settings.postgres_dsn, channel, self.on_payload, on_reconnect=follower.catch_up
        )
        self._pending: set[asyncio.Task[None]] = set()

    def on_payload(self, payload: str) -> None:
        work = self.follower.on_payload(payload)
        if work is None:
            return
        task = asyncio.get_running_loop().create_task(work)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def stop(self) -> None:
        """End the listener and pending work, and forget the feed."""
        await self.listener.stop()
        for task in list(self._pending):
            task.cancel()
        feeds = _feeds.get(self.db)
        if feeds is not None:
            feeds.pop(self.channel, None)


_feeds: weakref.WeakKeyDictionary[Database, dict[str, _Feed]] = weakref.WeakKeyDictionary()


def listener_of(db: Database, channel: str) -> Listener | None:
    """The LISTEN connection this process holds for ``channel`` on ``db``, if it started one."""
    feed = _feeds.get(db, {}).get(channel)
    return feed.listener if feed else None


async def follow(
    db: Database, channel: str, follower: Callable[[], Follower], wait: float = 5.0
) -> bool:
    """Make this process receive what every worker sends on ``channel``.

    PostgreSQL: on first use, makes the follower and starts this process's LISTEN connection,
    then waits up to ``wait`` seconds until it listens (False if it does not yet; it keeps
    trying). SQLite: on first use, makes the follower and has this process's watcher call its
    `Follower.catch_up` after every commit of another process; then one `catch_up`, so
    what committed before this call is behind the follower (an in-memory database has one
    connection: nothing to follow).
    """
    if db.kind != "postgresql":
        catch_up = await watch(db, channel, lambda: follower().catch_up)
        if catch_up is not None:
            caught = catch_up()
            if caught is not None:
                await caught
        return True
    feeds = _feeds.setdefault(db, {})
    feed = feeds.get(channel)
    if feed is None:
        feed = feeds[channel] = _Feed(db, channel, follower())
        db.on_close(feed.stop)
    return await feed.listener.start(wait)
