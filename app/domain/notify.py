"""In-process fan-out of committed events to live subscribers (GraphQL subscriptions).

Transport-neutral: a publisher calls `publish` (after commit: ``tx.after_commit``) and each
subscriber iterates `subscribe`. Delivery is best effort and never blocks a publisher: a
subscriber that falls ``maxsize`` events behind loses the oldest. Publishing is safe from any
thread; each subscriber is woken on its own event loop. Across workers, events travel with the
scale issue (e.g. PostgreSQL LISTEN/NOTIFY feeding `publish`).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Generic, TypeVar

from app.domain.events import ProvisioningEventRecord

T = TypeVar("T")


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


def publish_provisioning_event(event: ProvisioningEventRecord) -> None:
    """Announce a committed provisioning event to live subscribers."""
    provisioning_events.publish(event)
