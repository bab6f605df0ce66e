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
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

import orjson

from app.errors import AlreadyExists, DatabaseUnavailable, InvalidValue
from app.settings import Settings

Params = Mapping[str, Any] | None


class Row(Protocol):
    """A result row: both ``sqlite3.Row`` and ``asyncpg.Record`` index by name and position."""

    def __getitem__(self, key: str | int, /) -> Any: ...

    def keys(self) -> Iterable[str]: ...


class Dialect:
    """SQL fragments that differ between SQLite and PostgreSQL."""

    name = "sqlite"

    def json_text(self, column: str, key: str) -> str:
        """Text value of a top-level key of a JSON column (key must be a validated name)."""
        return f"json_extract({column}, '$.\"{key}\"')"

    def in_list(self, expr: str, param: str) -> str:
        """``expr`` is one of the values bound to ``param`` (see `list_param`)."""
        return f"{expr} IN (SELECT value FROM json_each(:{param}))"

    def list_param(self, values: Sequence[Any]) -> Any:
        """The bind value for a parameter used with `in_list`."""
        return orjson.dumps(list(values)).decode()

    def json_param(self, value: Any) -> str:
        """The bind value for a JSON column."""
        return orjson.dumps(value).decode()

    #: Appended to a SELECT that reads a row the transaction is about to change. SQLite needs
    #: nothing: BEGIN IMMEDIATE already serialises writers.
    for_update = ""

    def json_remove(self, column: str, key: str) -> str:
        """The JSON document without one top-level key (key must be a validated name)."""
        return f"json_remove({column}, '$.\"{key}\"')"

    def json_pairs(self, first: str, second: str, source: str) -> str:
        """A scalar subquery: the JSON array of ``[first, second]`` of the rows of ``source``
        (its FROM and WHERE), in no particular order; ``[]`` when there are none. (Ordering
        inside costs a sort per row of the outer query: a page of 100 users, 1.6 against
        1.1 ms on SQLite; callers sort the few pairs themselves.)"""
        return f"(SELECT json_group_array(json_array({first}, {second})) {source})"


class PgDialect(Dialect):
    """PostgreSQL spelling of the same fragments."""

    name = "postgresql"
    for_update = " FOR UPDATE"

    def json_text(self, column: str, key: str) -> str:
        return f"({column} ->> '{key}')"

    def in_list(self, expr: str, param: str) -> str:
        return f"{expr} = ANY(:{param})"

    def list_param(self, values: Sequence[Any]) -> Any:
        return list(values)

    def json_remove(self, column: str, key: str) -> str:
        return f"({column} - '{key}')"

    def json_pairs(self, first: str, second: str, source: str) -> str:
        return f"(SELECT coalesce(json_agg(json_build_array({first}, {second})), '[]') {source})"


class Tx(Protocol):
    """A connection inside one transaction. Domain functions take one and never commit."""

    dialect: Dialect
    cache: dict[str, Any]
    # Values read once per transaction (the auth settings, the catalogue version). A writer of
    # what one holds drops it; a savepoint rolled back drops them all.
    memo: dict[str, Any]

    async def fetch(self, sql: str, params: Params = None) -> list[Row]: ...

    async def fetchrow(self, sql: str, params: Params = None) -> Row | None: ...

    async def fetchval(self, sql: str, params: Params = None) -> Any: ...

    async def execute(self, sql: str, params: Params = None) -> int: ...

    def savepoint(self) -> Any: ...

    def notify(self, channel: str, payload: str) -> None:
        """PostgreSQL: NOTIFY ``channel`` when the transaction commits (all of a transaction's
        notices go in one statement at its end, and a rolled-back savepoint drops its own).
        SQLite: nothing, as no other process listens; announce in-process with after_commit."""

    def after_commit(self, callback: Callable[[], Awaitable[None] | None]) -> None: ...


# A unique index or column, as either engine names it in its error, and the field it guards.
_UNIQUE_FIELDS = (
    ("login_id", "loginId"),
    ("display_name", "displayName"),
    ("external", "externalId"),
    ("token_hash", "token"),
    ("role_grants", "roles"),
)


def _conflict(detail: str) -> AlreadyExists:
    """A driver's uniqueness error as the domain's AlreadyExists (for races past a pre-check)."""
    for needle, field in _UNIQUE_FIELDS:
        if needle in detail:
            return AlreadyExists(f"{field} is already taken", fields=[field])
    return AlreadyExists("the record conflicts with an existing one")


