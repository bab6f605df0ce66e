"""Index the look-up of a user the IdP deleted, which every SCIM create with an externalId runs

A SCIM create first looks for a user the same IdP deleted with the same externalId (rule 16:
such a user is brought back, not duplicated). That look-up reads deleted users only, and no
index covered it: SQLite, which keeps no statistics unless asked, searched by the
`auth_provider` index (every user of the IdP) and sorted, so a create cost grew with the
directory (0.97 ms of a create's SQL at 2,000 users; docs/performance.md). A partial index of
deleted users, in the order the statement reads them (backwards), answers it with one probe
on both engines, and live users, most of the table, are not in it.

Revision ID: 0010a
Revises: 0009e
Create Date: 2026-12-07 01:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010a"
down_revision: str | None = "0009e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_users_deleted_twin",
        "users",
        ["auth_provider", "external_id", "deleted_at", "id"],
        postgresql_where=sa.text("deleted_at IS NOT NULL"),
        sqlite_where=sa.text("deleted_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_users_deleted_twin", table_name="users")
