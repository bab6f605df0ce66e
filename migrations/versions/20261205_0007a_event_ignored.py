"""Provisioning events list the attribute paths a write deliberately ignored

Rule 18: nothing an IdP sends is silently dropped. What Roster ignores on purpose
(`password`: Roster does not authenticate; `roles`/`entitlements`: rule 10; rule 5's
local-priority values of IdP-owned users) is listed on the write's provisioning event, in the
new nullable column `provisioning_events.ignored` (a JSON list of attribute paths; NULL when
nothing was ignored, as for every event written before this revision). No backfill.

Revision ID: 0007a
Revises: 0006e
Create Date: 2026-12-05 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007a"
down_revision: str | None = "0006e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("provisioning_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ignored", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("provisioning_events", schema=None) as batch_op:
        batch_op.drop_column("ignored")
