"""Fan-out of committed provisioning events to live subscribers (GraphQL subscriptions).

Transport-neutral: a writer calls `announce_provisioning_event` inside its transaction and
each subscriber iterates `provisioning_events.subscribe()`, after `follow_provisioning_events`.
Delivery is best effort and never blocks a writer: a subscriber that falls ``maxsize`` events
behind loses the oldest.

Across workers (PostgreSQL), an event travels as a NOTIFY on `CHANNEL`, sent in the writing
transaction (the transaction's notices go in one statement at its end: `Tx.notify`), so
PostgreSQL delivers it at commit and never on rollback. Each worker holds one
LISTEN connection (`app.domain.listen`), started by its first subscriber, which hands every
notification to its subscribers; the writing worker receives its own notification that way
too and does not publish in-process as well. The payload is the event as JSON, or only its
id when the JSON would not fit NOTIFY's 8000 bytes (the listener then reads the row). An event
seen twice by one process (a reconnect's catch-up, two listeners in one test process) is
delivered once. SQLite serves one process: events are published in-process after commit.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import weakref
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Generic, TypeVar

import orjson

from app.db import Database, Tx
from app.domain.clock import now_iso, to_iso
from app.domain.events import EVENT_COLUMNS, ProvisioningEventRecord, event_from_row
from app.domain.listen import Listener

T = TypeVar("T")
log = logging.getLogger("roster.notify")

CHANNEL = "roster_provisioning_events"
MAX_INLINE = 7900  # bytes of JSON sent in the NOTIFY itself (PostgreSQL's limit is 8000)
CATCH_UP_MARGIN = timedelta(seconds=5)  # events commit a little after their ``at``
CATCH_UP_LIMIT = 1000


class _Subscriber(Generic[T]):
    def __init__(self, maxsize: int) -> None:
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[T] = asyncio.Queue(maxsize)

    def offer(self, item: T) -> None:
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(item)


class Broadcaster(Generic[T]):
    """A topic: every subscriber receives every item published after it subscribed."""

    def __init__(self, maxsize: int = 1000) -> None:
        self._maxsize = maxsize
        self._subscribers: set[_Subscriber[T]] = set()
        self._lock = threading.Lock()

    @property
    def subscriber_count(self) -> int:
        """How many subscribers are listening."""
        return len(self._subscribers)

    def publish(self, item: T) -> None:
        """Hand ``item`` to every subscriber; returns at once, from any thread."""
        with self._lock:
            subscribers = list(self._subscribers)
        try:
            current = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        for sub in subscribers:
            if sub.loop is current:
                sub.offer(item)
            elif not sub.loop.is_closed():
                sub.loop.call_soon_threadsafe(sub.offer, item)

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[AsyncIterator[T]]:
        """Listen for the lifetime of the block: ``async with b.subscribe() as items:``."""
        sub: _Subscriber[T] = _Subscriber(self._maxsize)
        with self._lock:
            self._subscribers.add(sub)
        try:
            yield _drain(sub)
        finally:
            with self._lock:
                self._subscribers.discard(sub)


async def _drain(sub: _Subscriber[T]) -> AsyncIterator[T]:
    while True:
        yield await sub.queue.get()


provisioning_events: Broadcaster[ProvisioningEventRecord] = Broadcaster()
"""Every recorded provisioning event, published after its transaction commits."""


class _Recent:
    """The last ``size`` event ids this process delivered (thread-safe)."""

    def __init__(self, size: int) -> None:
        self._order: deque[str] = deque()
        self._ids: set[str] = set()
        self._size = size
        self._lock = threading.Lock()

    def first_time(self, event_id: str) -> bool:
        """Remember ``event_id``; False when it was already there."""
        with self._lock:
            if event_id in self._ids:
                return False
            self._ids.add(event_id)
            self._order.append(event_id)
            if len(self._order) > self._size:
                self._ids.discard(self._order.popleft())
            return True


_recent = _Recent(10_000)


def publish_provisioning_event(event: ProvisioningEventRecord) -> None:
    """Hand a committed event to this process's subscribers, once per event id."""
    if _recent.first_time(event.id):
        provisioning_events.publish(event)


def encode_event(event: ProvisioningEventRecord) -> str:
    """The NOTIFY payload of an event: its JSON, or its id when the JSON is too long."""
    text = orjson.dumps(event)
    return text.decode() if len(text) < MAX_INLINE else event.id


def decode_event(payload: str) -> ProvisioningEventRecord | str:
    """The event of a payload, or the id to read it by."""
    if not payload.startswith("{"):
        return payload
    return ProvisioningEventRecord(**orjson.loads(payload))


def announce_provisioning_event(tx: Tx, event: ProvisioningEventRecord) -> None:
    """Have ``event`` reach the subscribers of every worker once ``tx`` commits."""
    if tx.dialect.name == "postgresql":
        tx.notify(CHANNEL, encode_event(event))
    else:
        tx.after_commit(lambda: publish_provisioning_event(event))


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
