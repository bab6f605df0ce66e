"""Commits to a SQLite database by other connections, seen by polling ``PRAGMA data_version``.

SQLite has no LISTEN/NOTIFY. In its place each process keeps one connection of its own per
`Database` (opened by the first follower, closed with the Database) and asks it
``PRAGMA data_version`` every `INTERVAL`: the number changes when another connection, of this
process or any other (a second worker, the CLI), has committed. Then every callback registered
with `watch` runs, in order: the catch-up a PostgreSQL listener runs after a reconnect (wake the
outbox readers, read the provisioning events since the last one delivered), since nothing but
"something committed" travels; a spurious wake-up costs one read. Commits that land during a
round of callbacks make one more round. Idle, the watcher costs one trivial statement per
interval on the event loop (a few microseconds). A file deleted or replaced under the server
(a restore) is reopened, and counts as a change.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import weakref
from collections.abc import Awaitable, Callable

from app.db import Database

log = logging.getLogger("roster.watch")

INTERVAL = 0.025  # seconds between polls: how late another worker's commit may be seen

Callback = Callable[[], Awaitable[None] | None]


def _file_id(path: str) -> tuple[int, int] | None:
    """(device, inode) of the file, None when it is missing."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return found.st_dev, found.st_ino


class Watcher:
    """One connection to the SQLite file at ``path`` that sees other connections' commits."""

    def __init__(self, path: str, interval: float = INTERVAL) -> None:
        self.path = path
        self.interval = interval
        self.callbacks: dict[str, Callback] = {}
        self.rounds = 0  # rounds of callbacks run, for tests and logs
        self._conn: sqlite3.Connection | None = None
        self._file: tuple[int, int] | None = None
        self._version: int | None = None
        self._lost = False  # the connection was closed under a change of file: news when back
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Take the current version as the starting point and poll from now on (once)."""
        if self._task is None:
            self.changed()  # commits before this call are not news
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop polling and close the connection; safe to call twice."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._close()

    def changed(self) -> bool:
        """Poll once: True when another connection committed since the previous poll, or the
        file came back after it was deleted or replaced. While the file is missing or busy,
        nothing is known yet: False, and the next poll asks again."""
        found = _file_id(self.path)
        if self._conn is not None and found != self._file:
            self._close()  # the old inode tells nothing about the new file
        if found is None:
            return False
        try:
            if self._conn is None:
                self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=0)
                self._file = found
            version = int(self._conn.execute("PRAGMA data_version").fetchall()[0][0])
        except sqlite3.Error as exc:
            log.debug("watching %s: %r", self.path, exc)
            return False
        news = self._lost or (self._version is not None and version != self._version)
        self._version, self._lost = version, False
        return news

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            if self.changed():
                self.rounds += 1
                for callback in list(self.callbacks.values()):
                    try:
                        result = callback()
                        if result is not None:
                            await result
                    except Exception:  # one follower's failure must not end the watch
                        log.exception("watching %s: a follower failed", self.path)

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
            self._version, self._lost = None, True


_watchers: weakref.WeakKeyDictionary[Database, Watcher] = weakref.WeakKeyDictionary()


def watch(db: Database, key: str, make: Callable[[], Callback]) -> Callback | None:
    """Have the callback ``make()`` returns (made once per ``key`` and ``db``) run whenever
    another connection commits to ``db``'s SQLite file, from now on, and return it. Starts
    this process's watcher of ``db`` on first use. An in-memory database has one connection,
    so there is nothing to watch: None."""
    path = db.settings.sqlite_path
    if path in ("", ":memory:"):
        return None
    watcher = _watchers.get(db)
    if watcher is None:
        watcher = _watchers[db] = Watcher(path)

        async def stop() -> None:
            _watchers.pop(db, None)
            await watcher.stop()

        db.on_close(stop)
    callback = watcher.callbacks.get(key)
    if callback is None:
        callback = watcher.callbacks[key] = make()
    watcher.start()
    return callback


def watcher_of(db: Database) -> Watcher | None:
    """This process's watcher of ``db``, if one started."""
    return _watchers.get(db)
