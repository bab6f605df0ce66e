"""Wake-ups for readers of the event outbox: "something was committed, look again".

A committed event is announced twice: in this process after its commit (`wake`), and across
processes by a NOTIFY on `CHANNEL` that each PostgreSQL worker receives on one LISTEN
connection of its own, or on SQLite by this process's `app.db.watch` watcher, which sees
every commit of another process and wakes every reader (`follow`, started by the first
reader that waits, never by the lifespan: a database that is down at start must not hold the
server up). A reader takes the
`generation` before it reads, and after reading nothing waits with `wait_after`: a wake-up
between its read and its wait is not lost. A wake-up carries no data; readers read the table,
so a spurious or lost notification costs at most one read or one wait's timeout (the
listener wakes everyone after a reconnect for the same reason).
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from typing import TYPE_CHECKING

from app.db.listen import Listener
from app.db.watch import watch

if TYPE_CHECKING:
    from app.db import Database

CHANNEL = "roster_outbox"


class Wakeup:
    """A generation counter that waiters on any event loop can wait on."""

    def __init__(self) -> None:
        self.generation = 0
        self._lock = threading.Lock()
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = set()

    def wake(self) -> None:
        """Advance the generation and release every waiter; from any thread."""
        with self._lock:
            self.generation += 1
            waiters, self._waiters = self._waiters, set()
        for loop, future in waiters:
            if not loop.is_closed():
                loop.call_soon_threadsafe(_release, future)

    async def wait_after(self, generation: int, seconds: float) -> bool:
        """Wait until the generation passes ``generation`` or ``seconds`` go by;
        True when it passed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        entry = (loop, future)
        with self._lock:
            if self.generation > generation:
                return True
            self._waiters.add(entry)
        try:
            await asyncio.wait_for(future, seconds)
        except TimeoutError:
            return False
        finally:
            with self._lock:
                self._waiters.discard(entry)
        return True


def _release(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


#: This process's wake-up (readers of every Database share it: a wake-up only means "look").
wakeup = Wakeup()


#: Webhook endpoints were created, changed or deleted (app.domain.webhooks, whose commits
#: NOTIFY `CHANNEL` with the payload `ENDPOINTS`): a deliverer that knows of no endpoint waits
#: on this alone, so on PostgreSQL an idle one reads nothing when other changes commit (on
#: SQLite a commit says nothing more, so every commit of another process wakes it too).
endpoints = Wakeup()
ENDPOINTS = "endpoints"


def wake(_seq: int | None = None) -> None:
    """Announce a commit in this process."""
    wakeup.wake()


def _notified(payload: str) -> None:
    if payload == ENDPOINTS:
        endpoints.wake()
    else:
        wake()


def _everyone() -> None:
    """What was committed is not known (notifications lost while away, or a SQLite commit,
    which says nothing else): every reader reads again."""
    wake()
    endpoints.wake()


_listeners: weakref.WeakKeyDictionary[Database, Listener] = weakref.WeakKeyDictionary()


async def follow(db: Database, wait: float = 2.0) -> bool:
    """Receive the commits of every worker (PostgreSQL: this process's LISTEN on `CHANNEL`,
    started on first use; up to ``wait`` seconds for it, then it keeps trying in the
    background. SQLite: this process's watcher, started on first use, which wakes every
    reader when another process commits). True when listening."""
    if db.kind != "postgresql":
        await watch(db, CHANNEL, lambda: _everyone)
        return True
    listener = _listeners.get(db)
    if listener is None:

        async def caught_up() -> None:
            _everyone()

        listener = _listeners[db] = Listener(
            db.settings.postgres_dsn, CHANNEL, _notified, on_reconnect=caught_up
        )

        async def stop() -> None:
            _listeners.pop(db, None)
            await listener.stop()

        db.on_close(stop)
    return await listener.start(wait)
