"""Fixtures shared by the domain tests."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from app.db import Database
from app.settings import Settings


@pytest.fixture
def other_process(settings: Settings, clean_db: Database) -> Iterator[sqlite3.Connection]:
    """Another process's connection to the SQLite test database, in autocommit mode (skips on
    PostgreSQL, whose processes meet through the server)."""
    if settings.database_kind != "sqlite":
        pytest.skip("another process's connection to the SQLite file")
    conn = sqlite3.connect(settings.sqlite_path, isolation_level=None)
    yield conn
    conn.close()
