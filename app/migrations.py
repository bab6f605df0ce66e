"""Running Alembic from code: `roster migrate`, `roster serve`, /readyz and the tests."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool, text

from app.settings import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(settings: Settings) -> Config:
    """An Alembic Config pointing at this checkout's migrations and the settings' database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["sqlalchemy_url"] = settings.sqlalchemy_url
    return cfg


@cache
def head_revision() -> str:
    """The newest revision in the migrations folder."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


def upgrade(settings: Settings, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` (creating the SQLite file if needed)."""
    if settings.database_kind == "sqlite" and settings.sqlite_path not in ("", ":memory:"):
        Path(settings.sqlite_path).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(settings), revision)


def downgrade(settings: Settings, revision: str = "base") -> None:
    """Downgrade the database to ``revision``."""
    command.downgrade(alembic_config(settings), revision)


def current_revision(settings: Settings) -> str | None:
    """The revision the database is at, or None when it has never been migrated."""
    engine = create_engine(settings.sqlalchemy_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            try:
                return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            except Exception:
                return None
    finally:
        engine.dispose()
