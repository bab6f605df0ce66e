"""Provisioning health: per-hour SCIM usage per token, last error, probe seen, expiry warning

`scim_token_usage` holds one row per SCIM token and UTC hour: requests and errors (HTTP
requests), writes and write errors (each write, a Bulk operation counting as one). Workers count
in memory and add their counts here every few seconds (app.domain.provisioning.health), so a
SCIM request pays no write of its own. `scim_tokens` gains the token's last error (time, status,
detail), when the IdP's "test connection" probe was last seen, and when the daily expiry warning
was last logged (shared by every worker, so the warning is logged once a day). All nullable;
nothing to backfill.

Revision ID: 0008h
Revises: 0008e
Create Date: 2026-12-05 20:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008h"
down_revision: str | None = "0008e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scim_token_usage",
        sa.Column("token_id", sa.String(length=36), nullable=False),
        sa.Column("hour", sa.String(length=32), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("writes", sa.Integer(), nullable=False),
        sa.Column("write_errors", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("token_id", "hour"),
    )
    op.create_index("ix_scim_token_usage_hour", "scim_token_usage", ["hour"])
    with op.batch_alter_table("scim_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_error_at", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("last_error_status", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("last_error_detail", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("tested_at", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("expiry_warned_at", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scim_tokens", schema=None) as batch_op:
        batch_op.drop_column("expiry_warned_at")
        batch_op.drop_column("tested_at")
        batch_op.drop_column("last_error_detail")
        batch_op.drop_column("last_error_status")
        batch_op.drop_column("last_error_at")
    op.drop_index("ix_scim_token_usage_hour", table_name="scim_token_usage")
    op.drop_table("scim_token_usage")
