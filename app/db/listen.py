"""One dedicated PostgreSQL LISTEN connection, kept open for the life of a process.

A LISTEN belongs to one session, so it cannot live on a pooled connection (released, it would
be reset or handed to someone else): each worker opens one connection of its own for it. When
the connection drops (server restart, network, an admin's pg_terminate_backend), the listener
reconnects with exponential backoff (0.1 s doubling up to 5 s); a keepalive query notices a
connection that died silently. Notifications sent while it was away are lost to it, so the
owner gets an ``on_reconnect`` call to catch up from the table behind the channel.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from app.db.tasks import cancel_task

log = logging.getLogger("roster.listen")

APPLICATION_NAME = "roster-listen"  # how the connection shows in pg_stat_activity
FIRST_DELAY = 0.1
MAX_DELAY = 5.0


class Listener:
    """LISTEN on ``channel`` over a connection to ``dsn``; each payload goes to ``on_payload``."""

    def __init__(
        self,
        dsn: str,
        channel: str,
        on_payload: Callable[[str], None],
        *,
        on_reconnect: Callable[[], Awaitable[None]] | None = None,
        keepalive: float = 10.0,
    ) -> None:
        self.dsn = dsn
        self.channel = channel
        self.on_payload = on_payload
        self.on_reconnect = on_reconnect
        self.keepalive = keepalive
        self.sessions = 0  # connections that reached LISTEN, for tests and logs
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._conn: Any = None

    @property
    def listening(self) -> bool:
        """LISTEN is active right now."""
        return self._ready.is_set()

    async def start(self, wait: float) -> bool:
        """Start (once) and wait up to ``wait`` seconds for LISTEN; True when it is active.

        When the database is unreachable this returns False after ``wait`` and the listener
        keeps trying in the background.
        """
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
        try:
            await asyncio.wait_for(self._ready.wait(), wait)
        except TimeoutError:
            return False
        return True

    async def stop(self) -> None:
        """Stop listening and close the connection; safe to call twice."""
        task, self._task = self._task, None
        await cancel_task(task)
        self._drop()

    async def _run(self) -> None:
        delay = FIRST_DELAY
        while True:
            before = self.sessions
            try:
                await self._session()
            except Exception as exc:  # whatever broke the session, the listener goes on
                log.warning("LISTEN %s: %r", self.channel, exc)
            if self.sessions > before:
                delay = FIRST_DELAY  # it was up: this drop starts the backoff afresh
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_DELAY)

    async def _session(self) -> None:
        """One connection's life: connect, LISTEN, keep alive until it drops."""
        import asyncpg

        lost = asyncio.Event()
        self._conn = conn = await asyncpg.connect(
            self.dsn, timeout=5, server_settings={"application_name": APPLICATION_NAME}
        )
        try:
            conn.add_termination_listener(lambda _conn: lost.set())
            await conn.add_listener(self.channel, self._notified)
            if self.sessions and self.on_reconnect is not None:
                await self.on_reconnect()
            self.sessions += 1
            self._ready.set()
            while not lost.is_set():
                try:
                    await asyncio.wait_for(lost.wait(), self.keepalive)
                except TimeoutError:
                    await conn.execute("SELECT 1", timeout=self.keepalive)
            log.warning("LISTEN %s: the connection closed", self.channel)
        finally:
            self._drop()

    def _drop(self) -> None:
        self._ready.clear()
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            conn.terminate()

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            self.on_payload(payload)
        except Exception:  # a bad payload must not end the LISTEN
            log.exception("LISTEN %s: cannot handle a notification", self.channel)
