"""The Alembic history on both engines: up from empty, down to base, and no drift."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, pool, text

from app import migrations
from app.models import metadata
from app.models.base import POSTGRES_ONLY_INDEXES, include_object
from app.settings import Settings
from tests.conftest import POSTGRES_URL, SKIP_PG

TABLES = {
    "webhook_endpoints",
    "webhook_deliveries",
    "webhook_attempts",
    "users",
    "groups",
    "memberships",
    "roles",
    "role_grants",
    "auth_settings",
    "service_state",
    "live_user_counts",
    "profile_attributes",
    "scim_tokens",
    "scim_token_usage",
    "api_tokens",
    "provisioning_events",
    "audit_entries",
    "deprovisioning_guard",
    "guard_counted",
    "guard_window",
    "guard_leases",
    "guard_held",
    "outbox_events",
    "outbox_counter",
    "signing_keys",
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


_USER_0005 = (
    "INSERT INTO users (id, login_id, login_id_norm, external_id, auth_provider, status,"
    " profile, version, created_at, updated_at, deleted_at) VALUES (:id, :login, :norm, NULL,"
    " 'LOCAL', 'ACTIVE', '{}', 1, :ts, :ts, :deleted)"
)
_GROUP_0005 = (
    "INSERT INTO groups (id, display_name, display_name_norm, auth_provider, member_count,"
    " version, created_at, updated_at) VALUES (:id, :name, :norm, 'LOCAL', 0, 1, :ts, :ts)"
)
JOSE_NFC, JOSE_NFD = "Jos\u00e9@x.com", "Jose\u0301@x.com"
TS = "2026-12-01T00:00:00.000000Z"


def _seed_0005(settings: Settings) -> None:
    """Rows revision 0005 accepted that the name keys make collide."""
    users = [
        ("00000000-0000-7000-8000-000000000001", JOSE_NFC, None),
        ("00000000-0000-7000-8000-000000000002", JOSE_NFD, None),
        ("00000000-0000-7000-8000-000000000003", "JOS\u00c9@X.COM", TS),  # deleted: no collision
        ("00000000-0000-7000-8000-000000000004", "ann@x.com", None),
    ]
    groups = [
        ("00000000-0000-7000-8000-0000000000a1", "Stra\u00dfe"),
        ("00000000-0000-7000-8000-0000000000a2", "STRASSE"),
    ]
    engine = create_engine(settings.sqlalchemy_url, poolclass=pool.NullPool)
    try:
        with engine.begin() as conn:
            for uid, login, deleted in users:
                params = {"id": uid, "login": login, "norm": login.lower(), "ts": TS}
                conn.execute(text(_USER_0005), {**params, "deleted": deleted})
            for gid, name in groups:
                conn.execute(
                    text(_GROUP_0005), {"id": gid, "name": name, "norm": name.lower(), "ts": TS}
                )
    finally:
        engine.dispose()


def _keys(settings: Settings, sql: str) -> list[tuple[str, str]]:
    engine = create_engine(settings.sqlalchemy_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            return [(r[0], r[1]) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def test_name_keys_migration_reports_collisions_instead_of_failing(
    empty_db: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    migrations.upgrade(empty_db, "0005")
    _seed_0005(empty_db)
    with caplog.at_level(logging.WARNING, logger="roster.migrations"):
        migrations.upgrade(empty_db, "0006e")
    set_aside = "jos\u00e9@x.com\x1f00000000-0000-7000-8000-000000000002"
    assert _keys(empty_db, "SELECT id, login_key FROM users ORDER BY id") == [
        ("00000000-0000-7000-8000-000000000001", "jos\u00e9@x.com"),
        ("00000000-0000-7000-8000-000000000002", set_aside),
        ("00000000-0000-7000-8000-000000000003", "jos\u00e9@x.com"),
        ("00000000-0000-7000-8000-000000000004", "ann@x.com"),
    ]
    assert _keys(empty_db, "SELECT id, display_name_key FROM groups ORDER BY id") == [
        ("00000000-0000-7000-8000-0000000000a1", "strasse"),
        ("00000000-0000-7000-8000-0000000000a2", "strasse\x1f00000000-0000-7000-8000-0000000000a2"),
    ]
    warnings = [r.getMessage() for r in caplog.records if r.name == "roster.migrations"]
    assert warnings == [
        "users.login_id collision after NFC + case folding (key 'jos\u00e9@x.com'):"
        f" 00000000-0000-7000-8000-000000000001 {JOSE_NFC!r} keeps the name;"
        f" 00000000-0000-7000-8000-000000000002 {JOSE_NFD!r} keep a set-aside key"
        " (key + U+001F + id) until an admin renames or deletes one of them",
        "groups.display_name collision after NFC + case folding (key 'strasse'):"
        " 00000000-0000-7000-8000-0000000000a1 'Stra\u00dfe' keeps the name;"
        " 00000000-0000-7000-8000-0000000000a2 'STRASSE' keep a set-aside key"
        " (key + U+001F + id) until an admin renames or deletes one of them",
    ]
    migrations.downgrade(empty_db, "0005")  # the old lower() uniqueness holds again
    assert len(_keys(empty_db, "SELECT id, login_id_norm FROM users")) == 4


def _ints(settings: Settings, sql: str) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in _keys(settings, sql)]


def test_the_live_count_moves_into_its_shards_and_back(empty_db: Settings) -> None:
    """0010b: the count and version kept in service_state become shard 0 of 16, and after it
    the triggers count into the shards; the downgrade adds them back up."""
    migrations.upgrade(empty_db, "0005")
    _seed_0005(empty_db)  # three live users, one deleted
    migrations.upgrade(empty_db, "0010a")
    before = _ints(empty_db, "SELECT live_users, live_version FROM service_state")
    assert before[0][0] == 3
    migrations.upgrade(empty_db, "0010b")
    shards = "SELECT shard, live_users FROM live_user_counts ORDER BY shard"
    assert _ints(empty_db, shards) == [(0, 3)] + [(n, 0) for n in range(1, 16)]
    sums = "SELECT SUM(live_users), SUM(live_version) FROM live_user_counts"
    assert _ints(empty_db, sums) == before
    engine = create_engine(empty_db.sqlalchemy_url, poolclass=pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE users SET deleted_at = :ts WHERE login_id = 'ann@x.com'"), {"ts": TS}
            )
    finally:
        engine.dispose()
    assert _ints(empty_db, sums) == [(2, before[0][1] + 1)]
    migrations.downgrade(empty_db, "0010a")
    assert _ints(empty_db, "SELECT live_users, live_version FROM service_state") == [
        (2, before[0][1] + 1)
    ]
