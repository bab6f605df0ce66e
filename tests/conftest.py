"""Test databases: migrated once per run with Alembic, on SQLite and (when configured) on
PostgreSQL. Domain tests get a transaction that is rolled back; HTTP tests get a database
emptied back to its seed state before each test.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app import migrations
from app.db import Database, Tx
from app.settings import Settings
from tests.support import reset_database

POSTGRES_URL = os.environ.get("ROSTER_TEST_POSTGRES_URL", "")
SKIP_PG = "PostgreSQL cases skipped: set ROSTER_TEST_POSTGRES_URL=postgresql://user@host/db"


def _fresh_postgres(url: str) -> Settings:
    import psycopg

    settings = Settings(database_url=url, _env_file=None)
    with psycopg.connect(settings.postgres_dsn, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
    migrations.upgrade(settings)
    return settings


def engine_settings(engine: str, tmp: Path) -> Settings:
    """A migrated, empty database on ``engine``; skips the test when PostgreSQL is absent."""
    if engine == "postgres":
        if not POSTGRES_URL:
            pytest.skip(SKIP_PG)
        return _fresh_postgres(POSTGRES_URL)
    settings = Settings(database_url=f"sqlite:///{tmp / 'roster-test.db'}", _env_file=None)
    migrations.upgrade(settings)
    return settings


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def settings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of the run's test database for one engine."""
    return engine_settings(request.param, tmp_path_factory.mktemp(request.param))


@pytest.fixture(scope="session")
async def database(settings: Settings) -> AsyncIterator[Database]:
    """A connected Database for the session's engine."""
    db = Database(settings)
    await db.connect()
    yield db
    await db.close()


class _Rollback(Exception):
    pass


@pytest.fixture
async def tx(database: Database) -> AsyncIterator[Tx]:
    """A transaction that is rolled back after the test, whatever it did."""
    await reset_database(database)
    try:
        async with database.transaction() as t:
            yield t
            raise _Rollback
    except _Rollback:
        pass


@pytest.fixture
async def clean_db(database: Database) -> Database:
    """The database emptied back to its seed state (for tests that commit)."""
    await reset_database(database)
    return database


def pytest_report_header(config: pytest.Config) -> str:
    """Say up front which engines this run covers."""
    return "databases: sqlite" + (" + postgresql" if POSTGRES_URL else f" only ({SKIP_PG})")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line per reason the run skipped tests, with its count: never silence."""
    reasons: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = getattr(report, "longrepr", None)
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reason = reason.removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    for reason, count in sorted(reasons.items(), key=lambda item: -item[1]):
        terminalreporter.write_line(f"{count} skipped: {reason}")
