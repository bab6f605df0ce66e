"""Commits to a SQLite database by other processes, seen by polling ``PRAGMA data_version``.

SQLite has no LISTEN/NOTIFY. In its place each process asks its own connection
(`Database.data_version`) for ``PRAGMA data_version`` every `INTERVAL`, when a first follower
asked for it (and until the Database closes): the number changes when another connection (a
second worker, the CLI) has committed, never for the process's own commits, which it announces
in process already. Then every callback registered with `watch` runs, in order: the catch-up a
PostgreSQL listener runs after a reconnect (wake the outbox readers, read the provisioning
events after the last one read), since nothing but "something committed" travels; a spurious
wake-up costs one read. Commits that land during a round of callbacks make one more round.
Idle, the watcher costs one trivial statement per interval on the event loop (a few
microseconds), taken between the process's transactions. A file replaced under the server
(a restore), which the Database reopens, counts as a change.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from app.db import Database
from app.db.tasks import cancel_task

log = logging.getLogger("roster.watch")

INTERVAL = 0.025  # seconds between polls: how late another worker's commit may be seen

Callback = Callable[[], Awaitable[None] | None]


class Watcher:
    """Polls ``version`` (a `Database.data_version`) and runs the callbacks when it changed."""

    def __init__(self, version: Callable[[], Awaitable[Any]], interval: float = INTERVAL) -> None:
        self.version = version
        self.interval = interval
        self.callbacks: dict[str, Callback] = {}
        self.rounds = 0  # rounds of callbacks run, for tests and logs
        self._seen: Any = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Take the current version as the starting point and poll from now on (once)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
            await self.changed()  # commits before this call are not news

    async def stop(self) -> None:
        """Stop polling; safe to call twice."""
        task, self._task = self._task, None
        await cancel_task(task)

    async def changed(self) -> bool:
        """Poll once: True when the version differs from the previous poll's. While it cannot
        be read (the file is missing), nothing is known yet: False, and the next poll asks."""
        seen = await self.version()
        if seen is None:
            return False
        news = self._seen is not None and seen != self._seen
        self._seen = seen
        return news

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            if await self.changed():
                self.rounds += 1
                for callback in list(self.callbacks.values()):
                    try:
                        result = callback()
                        if result is not None:
                            await result
                    except Exception:  # one follower's failure must not end the watch
                        log.exception("watching the SQLite database: a follower failed")


_watchers: weakref.WeakKeyDictionary[Database, Watcher] = weakref.WeakKeyDictionary()


async def watch(db: Database, key: str, make: Callable[[], Callback]) -> Callback | None:
    """Have the callback ``make()`` returns (made once per ``key`` and ``db``) run whenever
    another process commits to ``db``'s SQLite file, from now on, and return it. Starts this
    process's watcher of ``db`` on first use. An in-memory database lives in one process, so
    there is nothing to watch: None."""
    if db.settings.sqlite_path in ("", ":memory:"):
        return None
    watcher = _watchers.get(db)
    if watcher is None:
        watcher = _watchers[db] = Watcher(db.data_version)

        async def stop() -> None:
            _watchers.pop(db, None)
            await watcher.stop()

        db.on_close(stop)
    callback = watcher.callbacks.get(key)
    if callback is None:
        callback = watcher.callbacks[key] = make()
    await watcher.start()
    return callback


def watcher_of(db: Database) -> Watcher | None:
    """This process's watcher of ``db``, if one started."""
    return _watchers.get(db)
