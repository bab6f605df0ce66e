"""Committed provisioning events (provisioning package) for live subscribers (GraphQL
subscriptions), from every worker.

A writer calls `announce_provisioning_event` inside its transaction (`record_provisioning_event`
does) and each subscriber iterates `provisioning_events.subscribe()`, after
`follow_provisioning_events`. The topic and the LISTEN plumbing are infrastructure
(`app.db.broadcast`, `app.db.feed`, `app.db.listen`); this module knows the event: its channel, its
payload, and where to read what a payload only names. Delivery is best effort and never blocks a
writer: a subscriber that falls ``maxsize`` events behind loses the oldest.

Across workers (PostgreSQL), an event travels as a NOTIFY on `CHANNEL`, sent in the writing
transaction (the transaction's notices go in one statement at its end: `Tx.notify`), so PostgreSQL
delivers it at commit and never on rollback. Each worker holds one LISTEN connection, started by its
first subscriber, which hands every notification to its subscribers; the writing worker receives its
own notification that way too and does not publish in-process as well. The payload is the event as
JSON, or only its id when the JSON would not fit NOTIFY's 8000 bytes (the listener then reads the
row). An event seen twice by one process (a reconnect's catch-up, two listeners in one test process)
is delivered once. SQLite: events are published in-process after commit, and the other
processes read them from the log after each commit of another process (`app.db.watch`),
in commit order by rowid, so nothing needs to travel; what both paths deliver goes out once.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import orjson

from app.db import Database, Tx
from app.db.broadcast import Broadcaster
from app.db.feed import Pending, follow
from app.db.feed import listener_of as _listener_of
from app.db.listen import Listener
from app.domain.clock import now_iso, to_iso
from app.domain.provisioning.events_store import (
    events_after_row,
    events_since,
    last_event_row,
    provisioning_event_by_id,
)
from app.domain.provisioning.model import ProvisioningEventRecord

CHANNEL = "roster_provisioning_events"
MAX_INLINE = 7900  # bytes of JSON sent in the NOTIFY itself (PostgreSQL's limit is 8000)
CATCH_UP_MARGIN = timedelta(seconds=5)  # events commit a little after their ``at``
CATCH_UP_LIMIT = 1000

provisioning_events: Broadcaster[ProvisioningEventRecord] = Broadcaster(remember=10_000)
"""Every recorded provisioning event, published once after its transaction commits."""


def publish_provisioning_event(event: ProvisioningEventRecord) -> None:
    """Hand a committed event to this process's subscribers, once per event id."""
    provisioning_events.publish_once(event.id, event)


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


class _EventFollower:
    """This process's reader of `CHANNEL` for one Database: decodes, reads, catches up."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.since = now_iso()
        self.row: int | None = None  # SQLite: the rowid of the last event read
        self._reading = asyncio.Lock()  # SQLite: one read of the log at a time

    def on_payload(self, payload: str) -> Pending | None:
        """One notification: deliver the event, or read it first when only its id came."""
        event = decode_event(payload)
        if isinstance(event, ProvisioningEventRecord):
            self.deliver([event])
            return None
        return self.read_one(event)

    def deliver(self, events: list[ProvisioningEventRecord]) -> None:
        """Publish events (once each) and remember how far the feed got."""
        for event in events:
            self.since = max(self.since, event.at)
            publish_provisioning_event(event)

    async def read_one(self, event_id: str) -> None:
        """Read the event a payload named and deliver it."""
        async with self.db.transaction(write=False) as tx:
            event = await provisioning_event_by_id(tx, event_id)
        self.deliver([event] if event is not None else [])

    async def catch_up(self) -> None:
        """PostgreSQL, after a reconnect: deliver what was committed while the listener was
        away. SQLite, after another process's commit: `next_rows`."""
        if self.db.kind == "sqlite":
            await self.next_rows()
            return
        since = datetime.fromisoformat(self.since.replace("Z", "+00:00")) - CATCH_UP_MARGIN
        async with self.db.transaction(write=False) as tx:
            events = await events_since(tx, to_iso(since), CATCH_UP_LIMIT)
        self.deliver(events)

    async def next_rows(self) -> None:
        """SQLite: deliver the events stored after the last one read (the first call only
        notes where the log ends). When the log ends before that row, it was emptied (retention
        after a quiet spell, a test): every event in it is new."""
        async with self._reading:
            while True:
                async with self.db.transaction(write=False) as tx:
                    if self.row is None:
                        self.row = await last_event_row(tx)
                        return
                    events, row = await events_after_row(tx, self.row, CATCH_UP_LIMIT)
                    emptied = not events and await last_event_row(tx) < self.row
                self.row = 0 if emptied else row
                self.deliver(events)
                if len(events) < CATCH_UP_LIMIT and not emptied:
                    return


def listener_of(db: Database) -> Listener | None:
    """The LISTEN connection this process holds for provisioning events on ``db``, if any."""
    return _listener_of(db, CHANNEL)


async def follow_provisioning_events(db: Database, wait: float = 5.0) -> bool:
    """Make this process receive the events every worker commits; call before subscribing.

    PostgreSQL: starts this process's LISTEN connection on first use and waits up to ``wait``
    seconds until it listens (False if it does not yet; it keeps trying). SQLite: starts this
    process's watcher of the database on first use (`app.db.feed.follow`).
    """
    return await follow(db, CHANNEL, lambda: _EventFollower(db), wait)
