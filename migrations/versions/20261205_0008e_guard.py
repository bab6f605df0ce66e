"""Deprovisioning guard (rule 19): its settings row, the window's counted writes, held writes

`deprovisioning_guard` holds one row (id 1): enabled, percent, minimum, window_minutes (the
defaults of rule 19: on, 5 %, 20, 60 minutes), state (ARMED/TRIPPED), tripped_at, and window_count/window_deletes (the rows of
`guard_counted` kept as counters, so no write scans the window).
`guard_counted`: destructive IdP writes applied within the window. `guard_held`: writes held
while the guard is tripped, in order (`seq`), each with what applying it later needs.

Revision ID: 0008e
Revises: 0007b
Create Date: 2026-12-05 20:30:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0008e"
down_revision: str | None = "0007b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    guard = op.create_table(
        "deprovisioning_guard",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("percent", sa.Float(), nullable=False),
        sa.Column("minimum", sa.Integer(), nullable=False),
        sa.Column("window_minutes", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("tripped_at", sa.String(length=32), nullable=True),
        sa.Column("window_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("window_deletes", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("updated_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    op.bulk_insert(
        guard,
        [
            {
                "id": 1,
                "enabled": True,
                "percent": 5.0,
                "minimum": 20,
                "window_minutes": 60,
                "state": "ARMED",
                "tripped_at": None,
                "window_count": 0,
                "window_deletes": 0,
                "updated_at": now,
            }
        ],
    )
    op.create_table(
        "guard_counted",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_guard_counted_at", "guard_counted", ["at"], unique=False)
    op.create_table(
        "guard_held",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("resource_type", sa.String(length=16), nullable=False),
        sa.Column("resource_id", sa.String(length=36), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("op_key", sa.String(length=64), nullable=False),
        sa.Column("token_id", sa.String(length=36), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("first_at", sa.String(length=32), nullable=False),
        sa.Column("last_at", sa.String(length=32), nullable=False),
        sa.Column("repeats", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("op_key"),
        sa.UniqueConstraint("seq"),
    )
    op.create_index("ix_guard_held_first_at", "guard_held", ["first_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_guard_held_first_at", table_name="guard_held")
    op.drop_table("guard_held")
    op.drop_index("ix_guard_counted_at", table_name="guard_counted")
    op.drop_table("guard_counted")
    op.drop_table("deprovisioning_guard")
