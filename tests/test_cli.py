"""The `roster` console script, run as a real process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app.domain.access.tokens import hash_token
from app.settings import Settings
from tests.conftest import engine_settings
from tests.e2e.test_health import free_port


def roster(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m app ARGS` against the settings' database."""
    env = {**os.environ, "ROSTER_DATABASE_URL": settings.database_url}
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(params=["sqlite", "postgres"])
def cli_db(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """A migrated, empty database on each engine."""
    return engine_settings(request.param, tmp_path)


def _stored_hashes(settings: Settings, table: str) -> list[str]:
    from sqlalchemy import create_engine, pool, text

    engine = create_engine(settings.sqlalchemy_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            return [r[0] for r in conn.execute(text(f"SELECT token_hash FROM {table}"))]
    finally:
        engine.dispose()


def test_create_admin_prints_only_the_token_and_stores_only_its_hash(cli_db: Settings) -> None:
    done = roster(cli_db, "token", "create-admin", "--login", "admin", "--role", "owner")
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert re.fullmatch(r"rad_[A-Za-z0-9_-]{43}", token), done.stdout
    assert done.stdout == token + "\n"
    assert _stored_hashes(cli_db, "api_tokens") == [hash_token(token)]


def test_create_scim_enables_provisioning_and_prints_only_the_token(cli_db: Settings) -> None:
    done = roster(cli_db, "token", "create-scim", "--name", "okta")
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert re.fullmatch(r"rsc_[A-Za-z0-9_-]{43}", token)
    assert done.stdout == token + "\n"
    assert _stored_hashes(cli_db, "scim_tokens") == [hash_token(token)]
    roster(cli_db, "token", "create-scim", "--name", "two")
    third = roster(cli_db, "token", "create-scim", "--name", "three")
    assert (third.returncode, third.stdout) == (1, "")
    assert "at most 2 active SCIM tokens" in third.stderr


def test_migrate_is_idempotent(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", _env_file=None)
    for _ in range(2):
        done = roster(settings, "migrate")
        assert done.returncode == 0, done.stderr
    assert "migrated to" in done.stderr


def test_several_workers_on_an_in_memory_sqlite_database_are_refused() -> None:
    env = {
        **os.environ,
        "ROSTER_DATABASE_URL": "sqlite:///:memory:",
        "ROSTER_WORKERS": "2",
        "ROSTER_PORT": str(free_port()),
    }
    done = subprocess.run(
        [sys.executable, "-m", "app", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        2,
        "",
        "roster: an in-memory SQLite database lives in one process; ROSTER_WORKERS > 1 needs"
        " a file\n",
    )


def test_dev_seed_loads_users_and_groups(cli_db: Settings) -> None:
    done = roster(cli_db, "dev", "seed", "--users", "2500", "--groups", "2", "--group-size", "1200")
    assert done.returncode == 0, done.stderr
    assert "seeded 2500 users and 2 groups" in done.stderr
    assert "users: 2500/2500" in done.stderr
    from sqlalchemy import create_engine, pool, text

    engine = create_engine(cli_db.sqlalchemy_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            counts = conn.execute(
                text(
                    "SELECT (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM memberships),"
                    " (SELECT SUM(member_count) FROM groups)"
                )
            ).one()
    finally:
        engine.dispose()
    assert tuple(counts) == (2500, 2400, 2400)
    again = roster(cli_db, "dev", "seed", "--users", "1")
    assert again.returncode == 1
    assert "try --prefix" in again.stderr


def test_auth_configure_sets_the_type_and_keeps_rule_11(cli_db: Settings) -> None:
    done = roster(cli_db, "auth", "configure", "--type", "okta", "--display-name", "Okta")
    assert (done.returncode, done.stdout) == (0, "")
    assert "authentication type is now OKTA" in done.stderr
    bad = roster(cli_db, "auth", "configure", "--type", "nope")
    assert (bad.returncode, bad.stdout) == (2, "")
    assert "argument --type: invalid choice: 'NOPE'" in bad.stderr
