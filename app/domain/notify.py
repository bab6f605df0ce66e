"""Fan-out of committed provisioning events to live subscribers (GraphQL subscriptions).

A writer calls `announce_provisioning_event` inside its transaction and
each subscriber iterates `provisioning_events.subscribe()`, after `follow_provisioning_events`.
The in-process topic is `app.db.broadcast`; the event, its payload and `announce_provisioning_event`
live in `app.domain.events`, this module imports that one (never the reverse).
Delivery is best effort and never blocks a writer: a subscriber that falls ``maxsize`` events
behind loses the oldest.

Across workers (PostgreSQL), an event travels as a NOTIFY on `CHANNEL`, sent in the writing
transaction (the transaction's notices go in one statement at its end: `Tx.notify`), so
PostgreSQL delivers it at commit and never on rollback. Each worker holds one
LISTEN connection (`app.db.listen`), started by its first subscriber, which hands every
notification to its subscribers; the writing worker receives its own notification that way
too and does not publish in-process as well. The payload is the event as JSON, or only its
id when the JSON would not fit NOTIFY's 8000 bytes (the listener then reads the row). An event
seen twice by one process (a reconnect's catch-up, two listeners in one test process) is
delivered once. SQLite serves one process: events are published in-process after commit.
"""

from __future__ import annotations

import asyncio
import weakref
from datetime import datetime, timedelta

import orjson

from app.db import Database
from app.db.listen import Listener
from app.domain.clock import now_iso, to_iso
from app.domain.events import (
    CHANNEL,
    EVENT_COLUMNS,
    ProvisioningEventRecord,
    announce_provisioning_event,
    encode_event,
    event_from_row,
    provisioning_events,
    publish_provisioning_event,
)

__all__ = [
    "CHANNEL",
    "announce_provisioning_event",
    "decode_event",
    "encode_event",
    "follow_provisioning_events",
    "listener_of",
    "provisioning_events",
    "publish_provisioning_event",
]

CATCH_UP_MARGIN = timedelta(seconds=5)  # events commit a little after their ``at``
CATCH_UP_LIMIT = 1000


def decode_event(payload: str) -> ProvisioningEventRecord | str:
    """The event of a payload, or the id to read it by."""
    if not payload.startswith("{"):
        return payload
    return ProvisioningEventRecord(**orjson.loads(payload))


_SELECT = f"SELECT {EVENT_COLUMNS} FROM provisioning_events"


class _Feed:
    """This process's end of `CHANNEL` for one Database: its listener and catch-up."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.since = now_iso()
        self.listener = Listener(
            db.settings.postgres_dsn, CHANNEL, self.on_payload, on_reconnect=self.catch_up
        )
        self._reads: set[asyncio.Task[None]] = set()

    def on_payload(self, payload: str) -> None:
        """One notification: deliver the event, or read it first when only its id came."""
        event = decode_event(payload)
        if isinstance(event, ProvisioningEventRecord):
            self.deliver([event])
            return
        task = asyncio.get_running_loop().create_task(self.read("id = :id", {"id": event}))
        self._reads.add(task)
        task.add_done_callback(self._reads.discard)

    def deliver(self, events: list[ProvisioningEventRecord]) -> None:
        """Publish events (once each) and remember how far the feed got."""
        for event in events:
            self.since = max(self.since, event.at)
            publish_provisioning_event(event)

    async def read(self, where: str, params: dict[str, object]) -> None:
        """Read events from the log (oldest first, at most CATCH_UP_LIMIT) and deliver them."""
        sql = f"{_SELECT} WHERE {where} ORDER BY at, id LIMIT {CATCH_UP_LIMIT}"
        async with self.db.transaction(write=False) as tx:
            rows = await tx.fetch(sql, params)
        self.deliver([event_from_row(r) for r in rows])

    async def catch_up(self) -> None:
        """After a reconnect: deliver what was committed while the listener was away."""
        since = datetime.fromisoformat(self.since.replace("Z", "+00:00")) - CATCH_UP_MARGIN
        await self.read("at >= :since", {"since": to_iso(since)})

    async def stop(self) -> None:
        """End the listener and pending reads, and forget the feed."""
        await self.listener.stop()
        for task in list(self._reads):
            task.cancel()
        _feeds.pop(self.db, None)


_feeds: weakref.WeakKeyDictionary[Database, _Feed] = weakref.WeakKeyDictionary()


def listener_of(db: Database) -> Listener | None:
    """The LISTEN connection this process holds for ``db``, if it started one."""
    feed = _feeds.get(db)
    return feed.listener if feed else None


async def follow_provisioning_events(db: Database, wait: float = 5.0) -> bool:
    """Make this process receive the events every worker commits; call before subscribing.

    PostgreSQL: starts this process's LISTEN connection on first use and waits up to ``wait``
    seconds until it listens (False if it does not yet; it keeps trying). SQLite: one
    process, nothing to do.
    """
    if db.kind != "postgresql":
        return True
    feed = _feeds.get(db)
    if feed is None:
        feed = _feeds[db] = _Feed(db)
        db.on_close(feed.stop)
    return await feed.listener.start(wait)