def _is_locked(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class _SqliteTx:
    dialect = Dialect()

    def __init__(self, conn: sqlite3.Connection, cache: dict[str, Any]) -> None:
        self._conn = conn
        self.cache = cache
        self.memo: dict[str, Any] = {}
        self._callbacks: list[Callable[[], Awaitable[None] | None]] = []
        self._sp = 0

    def _run(self, sql: str, params: Params) -> sqlite3.Cursor:
        try:
            return self._conn.execute(sql, params or {})
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc):
                raise _conflict(str(exc)) from exc
            raise InvalidValue(f"the change breaks a constraint: {exc}") from exc
        except sqlite3.OperationalError as exc:
            if _is_locked(exc):
                raise DatabaseUnavailable("the database is busy; retry shortly") from exc
            raise

    async def fetch(self, sql: str, params: Params = None) -> list[Row]:
        return self._run(sql, params).fetchall()

    async def fetchrow(self, sql: str, params: Params = None) -> Row | None:
        row: Row | None = self._run(sql, params).fetchone()
        return row

    async def fetchval(self, sql: str, params: Params = None) -> Any:
        row = self._run(sql, params).fetchone()
        return None if row is None else row[0]

    async def execute(self, sql: str, params: Params = None) -> int:
        return self._run(sql, params).rowcount

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        self._sp += 1
        name = f"sp{self._sp}"
        self._conn.execute(f"SAVEPOINT {name}")
        callbacks = len(self._callbacks)
        try:
            yield
        except BaseException:
            self.memo.clear()
            del self._callbacks[callbacks:]  # what was undone must not be announced
            self._conn.execute(f"ROLLBACK TO {name}")
            self._conn.execute(f"RELEASE {name}")
            raise
        self._conn.execute(f"RELEASE {name}")

    def after_commit(self, callback: Callable[[], Awaitable[None] | None]) -> None:
        self._callbacks.append(callback)

    def notify(self, channel: str, payload: str) -> None:
        pass


_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


class _PgTx:
    dialect: Dialect = PgDialect()
    _cache: dict[str, tuple[str, tuple[str, ...]]] = {}

    def __init__(self, conn: Any, cache: dict[str, Any]) -> None:
        self._conn = conn
        self.cache = cache
        self.memo: dict[str, Any] = {}
        self._notices: list[tuple[str, str]] = []
        self._callbacks: list[Callable[[], Awaitable[None] | None]] = []

    @classmethod
    def _convert(cls, sql: str) -> tuple[str, tuple[str, ...]]:
        hit = cls._cache.get(sql)
        if hit is None:
            names: dict[str, int] = {}  # a set-based insert has thousands of names

            def repl(m: re.Match[str]) -> str:
                return f"${names.setdefault(m.group(1), len(names) + 1)}"

            hit = (_PARAM.sub(repl, sql), tuple(names))
            if len(cls._cache) < 4096:  # dynamic filters must not grow this without bound
                cls._cache[sql] = hit
        return hit

    def _args(self, sql: str, params: Params) -> tuple[str, list[Any]]:
        text, names = self._convert(sql)
        p = params or {}
        return text, [p[n] for n in names]

    async def _call(self, method: str, sql: str, params: Params) -> Any:
        import asyncpg

        text, args = self._args(sql, params)
        try:
            return await getattr(self._conn, method)(text, *args)
        except asyncpg.UniqueViolationError as exc:
            raise _conflict(f"{exc.constraint_name} {exc}") from exc
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise InvalidValue(f"the change breaks a constraint: {exc}") from exc
        except (asyncpg.UntranslatableCharacterError, asyncpg.CharacterNotInRepertoireError) as exc:
            # U+0000 in a value the domain does not check (search text, a setting): PostgreSQL
            # cannot hold it in text or jsonb, so it is the caller's value at fault, not a 500.
            raise InvalidValue("a text value contains the NUL character (U+0000)") from exc

    async def fetch(self, sql: str, params: Params = None) -> list[Row]:
        rows: list[Row] = await self._call("fetch", sql, params)
        return rows

    async def fetchrow(self, sql: str, params: Params = None) -> Row | None:
        row: Row | None = await self._call("fetchrow", sql, params)
        return row

    async def fetchval(self, sql: str, params: Params = None) -> Any:
        return await self._call("fetchval", sql, params)

    async def execute(self, sql: str, params: Params = None) -> int:
        status: str = await self._call("execute", sql, params)
        tail = status.rsplit(" ", 1)[-1]
        return int(tail) if tail.isdigit() else 0

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        callbacks, notices = len(self._callbacks), len(self._notices)
        try:
            async with self._conn.transaction():
                yield
        except BaseException:
            self.memo.clear()
            del self._callbacks[callbacks:]  # what was undone must not be announced
            del self._notices[notices:]
            raise

    def after_commit(self, callback: Callable[[], Awaitable[None] | None]) -> None:
        self._callbacks.append(callback)

    def notify(self, channel: str, payload: str) -> None:
        self._notices.append((channel, payload))

    async def flush_notices(self) -> None:
        """Send the transaction's notices, in order, in one statement."""
        if self._notices:
            channels, payloads = zip(*self._notices, strict=True)
            self._notices.clear()
            await self._conn.execute(
                "SELECT pg_notify(c, p) FROM unnest($1::text[], $2::text[]) AS n(c, p)",
                list(channels),
                list(payloads),
            )


