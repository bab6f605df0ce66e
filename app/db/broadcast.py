"""In-process fan-out: a thread-safe topic (`Broadcaster`) and a bounded memory of ids seen
(`Recent`), with which a topic publishes each item once (`Broadcaster.publish_once`).
Transport-neutral infrastructure; what is broadcast is the caller's business (the provisioning
event feed: app.domain.provisioning.feed).

Delivery is best effort and never blocks a publisher: a subscriber that falls ``maxsize`` items
behind loses the oldest. `Broadcaster.publish` may be called from any thread; each subscriber
receives on its own event loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Generic, TypeVar

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

    def __init__(self, maxsize: int = 1000, *, remember: int = 10_000) -> None:
        self._maxsize = maxsize
        self._subscribers: set[_Subscriber[T]] = set()
        self._lock = threading.Lock()
        self._seen = Recent(remember)

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

    def publish_once(self, item_id: str, item: T) -> None:
        """`publish`, unless an item with this id was (among the last ``remember`` ids)."""
        if self._seen.first_time(item_id):
            self.publish(item)

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


class Recent:
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
