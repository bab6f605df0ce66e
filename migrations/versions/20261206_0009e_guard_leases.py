"""Deprovisioning guard (rule 19): leases of the window's count replace the shards

A process far below the threshold now reserves a block of destructive writes at once (a row
of `guard_leases`, taken under the guard's full lock) and spends it in memory, with no
statement per write; it settles the block (how many it spent) within a quarter of a second.
So the shards of 0009d and their SQL function go: their counts fold into one row, renamed
`guard_window`, and `guard_counted.shard` becomes `guard_counted.weight` (a settled lease is
one row that counts as many writes as it spent).

Revision ID: 0009e
Revises: 0009d
Create Date: 2026-12-06 20:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009e"
down_revision: str | None = "0009d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS roster_guard_count(text, text, text, integer, integer)")
    op.execute(
        "UPDATE guard_shards SET"
        " window_count = (SELECT SUM(window_count) FROM guard_shards),"
        " window_deletes = (SELECT SUM(window_deletes) FROM guard_shards) WHERE id = 0"
    )
    op.execute("DELETE FROM guard_shards WHERE id <> 0")
    op.rename_table("guard_shards", "guard_window")
    with op.batch_alter_table("guard_counted", schema=None) as batch_op:
        batch_op.drop_index("ix_guard_counted_at_shard")
        batch_op.drop_column("shard")
        batch_op.add_column(
            sa.Column("weight", sa.Integer(), server_default=sa.text("1"), nullable=False)
        )
        batch_op.create_index("ix_guard_counted_at", ["at"], unique=False)
    op.create_table(
        "guard_leases",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("granted", sa.Integer(), nullable=False),
        sa.Column("used", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("deletes", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("settled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("expires_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def _shards_function() -> str:
    """0009d's SQL function, read from that migration (the downgrade restores it)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).with_name("20261206_0009d_guard_shards.py")
    spec = importlib.util.spec_from_file_location("guard_shards_0009d", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.PG_FUNCTION)


def downgrade() -> None:
    # Outstanding leases count as granted (the downgraded code cannot settle them).
    op.execute(
        "INSERT INTO guard_counted (id, at, kind, weight) SELECT id, at, 'DEACTIVATE_USER',"
        " CASE WHEN settled THEN used ELSE granted END FROM guard_leases"
    )
    op.drop_table("guard_leases")
    # A row per counted write again: a weight above 1 becomes that many rows.
    bind = op.get_bind()
    heavy = bind.execute(
        sa.text("SELECT id, at, kind, weight FROM guard_counted WHERE weight > 1")
    ).fetchall()
    for row_id, at, kind, weight in heavy:
        for i in range(1, int(weight)):
            bind.execute(
                sa.text("INSERT INTO guard_counted (id, at, kind, weight) VALUES (:i, :a, :k, 1)"),
                {"i": f"{row_id[:30]}-{i}", "a": at, "k": kind},
            )
    with op.batch_alter_table("guard_counted", schema=None) as batch_op:
        batch_op.drop_index("ix_guard_counted_at")
        batch_op.drop_column("weight")
        batch_op.add_column(
            sa.Column("shard", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.create_index("ix_guard_counted_at_shard", ["at", "shard"], unique=False)
    op.rename_table("guard_window", "guard_shards")
    op.execute(
        "UPDATE guard_shards SET window_count = (SELECT COUNT(*) FROM guard_counted),"
        " window_deletes = (SELECT COUNT(*) FROM guard_counted WHERE kind = 'DELETE_USER')"
    )
    op.execute(
        "INSERT INTO guard_shards (id, window_count, window_deletes)"
        " SELECT n, 0, 0 FROM (SELECT 1 AS n"
        + "".join(f" UNION ALL SELECT {i}" for i in range(2, 17))
        + ") s"
    )
    if bind.dialect.name == "postgresql":
        op.execute(_shards_function())
