"""Opening the process's SQLite connection, and beginning a transaction on it without blocking
the event loop.

SQLite has one writer lock per database file. Another process (a second worker, the CLI) may
hold it; SQLite's own busy handler would then sleep inside ``BEGIN IMMEDIATE``, which runs
inline on the event loop, and so stall every request of this process for as long as the other
writer takes. Instead ``BEGIN IMMEDIATE`` is tried without waiting (``busy_timeout`` 0 for that
one statement) and, while the lock is taken, tried again after an asyncio sleep that doubles
from `FIRST_PAUSE` to `MAX_PAUSE`, until ``ROSTER_SQLITE_BUSY_TIMEOUT_MS`` has passed; then
`DatabaseUnavailable` (503 with Retry-After). Between tries the process's connection is free, so
its reads go on meanwhile; its other writes queue in order behind the one that polls
(`Database` holds a writer lock of its own around each write transaction). Reads (a plain
``BEGIN``) take no writer lock in WAL mode and keep the busy handler for the rare moments
SQLite makes a reader wait (a WAL recovery).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable

from app.errors import DatabaseUnavailable

FIRST_PAUSE = 0.001  # seconds before the second try; a write transaction takes about 1 ms
MAX_PAUSE = 0.025
BUSY = "the database is busy; retry shortly"


def is_locked(exc: sqlite3.OperationalError) -> bool:
    """The error says another connection holds a lock SQLite needed."""
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def open_sqlite(path: str, busy_ms: int) -> sqlite3.Connection:
    """A connection to the database file at ``path``, set up as every request expects."""
    conn = sqlite3.connect(
        path,
        isolation_level=None,
        check_same_thread=False,
        timeout=busy_ms / 1000,
        cached_statements=512,  # filters compile to many statement shapes
    )
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    # LIKE is case-sensitive on PostgreSQL; make SQLite agree, and lower() both sides
    # where SCIM says caseExact=false.
    conn.execute("PRAGMA case_sensitive_like=ON")
    return conn


def _try_immediate(conn: sqlite3.Connection, busy_ms: int) -> bool:
    """``BEGIN IMMEDIATE`` without waiting; False when another connection holds the lock."""
    conn.execute("PRAGMA busy_timeout=0")
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if is_locked(exc):
            return False
        raise
    finally:
        conn.execute(f"PRAGMA busy_timeout={busy_ms}")
    return True


async def begin(
    lock: asyncio.Lock, connect: Callable[[], sqlite3.Connection], write: bool, busy_ms: int
) -> sqlite3.Connection:
    """Acquire ``lock`` (this process's connection) and begin a transaction on the connection
    ``connect`` returns: ``BEGIN IMMEDIATE`` for a write, waiting for SQLite's writer lock
    without blocking the loop (and with ``lock`` released between tries), else ``BEGIN``.
    Returns with ``lock`` held; raises `DatabaseUnavailable` with it released when the writer
    lock stayed taken for ``busy_ms``."""
    deadline = time.monotonic() + busy_ms / 1000
    pause = FIRST_PAUSE
    while True:
        await lock.acquire()
        try:
            conn = connect()
            if not write:
                conn.execute("BEGIN")
                return conn
            if _try_immediate(conn, busy_ms):
                return conn
        except sqlite3.OperationalError as exc:
            lock.release()
            if is_locked(exc):
                raise DatabaseUnavailable(BUSY) from exc
            raise
        except BaseException:
            lock.release()
            raise
        lock.release()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DatabaseUnavailable(BUSY)
        await asyncio.sleep(min(pause, remaining))
        pause = min(pause * 2, MAX_PAUSE)
