"""Provenance for rules 14 and 16: who deleted a user, who created a group; externalId unique
among live users only

- users.deleted_by_kind: the kind of actor (ADMIN, SCIM, SYSTEM) of the last soft delete. A SCIM
  create restores a deleted user only when the IdP deleted it (rule 16).
- groups.created_by_kind: the kind of actor that created the group. A group the IdP created
  has its membership controlled by the IdP, so OWNER can never be granted to it (rule 14).
- uq_users_provider_external becomes partial (live users): after an admin deleted a user, the
  IdP's create with the same externalId makes a new user instead of colliding with the old row.

Both columns are filled from the audit log for rows that existed before this revision.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 09:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LAST_ACTOR = (
    "(SELECT a.actor_type FROM audit_entries a WHERE a.target_id = {table}.id"
    " AND a.action = '{action}' ORDER BY a.at DESC, a.id DESC LIMIT 1)"
)
_LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    """Add the two provenance columns, backfill them, make the externalId index partial."""
    op.add_column("users", sa.Column("deleted_by_kind", sa.String(16), nullable=True))
    op.add_column("groups", sa.Column("created_by_kind", sa.String(16), nullable=True))
    op.execute(
        "UPDATE users SET deleted_by_kind = "
        + _LAST_ACTOR.format(table="users", action="user.delete")
        + " WHERE deleted_at IS NOT NULL"
    )
    op.execute(
        "UPDATE groups SET created_by_kind = "
        + _LAST_ACTOR.format(table="groups", action="group.create")
    )
    op.drop_index("uq_users_provider_external", table_name="users")
    op.create_index(
        "uq_users_provider_external_live",
        "users",
        ["auth_provider", "external_id"],
        unique=True,
        sqlite_where=_LIVE,
        postgresql_where=_LIVE,
    )


def downgrade() -> None:
    """Drop the columns and restore the full index (fails if deleted users share an id)."""
    op.drop_index("uq_users_provider_external_live", table_name="users")
    op.create_index(
        "uq_users_provider_external", "users", ["auth_provider", "external_id"], unique=True
    )
    op.drop_column("groups", "created_by_kind")
    op.drop_column("users", "deleted_by_kind")
