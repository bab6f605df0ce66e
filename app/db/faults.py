"""Driver errors that mean the database is unusable, not that the request is wrong.

A database that was dropped, emptied, replaced or never migrated under a running server makes
every statement fail with a driver error ("no such table", UndefinedTable, InvalidCatalogName,
...). Those are the operator's to fix, and the client's to retry: each becomes
`DatabaseUnavailable`, which every edge answers with 503 and Retry-After, as for a database
that does not answer at all. Anything else stays what it was (a bug is still a 500).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from app.errors import DatabaseUnavailable

NOT_MIGRATED = (
    "the database holds no Roster schema or one older than this version: run `roster migrate`"
)
MISSING_FILE = "the SQLite database file is missing: restore it, or run `roster migrate`"

# PostgreSQL SQLSTATEs (Appendix A of its manual) and what each means to an operator.
_PG_STATES = {
    "42P01": NOT_MIGRATED,  # undefined_table
    "42703": NOT_MIGRATED,  # undefined_column
    "42883": NOT_MIGRATED,  # undefined_function
    "42704": NOT_MIGRATED,  # undefined_object (a type)
    "3F000": NOT_MIGRATED,  # invalid_schema_name (no schema on the search path)
    "57P01": "the database server is shutting down; retry shortly",  # admin_shutdown
    "57P02": "the database server crashed; retry shortly",  # crash_shutdown
    "57P03": "the database server is starting up; retry shortly",  # cannot_connect_now
}

_SQLITE_TEXTS = (
    ("no such table", NOT_MIGRATED),
    ("no such column", NOT_MIGRATED),
    ("file is not a database", "the database file is not a SQLite database"),
    ("unable to open database file", "the SQLite database file cannot be opened"),
    # SQLITE_READONLY_DBMOVED: the file was deleted or renamed under the open connection.
    ("readonly database", "the SQLite database file is read-only, moved or deleted"),
    ("disk i/o error", "the SQLite database file cannot be read (disk I/O error)"),
)


def unavailable(exc: BaseException) -> DatabaseUnavailable | None:
    """The DatabaseUnavailable a driver error stands for, or None when it is not an outage."""
    if isinstance(exc, sqlite3.DatabaseError):
        text = str(exc).lower()
        for needle, message in _SQLITE_TEXTS:
            if needle in text:
                return DatabaseUnavailable(message)
        return None
    state = getattr(exc, "sqlstate", None)
    if state in ("3D000", "57P04"):  # invalid_catalog_name, database_dropped
        return DatabaseUnavailable(_first_line(exc))
    found = _PG_STATES.get(str(state))
    return None if found is None else DatabaseUnavailable(found)


def _first_line(exc: BaseException) -> str:
    # asyncpg words these as 'database "roster" does not exist'
    return "the " + str(exc).split("\n", 1)[0]


def file_id(path: str) -> tuple[int, int] | None:
    """(device, inode) of a database file; None when it does not exist or is in memory."""
    if path in ("", ":memory:"):
        return None
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return found.st_dev, found.st_ino


@contextmanager
def pg_outages(doing: str) -> Iterator[None]:
    """asyncpg's connection errors as DatabaseUnavailable ("<doing>: <error>"), and the server
    errors that mean an outage as theirs (`unavailable`); anything else propagates as it is."""
    import asyncpg

    try:
        yield
    except (
        OSError,
        asyncpg.PostgresConnectionError,
        asyncpg.InterfaceError,
        # a connection the server ended (pg_terminate_backend, a restart) before the driver
        # noticed: its protocol refuses the next statement with this
        asyncpg.InternalClientError,
    ) as exc:
        raise DatabaseUnavailable(f"{doing}: {exc}") from exc
    except asyncpg.PostgresError as exc:
        if (fault := unavailable(exc)) is not None:
            raise fault from exc
        raise