async def _run_callbacks(callbacks: list[Callable[[], Awaitable[None] | None]]) -> None:
    for cb in callbacks:
        result = cb()
        if result is not None:
            await result


class Database:
    """Connections for one process. Created by the app's lifespan or the CLI, never at import."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.kind = settings.database_kind
        self.dialect: Dialect = Dialect() if self.kind == "sqlite" else PgDialect()
        self._sqlite: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()
        self._pool: Any = None
        # Per-process memo for data keyed by a version read inside each transaction (the
        # Profile Editor catalogue), so a cached value is never served after another worker
        # changed it.
        self.cache: dict[str, Any] = {}
        self._on_close: list[Callable[[], Awaitable[None]]] = []

    def on_close(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Run ``callback`` when the Database closes (e.g. to end a LISTEN connection)."""
        self._on_close.append(callback)

    async def connect(self) -> None:
        """Open the connection (SQLite) or the pool (PostgreSQL)."""
        if self.kind == "sqlite":
            self._sqlite = self._open_sqlite()
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
                )
            except (OSError, asyncpg.PostgresError) as exc:
                raise DatabaseUnavailable(f"cannot reach PostgreSQL: {exc}") from exc

    def _open_sqlite(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.settings.sqlite_path,
            isolation_level=None,
            check_same_thread=False,
            timeout=self.settings.sqlite_busy_timeout_ms / 1000,
            cached_statements=512,  # filters compile to many statement shapes
        )
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(f"PRAGMA busy_timeout={int(self.settings.sqlite_busy_timeout_ms)}")
        # LIKE is case-sensitive on PostgreSQL; make SQLite agree, and lower() both sides
        # where SCIM says caseExact=false.
        conn.execute("PRAGMA case_sensitive_like=ON")
        return conn

    async def close(self) -> None:
        """Close connections; safe to call twice."""
        callbacks, self._on_close = self._on_close, []
        for callback in callbacks:
            await callback()
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    def pool_stats(self) -> dict[str, int]:
        """Connection use, for /metrics (SQLite has one connection)."""
        if self._pool is None:
            return {
                "size": 1 if self._sqlite is not None else 0,
                "in_use": int(self._lock.locked()),
            }
        size = self._pool.get_size()
        return {"size": size, "in_use": size - self._pool.get_idle_size()}

    @property
    def pool(self) -> Any:
        """The asyncpg pool (PostgreSQL only), for LISTEN connections."""
        return self._pool

    def transaction(self, *, write: bool = True) -> AbstractAsyncContextManager[Tx]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        # The engine's own context manager, not one wrapped in another: every request pays
        # for each layer of generator-based context manager.
        if self.kind == "sqlite":
            return self._sqlite_tx(write)
        return self._pg_tx(write)

    @asynccontextmanager
    async def _sqlite_tx(self, write: bool) -> AsyncIterator[Tx]:
        if self._sqlite is None:
            self._sqlite = self._open_sqlite()
        conn = self._sqlite
        async with self._lock:
            tx = _SqliteTx(conn, self.cache)
            try:
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            except sqlite3.OperationalError as exc:
                if _is_locked(exc):
                    raise DatabaseUnavailable("the database is busy; retry shortly") from exc
                raise
            try:
                yield tx
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            try:
                conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                conn.execute("ROLLBACK")
                if _is_locked(exc):
                    raise DatabaseUnavailable("the database is busy; retry shortly") from exc
                raise
        await _run_callbacks(tx._callbacks)

    @asynccontextmanager
    async def _pg_tx(self, write: bool) -> AsyncIterator[Tx]:
        import asyncpg

        if self._pool is None:
            await self.connect()
        try:
            conn_cm = self._pool.acquire()
            conn = await conn_cm.__aenter__()
        except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError) as exc:
            raise DatabaseUnavailable(f"cannot reach PostgreSQL: {exc}") from exc
        tx = _PgTx(conn, self.cache)
        try:
            async with conn.transaction(readonly=not write):
                yield tx
                await tx.flush_notices()
        except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError) as exc:
            raise DatabaseUnavailable(f"lost the connection to PostgreSQL: {exc}") from exc
        finally:
            await conn_cm.__aexit__(None, None, None)
        await _run_callbacks(tx._callbacks)

    async def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            async with self.transaction(write=False) as tx:
                await tx.fetchval("SELECT 1")
        except (DatabaseUnavailable, sqlite3.Error, OSError):
            return False
        return True
