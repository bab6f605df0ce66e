"""The Alembic history on both engines: up from empty, down to base, and no drift."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, pool

from app import migrations
from app.models import metadata
from app.models.tables import POSTGRES_ONLY_INDEXES, include_object
from app.settings import Settings
from tests.conftest import POSTGRES_URL, SKIP_PG

TABLES = {
    "users",
    "groups",
    "memberships",
    "roles",
    "role_grants",
    "auth_settings",
    "service_state",
    "profile_attributes",
    "scim_tokens",
    "api_tokens",
    "provisioning_events",
    "audit_entries",
}


@pytest.fixture(params=["sqlite", "postgres"])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """A database that has never been migrated."""
    if request.param == "sqlite":
        yield Settings(database_url=f"sqlite:///{tmp_path / 'm.db'}", _env_file=None)
        return
    if not POSTGRES_URL:
        pytest.skip(SKIP_PG)
    import psycopg

    server = Settings(database_url=POSTGRES_URL, _env_file=None).postgres_dsn
    name = f"roster_mig_{os.getpid()}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    base = server.rsplit("/", 1)[0]
    yield Settings(database_url=f"{base}/{name}", _env_file=None)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _tables(settings: Settings) -> set[str]:
    engine = create_engine(settings.sqlalchemy_url, poolclass=pool.NullPool)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_from_empty_then_downgrade_to_base(empty_db: Settings) -> None:
    assert migrations.current_revision(empty_db) is None
    migrations.upgrade(empty_db)
    assert _tables(empty_db) == TABLES | {"alembic_version"}
    assert migrations.current_revision(empty_db) == migrations.head_revision()
    migrations.downgrade(empty_db, "base")
    assert _tables(empty_db) == {"alembic_version"}
    migrations.upgrade(empty_db)
    assert migrations.current_revision(empty_db) == migrations.head_revision()


def test_models_and_migrations_do_not_drift(empty_db: Settings) -> None:
    migrations.upgrade(empty_db)
    engine = create_engine(empty_db.sqlalchemy_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            opts = {"compare_type": True, "include_object": include_object}
            ctx = MigrationContext.configure(conn, opts=opts)
            assert compare_metadata(ctx, metadata) == []
            if conn.dialect.name == "postgresql":
                found = {
                    ix["name"]: ix
                    for table in ("users", "groups")
                    for ix in inspect(conn).get_indexes(table)
                }
                for name in POSTGRES_ONLY_INDEXES:
                    assert found[name]["dialect_options"]["postgresql_using"] == "gin"
    finally:
        engine.dispose()
