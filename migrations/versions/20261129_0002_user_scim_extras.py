"""users.scim_extras: what the IdP sent that the Profile Editor does not map

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 05:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing rows get '{}' from the server default (nothing kept yet).
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scim_extras', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), server_default=sa.text("'{}'"), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('scim_extras')
