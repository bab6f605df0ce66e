"""A PostgreSQL connection of its own, outside the pool, for background housekeeping whose work
requests may be waiting for (`Database.housekeeping`): it must not queue behind them for a
pooled connection."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from app.db.cache import ProcessCache
from app.db.drivers import PgTx, run_callbacks
from app.db.faults import pg_outages


class SideConnection:
    """One connection, opened on first use and again after a failure; one transaction at a
    time. Closing it never leaves its socket open."""

    def __init__(self, dsn: str, cache: ProcessCache, close_seconds: float) -> None:
        self._dsn = dsn
        self._cache = cache
        self._close_seconds = close_seconds
        self._conn: Any = None
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgTx]:
        """A write transaction on the connection, committed when the block ends."""
        import asyncpg

        async with self._lock:
            if self._conn is None or self._conn.is_closed():
                with pg_outages("cannot reach PostgreSQL"):
                    self._conn = await asyncpg.connect(
                        self._dsn, timeout=5, server_settings={"jit": "off"}
                    )
            tx = PgTx(self._conn, self._cache)
            try:
                with pg_outages("lost the connection to PostgreSQL"):
                    async with self._conn.transaction():
                        yield tx
                        await tx.run_before_commit()
                        await tx.flush_notices()
            except asyncpg.PostgresError:
                raise  # a statement failed; the connection is as good as before
            except BaseException:  # lost, cancelled mid-statement, a driver error: start afresh
                self._terminate()
                raise
        await run_callbacks(tx._callbacks)

    def _terminate(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.terminate()

    async def close(self) -> None:
        """Close gracefully within the bound, else drop the connection; safe to call twice."""
        conn = self._conn
        if conn is None:
            return
        try:
            with contextlib.suppress(Exception):  # a hung or broken server
                await asyncio.wait_for(conn.close(), self._close_seconds)
        finally:  # cancelled too: the socket is closed however close() went (no-op if it did)
            self._terminate()
