"""What the table modules of app.models share: the metadata, the column helpers, and the
PostgreSQL-only indexes Alembic's comparisons leave out.

Every column a query filters or sorts on has an index in the table modules (and in migrations).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

metadata = SQLModel.metadata

JSONDoc = sa.JSON().with_variant(JSONB(), "postgresql")
TS = 32  # width of an ISO-8601 UTC timestamp with microseconds


def ts(*, nullable: bool = False, index: bool = False) -> Any:
    """A timestamp column (fixed-width ISO-8601 UTC text)."""
    return Field(sa_column=sa.Column(sa.String(TS), nullable=nullable, index=index))


# PostgreSQL-only indexes (migration 0004): pg_trgm GIN indexes for the user and group `search`
# filters (LIKE '%text%'), on exactly the expressions app.domain.directory searches. They are
# listed here rather than declared: SQLite has no trigram index, and Alembic cannot compare
# expression indexes there, so migrations/env.py and the drift test leave these names out of
# their comparisons (`include_object`); the drift test checks on PostgreSQL that they exist.
POSTGRES_ONLY_INDEXES = {
    "ix_users_search_login": "users USING gin (login_id_norm gin_trgm_ops)",
    "ix_users_search_first_name": "users USING gin (lower(profile ->> 'firstName') gin_trgm_ops)",
    "ix_users_search_last_name": "users USING gin (lower(profile ->> 'lastName') gin_trgm_ops)",
    "ix_users_search_display_name": (
        "users USING gin (lower(profile ->> 'displayName') gin_trgm_ops)"
    ),
    "ix_users_search_email": "users USING gin (lower(profile ->> 'email') gin_trgm_ops)",
    "ix_groups_search_name": "groups USING gin (display_name_norm gin_trgm_ops)",
}


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, other: Any) -> bool:
    """Alembic's ``include_object`` hook: compare every object but POSTGRES_ONLY_INDEXES."""
    return not (type_ == "index" and name in POSTGRES_ONLY_INDEXES)
