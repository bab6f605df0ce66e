"""The live-user counter is kept in shards, so concurrent creates do not queue on one row

Revisions 0003 and 0005 kept the count and version of live users in the one `service_state`
row, updated by triggers on every insert, delete, soft delete and restore of a user. On
PostgreSQL that update takes the row's lock until the transaction ends, so every SCIM create
waited for the create before it to commit (its audit entry, provisioning event, outbox event
and commit): wait events under a create load were mostly `Lock:transactionid`, and with the
trigger switched off the same load ran 1.2 times as fast with a third of the p99.

The count now lives in `live_user_counts`, 16 rows: a PostgreSQL transaction updates the row
of its backend (`pg_backend_pid() % 16`), so two connections rarely share one, and readers add
the rows up (the version too: every change adds one to some row, so the sum changes whenever
the live set does). SQLite, one writer at a time, keeps its triggers on row 0.

Revision ID: 0010b
Revises: 0010a
Create Date: 2026-12-07 02:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010b"
down_revision: str | None = "0010a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHARDS = 16
PG_SHARD = f"pg_backend_pid() % {SHARDS}"


def _pg_functions(table: str, where: str) -> list[str]:
    """0005's statement function and 0003's row function, counting into ``table``."""
    bump = f"UPDATE {table} SET live_users = live_users + {{n}}, live_version = live_version + 1 WHERE {where}"
    return [
        f"""
CREATE OR REPLACE FUNCTION roster_count_live_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE n integer;
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT count(*) INTO n FROM roster_new_rows WHERE deleted_at IS NULL;
  ELSE
    SELECT -count(*) INTO n FROM roster_old_rows WHERE deleted_at IS NULL;
  END IF;
  IF n <> 0 THEN
    {bump.format(n="n")};
  END IF;
  RETURN NULL;
END $$
""",
        f"""
CREATE OR REPLACE FUNCTION roster_count_live_users() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE delta integer := 0;
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.deleted_at IS NULL THEN delta := 1; END IF;
  ELSIF TG_OP = 'DELETE' THEN
    IF OLD.deleted_at IS NULL THEN delta := -1; END IF;
  ELSIF OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL THEN delta := -1;
  ELSIF OLD.deleted_at IS NOT NULL AND NEW.deleted_at IS NULL THEN delta := 1;
  END IF;
  IF delta <> 0 THEN
    {bump.format(n="delta")};
  END IF;
  RETURN NULL;
END $$
""",
    ]


def _sqlite_triggers(table: str, where: str) -> dict[str, str]:
    """0003's SQLite triggers, counting into ``table``."""
    bump = f"UPDATE {table} SET live_users = live_users + {{d}}, live_version = live_version + 1 WHERE {where}"
    return {
        "users_live_insert": (
            f"AFTER INSERT ON users WHEN NEW.deleted_at IS NULL BEGIN {bump.format(d=1)}; END"
        ),
        "users_live_delete": (
            f"AFTER DELETE ON users WHEN OLD.deleted_at IS NULL BEGIN {bump.format(d=-1)}; END"
        ),
        "users_live_soft_delete": (
            "AFTER UPDATE OF deleted_at ON users"
            " WHEN OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL"
            f" BEGIN {bump.format(d=-1)}; END"
        ),
        "users_live_restore": (
            "AFTER UPDATE OF deleted_at ON users"
            " WHEN OLD.deleted_at IS NOT NULL AND NEW.deleted_at IS NULL"
            f" BEGIN {bump.format(d=1)}; END"
        ),
    }


def _replace_counting(table: str, pg_where: str, sqlite_where: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        for function in _pg_functions(table, pg_where):
            op.execute(function)
        return
    for name, body in _sqlite_triggers(table, sqlite_where).items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(f"CREATE TRIGGER {name} {body}")


def upgrade() -> None:
    op.create_table(
        "live_user_counts",
        sa.Column("shard", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("live_users", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("live_version", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("shard"),
    )
    op.execute(
        "INSERT INTO live_user_counts (shard, live_users, live_version)"
        " SELECT 0, live_users, live_version FROM service_state WHERE id = 1"
    )
    op.execute(
        "INSERT INTO live_user_counts (shard, live_users, live_version) SELECT n, 0, 0 FROM ("
        + " UNION ALL ".join(f"SELECT {n} AS n" for n in range(1, SHARDS))
        + ") AS shards"
    )
    _replace_counting("live_user_counts", f"shard = {PG_SHARD}", "shard = 0")
    with op.batch_alter_table("service_state", schema=None) as batch_op:
        batch_op.drop_column("live_version")
        batch_op.drop_column("live_users")


def downgrade() -> None:
    with op.batch_alter_table("service_state", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("live_users", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("live_version", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
    op.execute(
        "UPDATE service_state SET"
        " live_users = (SELECT SUM(live_users) FROM live_user_counts),"
        " live_version = (SELECT SUM(live_version) FROM live_user_counts) WHERE id = 1"
    )
    _replace_counting("service_state", "id = 1", "id = 1")
    op.drop_table("live_user_counts")
