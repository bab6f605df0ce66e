"""The two drivers behind `Tx`: stdlib sqlite3 (inline on the event loop) and asyncpg."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from app.db.begin import is_locked
from app.db.cache import ProcessCache
from app.db.faults import unavailable
from app.db.interface import Dialect, Params, PgDialect, Row
from app.errors import AlreadyExists, DatabaseUnavailable, InvalidValue

# A unique index or column, as either engine names it in its error, and the field it guards.
_UNIQUE_FIELDS = (
    ("login_id", "loginId"),
    ("login_key", "loginId"),
    ("groups_name", "displayName"),
    ("display_name", "displayName"),
    ("external", "externalId"),
    ("token_hash", "token"),
    ("role_grants", "roles"),
)


# A lone surrogate cannot be encoded for either driver. The adapters refuse them where requests
# are decoded; this catches any path they miss (a CLI argument, a future input) as the
# caller's fault rather than a crash.
SURROGATE = "a text value contains a lone surrogate (U+D800 to U+DFFF)"


def _conflict(detail: str) -> AlreadyExists:
    """A driver's uniqueness error as the domain's AlreadyExists (for races past a pre-check)."""
    for needle, field in _UNIQUE_FIELDS:
        if needle in detail:
            return AlreadyExists(f"{field} is already taken", fields=[field])
    return AlreadyExists("the record conflicts with an existing one")


class NeedsSnapshot(Exception):
    """A read begun without a transaction (`Database.transaction` with ``statements``) went
    past what it was allowed: one more statement, or one that is not a plain SELECT. Raised
    before the statement runs; the caller runs the whole read again in a transaction."""


def lock_key(name: str) -> int:
    """The 64-bit PostgreSQL advisory lock key of a named lock: stable across processes and
    releases (unlike hash()), and namespaced so it cannot meet migrations/env.py's key."""
    digest = hashlib.blake2b(f"roster:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class _CommitHooks:
    """The callbacks both drivers keep: run before the commit, or after it succeeds."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[[], Awaitable[None] | None]] = []
        self._before: list[Callable[[], Awaitable[None]]] = []

    def before_commit(self, callback: Callable[[], Awaitable[None]]) -> None:
        self._before.append(callback)

    async def run_before_commit(self) -> None:
        """The before-commit callbacks, in order (a callback may register another)."""
        i = 0
        while i < len(self._before):
            await self._before[i]()
            i += 1
        self._before.clear()

    def after_commit(self, callback: Callable[[], Awaitable[None] | None]) -> None:
        self._callbacks.append(callback)


class SqliteTx(_CommitHooks):
    dialect = Dialect()

    def __init__(
        self, conn: sqlite3.Connection, cache: ProcessCache, *, write: bool = True
    ) -> None:
        super().__init__()
        self._conn = conn
        self.cache = cache
        self.memo: dict[str, Any] = {}
        self._sp = 0
        self._write = write

    def _run(self, sql: str, params: Params) -> sqlite3.Cursor:
        try:
            return self._conn.execute(sql, params or {})
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc):
                raise _conflict(str(exc)) from exc
            raise InvalidValue(f"the change breaks a constraint: {exc}") from exc
        except UnicodeEncodeError as exc:
            raise InvalidValue(SURROGATE) from exc
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and is_locked(exc):
                raise DatabaseUnavailable("the database is busy; retry shortly") from exc
            if (fault := unavailable(exc)) is not None:
                raise fault from exc
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

    async def lock(self, name: str) -> None:
        # A write transaction began with BEGIN IMMEDIATE: it has held SQLite's single writer
        # lock since then and keeps it to COMMIT or ROLLBACK, so no other transaction, of this
        # process or another (the CLI), can change anything between its reads and its commit.
        # A deferred (read) transaction holds no such lock and cannot take it safely later
        # (its snapshot may already be stale), so it may not ask.
        if not self._write:
            raise RuntimeError(f"lock({name!r}) needs a write transaction")

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        self._sp += 1
        name = f"sp{self._sp}"
        self._conn.execute(f"SAVEPOINT {name}")
        callbacks, before = len(self._callbacks), len(self._before)
        try:
            yield
        except BaseException:
            self.memo.clear()
            del self._callbacks[callbacks:]  # what was undone must not be announced
            del self._before[before:]
            self._conn.execute(f"ROLLBACK TO {name}")
            self._conn.execute(f"RELEASE {name}")
            raise
        self._conn.execute(f"RELEASE {name}")

    def notify(self, channel: str, payload: str) -> None:
        pass


_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


class PgTx(_CommitHooks):
    dialect: Dialect = PgDialect()
    _cache: dict[str, tuple[str, tuple[str, ...]]] = {}

    def __init__(self, conn: Any, cache: ProcessCache, statements: int | None = None) -> None:
        super().__init__()
        self._conn = conn
        self.cache = cache
        self.memo: dict[str, Any] = {}
        self._notices: list[tuple[str, str]] = []
        # Outside a transaction: how many more statements may run (see NeedsSnapshot).
        self._left = statements

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

        if self._left is not None:
            # Each statement is its own snapshot here: a read of several, a lock (released
            # at once outside a transaction) or a write needs a real transaction.
            if not self._left or method == "execute" or not sql.startswith("SELECT"):
                raise NeedsSnapshot(sql)
            self._left -= 1
        text, args = self._args(sql, params)
        try:
            return await getattr(self._conn, method)(text, *args)
        except asyncpg.PostgresError as exc:
            raise _translate(exc) from exc

    async def fetch(self, sql: str, params: Params = None) -> list[Row]:
        rows: list[Row] = await self._call("fetch", sql, params)
        return rows

    async def lock(self, name: str) -> None:
        # Transaction-scoped: released by COMMIT or ROLLBACK, so a pooled connection never
        # keeps it (the pool sends no reset query; tests/domain/test_pool.py checks).
        await self._call("execute", "SELECT pg_advisory_xact_lock(:k)", {"k": lock_key(name)})

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
        if self._left is not None:
            raise NeedsSnapshot("SAVEPOINT")
        callbacks, notices, before = len(self._callbacks), len(self._notices), len(self._before)
        try:
            async with self._conn.transaction():
                yield
        except BaseException:
            self.memo.clear()
            del self._callbacks[callbacks:]  # what was undone must not be announced
            del self._notices[notices:]
            del self._before[before:]
            raise

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


def _translate(exc: Exception) -> Exception:
    """A PostgreSQL error as the domain error it means, or itself when it is none of them."""
    import asyncpg

    if isinstance(exc, asyncpg.UniqueViolationError):
        return _conflict(f"{exc.constraint_name} {exc}")
    if isinstance(exc, asyncpg.DeadlockDetectedError):
        # PostgreSQL broke a lock cycle by aborting this transaction (nothing of it stays):
        # the client may simply retry, as after any other transient outage.
        return DatabaseUnavailable("the database is busy; retry shortly")
    if isinstance(exc, asyncpg.IntegrityConstraintViolationError):
        return InvalidValue(f"the change breaks a constraint: {exc}")
    if isinstance(
        exc, asyncpg.UntranslatableCharacterError | asyncpg.CharacterNotInRepertoireError
    ):
        # U+0000 in a value the domain does not check (search text, a setting): PostgreSQL
        # cannot hold it in text or jsonb, so it is the caller's value at fault, not a 500.
        return InvalidValue("a text value contains the NUL character (U+0000)")
    if isinstance(exc, asyncpg.DataError) and isinstance(exc.__cause__, UnicodeEncodeError):
        return InvalidValue(SURROGATE)
    # a dropped table or database: 503, not 500
    return unavailable(exc) or exc


async def run_callbacks(callbacks: list[Callable[[], Awaitable[None] | None]]) -> None:
    for cb in callbacks:
        result = cb()
        if result is not None:
            await result
