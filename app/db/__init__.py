"""The database layer: one small interface over two drivers, and the only place that commits.

The hot paths (token check, get by id, filters, list pages, membership set operations) run SQL
directly on the driver connection: stdlib ``sqlite3`` called inline on the event loop for
SQLite (an indexed read takes microseconds, so a thread hop would cost more than the query), and
asyncpg for PostgreSQL (its per-connection statement cache prepares each statement once).
SQL is written once with ``:name`` parameters in the subset both engines share; the few places
where the engines differ go through `Dialect`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from app.db.begin import BUSY, begin, is_locked, open_sqlite
from app.db.cache import CacheKey, ProcessCache
from app.db.drivers import PgTx, SqliteTx, run_callbacks
from app.db.faults import MISSING_FILE, file_id, pg_outages, unavailable
from app.db.interface import Dialect, Params, PgDialect, Row, Tx
from app.db.side import SideConnection
from app.errors import DatabaseUnavailable
from app.settings import Settings

__all__ = ["CacheKey", "Database", "Dialect", "Params", "PgDialect", "ProcessCache", "Row", "Tx"]


async def _nothing_to_reset(conn: Any) -> None:
    """A pooled connection's reset: nothing beyond asyncpg's rollback of an open transaction."""


log = logging.getLogger("roster.db")
CLOSE_SECONDS = 10.0  # how long a shutdown waits for pooled connections to come back


class Database:
    """Connections for one process. Created by the app's lifespan or the CLI, never at import."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.kind = settings.database_kind
        self.dialect: Dialect = Dialect() if self.kind == "sqlite" else PgDialect()
        self._sqlite: sqlite3.Connection | None = None
        self._sqlite_file: tuple[int, int] | None = None
        self._lock = asyncio.Lock()  # the SQLite connection, one transaction at a time
        self._writers = asyncio.Lock()  # SQLite: this process's write transactions, in turn
        self._pool: Any = None
        # Per-process memo for data keyed by a version read inside each transaction
        # (app.db.cache).
        self.cache = ProcessCache()
        self._on_close: list[Callable[[], Awaitable[None]]] = []
        self._snapshots = 0  # open `snapshot` blocks, for /metrics
        # PostgreSQL: `housekeeping`'s connection, outside the pool
        self._side = SideConnection(settings.postgres_dsn, self.cache, CLOSE_SECONDS)

    def on_close(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Run ``callback`` when the Database closes (e.g. to end a LISTEN connection)."""
        self._on_close.append(callback)

    async def connect(self) -> None:
        """Open the connection (SQLite) or the pool (PostgreSQL)."""
        if self.kind == "sqlite":
            self._sqlite_conn()
        else:
            import asyncpg

            try:
                self._pool = await asyncpg.create_pool(
                    self.settings.postgres_dsn,
                    min_size=self.settings.db_pool_min,
                    max_size=self.settings.db_pool_max,
                    # Short OLTP statements: JIT compilation costs more than it saves (0.35 to
                    # 0.7 s on a role count over 100,000 users, docs/query-plans.md).
                    server_settings={"jit": "off"},
                    # asyncpg rolls back an open transaction on release, then by default sends
                    # a reset query (unlock advisory locks, CLOSE ALL, UNLISTEN *, RESET ALL):
                    # one more round trip per request for state Roster never leaves on a pooled
                    # connection (LISTEN has its own connection, migrations their own, and no
                    # statement sets a session value). tests/domain/test_pool.py checks that.
                    reset=_nothing_to_reset,
                )
            except (OSError, asyncpg.PostgresError) as exc:
                raise DatabaseUnavailable(f"cannot reach PostgreSQL: {exc}") from exc

    def _open_sqlite(self) -> sqlite3.Connection:
        return open_sqlite(self.settings.sqlite_path, self.settings.sqlite_busy_timeout_ms)

    async def data_version(self) -> tuple[tuple[int, int] | None, int] | None:
        """SQLite: the file this process's connection reads and its ``PRAGMA data_version``,
        which changes when another connection (another worker, the CLI) commits to it and
        never for this connection's own commits; None when the file cannot be opened."""
        async with self._lock:
            try:
                conn = self._sqlite_conn()
                return self._sqlite_file, int(conn.execute("PRAGMA data_version").fetchall()[0][0])
            except (DatabaseUnavailable, sqlite3.Error):
                return None

    async def close(self) -> None:
        """Close connections; safe to call twice."""
        callbacks, self._on_close = self._on_close, []
        for callback in callbacks:
            await callback()
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None
        await self._side.close()
        if self._pool is not None:
            pool, self._pool = self._pool, None
            try:
                # Graceful close waits for every acquired connection to come back: bounded, so
                # that a connection some cancelled task never returned cannot hang a shutdown.
                await asyncio.wait_for(pool.close(), CLOSE_SECONDS)
            except TimeoutError:
                log.warning(
                    "closing the PostgreSQL pool took over %g s; its connections in use were"
                    " terminated",
                    CLOSE_SECONDS,
                )
                pool.terminate()

    def pool_stats(self) -> dict[str, int]:
        """Connection use, for /metrics (SQLite has one connection, and one more for each
        open snapshot; a PostgreSQL snapshot's connection is also in use)."""
        if self._pool is None:
            return {
                "size": 1 if self._sqlite is not None else 0,
                "in_use": int(self._lock.locked()),
                "snapshots": self._snapshots,
            }
        size = self._pool.get_size()
        in_use = size - self._pool.get_idle_size()
        return {"size": size, "in_use": in_use, "snapshots": self._snapshots}

    @property
    def pool(self) -> Any:
        """The asyncpg pool (PostgreSQL only), for LISTEN connections."""
        return self._pool

    def transaction(
        self, *, write: bool = True, statements: int | None = None
    ) -> AbstractAsyncContextManager[Tx]:
        """One transaction: committed when the block ends, rolled back if it raises.

        ``statements`` (a read): on PostgreSQL, no transaction at all, but at most this many
        SELECTs, each its own snapshot, which saves the BEGIN and COMMIT round trips; one
        more, or any other statement, raises `drivers.NeedsSnapshot` before it runs, and the caller
        runs the read again without ``statements``. SQLite, whose BEGIN and COMMIT are calls
        in this process, not round trips, ignores it.
        """
        # The engine's own context manager, not one wrapped in another: every request pays
        # for each layer of generator-based context manager.
        if self.kind == "sqlite":
            return self._sqlite_tx(write)
        return self._pg_tx(write, None if write else statements)

    @asynccontextmanager
    async def housekeeping(self) -> AsyncIterator[Tx]:
        """A write transaction for a background loop whose work requests may be waiting for,
        so that it must not queue behind them for a pooled connection (the deprovisioning
        guard's leases: a write at the threshold waits for them to be settled). PostgreSQL:
        a connection of its own, outside the pool, opened on first use and again after a
        failure, one such transaction at a time. SQLite: `transaction`."""
        if self.kind == "sqlite":
            async with self._sqlite_tx(True) as tx:
                yield tx
            return
        async with self._side.transaction() as tx:
            yield tx

    def _sqlite_conn(self) -> sqlite3.Connection:
        """The connection, reopened when its file was deleted or replaced under the server (a
        restore, or a mistake): SQLite would go on reading the unlinked file. One stat call."""
        found = file_id(self.settings.sqlite_path)
        if self._sqlite is not None and found == self._sqlite_file:
            return self._sqlite
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None
        if found is None and self._sqlite_file is not None:
            # Deleted after it was opened: answer 503 rather than create an empty database.
            raise DatabaseUnavailable(MISSING_FILE)
        self._sqlite = self._open_sqlite()
        self._sqlite_file = file_id(self.settings.sqlite_path)
        return self._sqlite

    @asynccontextmanager
    async def _sqlite_tx(self, write: bool) -> AsyncIterator[Tx]:
        busy_ms = int(self.settings.sqlite_busy_timeout_ms)
        # The process's writes queue in order; only the first polls SQLite's lock (begin.py).
        async with self._writers if write else contextlib.nullcontext():
            conn = await begin(self._lock, self._sqlite_conn, write, busy_ms)
            try:
                tx = SqliteTx(conn, self.cache, write=write)
                try:
                    yield tx
                    await tx.run_before_commit()
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                try:
                    conn.execute("COMMIT")
                except sqlite3.OperationalError as exc:
                    conn.execute("ROLLBACK")
                    if is_locked(exc):
                        raise DatabaseUnavailable(BUSY) from exc
                    if (fault := unavailable(exc)) is not None:
                        raise fault from exc
                    raise
            finally:
                self._lock.release()
        await run_callbacks(tx._callbacks)

    @asynccontextmanager
    async def _pg_tx(self, write: bool, statements: int | None) -> AsyncIterator[Tx]:
        if self._pool is None:
            await self.connect()
        with pg_outages("cannot reach PostgreSQL"):  # e.g. the database was dropped
            conn_cm = self._pool.acquire()
            conn = await conn_cm.__aenter__()
        tx = PgTx(conn, self.cache, statements)
        try:
            with pg_outages("lost the connection to PostgreSQL"):  # e.g. a server shutdown
                if statements is not None:  # SELECTs only (PgTx checks): nothing to commit
                    yield tx
                else:
                    async with conn.transaction(readonly=not write):
                        yield tx
                        # Notices first: the before-commit steps take the outbox's numbering
                        # lock, held to the commit, and a round trip must not sit under it.
                        await tx.flush_notices()
                        await tx.run_before_commit()
                        await tx.flush_notices()
        finally:
            await conn_cm.__aexit__(None, None, None)
        await run_callbacks(tx._callbacks)

    @property
    def can_snapshot(self) -> bool:
        """`snapshot` is available: fewer are open than half of ROSTER_DB_POOL_MAX (slow
        readers must not take the connections every other request needs), on PostgreSQL or
        on SQLite in a file (another connection to an in-memory database sees another one)."""
        if self._snapshots >= max(1, self.settings.db_pool_max // 2):
            return False
        return self.kind != "sqlite" or file_id(self.settings.sqlite_path) is not None

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Tx]:
        """A read-only transaction on a connection of its own, every read of which sees one
        snapshot, for a response streamed after its request's transaction has ended.

        SQLite: a new connection in one read transaction (WAL: it neither waits for the
        writer nor blocks it, and holds none of the request connection's lock). PostgreSQL: a
        pooled connection in a REPEATABLE READ READ ONLY transaction. Rolled back and given
        back however the block ends, a cancellation included.
        """
        if self.kind == "sqlite":
            if file_id(self.settings.sqlite_path) is None:
                raise DatabaseUnavailable(MISSING_FILE)
            conn = self._open_sqlite()
            self._snapshots += 1
            try:
                conn.execute("PRAGMA query_only=ON")
                conn.execute("BEGIN")
                yield SqliteTx(conn, self.cache, write=False)
            finally:
                conn.close()  # rolls the read transaction back
                self._snapshots -= 1
            return
        if self._pool is None:
            await self.connect()
        with pg_outages("cannot reach PostgreSQL"):
            conn = await self._pool.acquire()
        self._snapshots += 1
        try:
            with pg_outages("lost the connection to PostgreSQL"):
                snap = conn.transaction(isolation="repeatable_read", readonly=True)
                await snap.start()
                try:
                    yield PgTx(conn, self.cache)
                finally:
                    if not conn.is_closed():
                        await snap.rollback()
        finally:
            self._snapshots -= 1
            await self._pool.release(conn)

    async def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            async with self.transaction(write=False) as tx:
                await tx.fetchval("SELECT 1")
        except (DatabaseUnavailable, sqlite3.Error, OSError):
            return False
        return True
