"""The downstream event outbox (rule 20)

`outbox_events` holds one row per committed change to a user, group, membership, role grant,
setting or token, written in the change's own transaction. ``seq`` is assigned just before
commit under a transaction lock (max + 1), so numbers follow commit order and have no gaps:
a reader that has seen n has seen every event before it. Rows older than the retention
(`ROSTER_EVENT_RETENTION_DAYS`, default 30) go with `roster purge`. New table; nothing to
backfill (the feed starts at the first change after the upgrade).

Revision ID: 0009a
Revises: 0008h
Create Date: 2026-12-06 03:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009a"
down_revision: str | None = "0008h"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSONDoc = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "outbox_events",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("actor_type", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=36), nullable=True),
        sa.Column("actor_label", sa.String(length=255), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("resource_type", sa.String(length=32), nullable=False),
        sa.Column("resource_id", sa.String(length=64), nullable=True),
        sa.Column("changes", JSONDoc, nullable=False),
        sa.Column("resource", JSONDoc, nullable=True),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("id"),
    )
    op.create_index("ix_outbox_events_at", "outbox_events", ["at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_events_at", table_name="outbox_events")
    op.drop_table("outbox_events")
