"""Deprovisioning guard (rule 19): the window's count split over shards, counted by one call

The window's counters move from the `deprovisioning_guard` row to `guard_shards` (rows 0 to
16): shard 0 is counted under the guard's full lock (SQLite always; PostgreSQL near the
threshold, when tripped and when the window needs expiring), shards 1 to 16 by PostgreSQL
connections far below the threshold, each on a shard no other transaction holds, through
`roster_guard_count()`, so such writes no longer queue on one row lock held to their commits.
`guard_counted.shard` says which shard counted each row. The old counters become shard 0.

Revision ID: 0009d
Revises: 0009c
Create Date: 2026-12-06 17:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009d"
down_revision: str | None = "0009c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHARDS = 16  # app/domain/guard/counts.py SHARDS: the function's margin and modulus

# One round trip for a destructive write far below the threshold. Returns 0 (the guard is
# off: apply), 1 (counted on this connection's shard: apply) or 2 (ask under the guard's full
# lock: tripped, near the threshold, no guard row, or the live count passed in is stale).
# The shard's row lock is held to the commit, and every query here sees what was committed
# before it ran (a VOLATILE function's fresh snapshot per query), so once the shard is ours
# the total counts every committed write and at most SHARDS - 1 others are still in flight
# (one per other shard): within the threshold with that margin, no interleaving exceeds it.
# A write that fails the check leaves nothing behind (the inner block's subtransaction is
# rolled back, which also drops the shard's lock), so it can take the full lock without a
# deadlock. The threshold is `GuardSettings.threshold` with the live count only (the window's
# deletes, which the full lock adds to the population, only make this one more cautious).
PG_FUNCTION = f"""
CREATE FUNCTION roster_guard_count(p_id text, p_at text, p_kind text,
                                   p_live_version integer, p_live integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  g record;
  mine integer := pg_backend_pid() % {SHARDS} + 1;
  free integer;
  d integer := CASE WHEN p_kind = 'DELETE_USER' THEN 1 ELSE 0 END;
  gone integer;
  gone_d integer;
  since text;
BEGIN
  SELECT enabled, state, window_minutes FROM deprovisioning_guard WHERE id = 1 INTO g;
  IF NOT FOUND THEN RETURN 2; END IF;
  IF NOT g.enabled THEN RETURN 0; END IF;
  IF g.state <> 'ARMED' OR p_live IS NULL THEN RETURN 2; END IF;
  since := to_char((p_at::timestamptz - make_interval(mins => g.window_minutes))
                   AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
  BEGIN
    -- a shard no other transaction holds, from this backend's own on (else wait for that one)
    SELECT id FROM guard_shards WHERE id > 0 ORDER BY (id + pg_backend_pid()) % {SHARDS}
      LIMIT 1 FOR UPDATE SKIP LOCKED INTO free;
    mine := COALESCE(free, mine);
    UPDATE guard_shards SET window_count = window_count + 1, window_deletes = window_deletes + d
      WHERE id = mine;
    INSERT INTO guard_counted (id, at, kind, shard) VALUES (p_id, p_at, p_kind, mine);
    -- its shard's expired writes, oldest first by the index on (at, shard), at most 100 at a
    -- time (the LIMIT keeps the cached generic plan on the index however large the table;
    -- rows left over only count a little longer, which errs on the side of caution)
    WITH old AS (DELETE FROM guard_counted WHERE id IN (SELECT id FROM guard_counted
                   WHERE shard = mine AND at < since ORDER BY at LIMIT 100) RETURNING kind)
      SELECT count(*), count(*) FILTER (WHERE kind = 'DELETE_USER') FROM old INTO gone, gone_d;
    IF gone > 0 THEN
      UPDATE guard_shards SET window_count = window_count - gone,
        window_deletes = window_deletes - gone_d WHERE id = mine;
    END IF;
    SELECT enabled, state, percent, minimum,
           (SELECT live_version FROM service_state WHERE id = 1) AS live_version,
           (SELECT sum(window_count) FROM guard_shards) AS total
      FROM deprovisioning_guard WHERE id = 1 INTO g;
    IF g.enabled AND g.state = 'ARMED' AND g.live_version = p_live_version
       AND g.total + {SHARDS - 1} <= GREATEST(g.minimum, floor(p_live * g.percent / 100)) THEN
      RETURN 1;
    END IF;
    RAISE SQLSTATE 'RGC01';
  EXCEPTION WHEN SQLSTATE 'RGC01' THEN
    RETURN 2;
  END;
END $$
"""


def upgrade() -> None:
    shards = op.create_table(
        "guard_shards",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("window_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("window_deletes", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(shards, [{"id": i} for i in range(SHARDS + 1)])
    op.execute(
        "UPDATE guard_shards SET"
        " window_count = (SELECT window_count FROM deprovisioning_guard WHERE id = 1),"
        " window_deletes = (SELECT window_deletes FROM deprovisioning_guard WHERE id = 1)"
        " WHERE id = 0 AND EXISTS (SELECT 1 FROM deprovisioning_guard WHERE id = 1)"
    )
    with op.batch_alter_table("deprovisioning_guard", schema=None) as batch_op:
        batch_op.drop_column("window_count")
        batch_op.drop_column("window_deletes")
    with op.batch_alter_table("guard_counted", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("shard", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        # one index for both: ranges of `at` (the full lock's expiry) and a shard's expired
        # rows (the far path's), which lie within the range of `at` that has expired
        batch_op.drop_index("ix_guard_counted_at")
        batch_op.create_index("ix_guard_counted_at_shard", ["at", "shard"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DROP FUNCTION IF EXISTS roster_guard_count(text, text, text, integer, integer)"
        )
    with op.batch_alter_table("guard_counted", schema=None) as batch_op:
        batch_op.drop_index("ix_guard_counted_at_shard")
        batch_op.drop_column("shard")
        batch_op.create_index("ix_guard_counted_at", ["at"], unique=False)
    with op.batch_alter_table("deprovisioning_guard", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("window_count", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("window_deletes", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
    op.execute(
        "UPDATE deprovisioning_guard SET"
        " window_count = (SELECT COALESCE(SUM(window_count), 0) FROM guard_shards),"
        " window_deletes = (SELECT COALESCE(SUM(window_deletes), 0) FROM guard_shards)"
    )
    op.drop_table("guard_shards")
