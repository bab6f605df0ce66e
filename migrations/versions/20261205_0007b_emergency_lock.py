"""Emergency lock: an admin's deactivation of an IdP-owned user holds against SCIM (rule 17)

`users.lock_reason` (set while locked: the admin's reason), `locked_by_id` (the admin, no
foreign key: the lock outlives that admin's row), `locked_at`, and `idp_active` (the `active`
value the IdP last sent while the lock held, which SCIM reads back). All nullable; nothing is
backfilled: no existing user is locked.

Revision ID: 0007b
Revises: 0007a
Create Date: 2026-12-05 14:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007b"
down_revision: str | None = "0007a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lock_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("locked_by_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("locked_at", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("idp_active", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("idp_active")
        batch_op.drop_column("locked_at")
        batch_op.drop_column("locked_by_id")
        batch_op.drop_column("lock_reason")
