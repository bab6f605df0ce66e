"""Alembic environment: the URL comes from Settings (or from the caller's Config), never a file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine, pool, text

from app.models import metadata
from app.models.base import include_object
from app.settings import Settings

config = context.config


def _url() -> str:
    url = config.attributes.get("sqlalchemy_url")
    if isinstance(url, str):
        return url
    return Settings().sqlalchemy_url


def run_offline() -> None:
    """Emit SQL without a connection (``alembic upgrade --sql``)."""
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run against the database; SQLite uses batch mode so ALTERs work there too."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


MIGRATION_LOCK = 7_252_025  # pg_advisory_lock key: replicas starting together migrate one at a time


def _run(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
        connection.commit()
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
        include_object=include_object,  # PostgreSQL-only indexes are not in the metadata
    )
    with context.begin_transaction():
        context.run_migrations()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
        connection.commit()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
