"""Live-user counter and version kept by triggers, and a partial index of live users by id

An unfiltered SCIM list or GraphQL count no longer scans the users table: totalResults comes
from service_state.live_users, which triggers keep exact on every insert, soft delete, restore
and delete (whatever path wrote the row). The partial index lets a page deep into the
directory be found by walking index entries only.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 05:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = (
    "UPDATE service_state SET live_users = live_users + {delta},"
    " live_version = live_version + 1 WHERE id = 1"
)
SQLITE_TRIGGERS = {
    "users_live_insert": f"AFTER INSERT ON users WHEN NEW.deleted_at IS NULL BEGIN {LIVE.format(delta=1)}; END",
    "users_live_delete": f"AFTER DELETE ON users WHEN OLD.deleted_at IS NULL BEGIN {LIVE.format(delta=-1)}; END",
    "users_live_soft_delete": (
        "AFTER UPDATE OF deleted_at ON users WHEN OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL"
        f" BEGIN {LIVE.format(delta=-1)}; END"
    ),
    "users_live_restore": (
        "AFTER UPDATE OF deleted_at ON users WHEN OLD.deleted_at IS NOT NULL AND NEW.deleted_at IS NULL"
        f" BEGIN {LIVE.format(delta=1)}; END"
    ),
}
PG_FUNCTION = """
CREATE FUNCTION roster_count_live_users() RETURNS trigger LANGUAGE plpgsql AS $$
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
    UPDATE service_state SET live_users = live_users + delta, live_version = live_version + 1
      WHERE id = 1;
  END IF;
  RETURN NULL;
END $$
"""


def upgrade() -> None:
    with op.batch_alter_table("service_state", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("live_users", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("live_version", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
    op.execute("UPDATE service_state SET live_users = (SELECT COUNT(*) FROM users WHERE deleted_at IS NULL)")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(
            "ix_users_live_id", ["id"], unique=False,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER users_live_count AFTER INSERT OR DELETE OR UPDATE OF deleted_at"
            " ON users FOR EACH ROW EXECUTE FUNCTION roster_count_live_users()"
        )
    else:
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS users_live_count ON users")
        op.execute("DROP FUNCTION IF EXISTS roster_count_live_users()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_users_live_id",
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
    with op.batch_alter_table("service_state", schema=None) as batch_op:
        batch_op.drop_column("live_version")
        batch_op.drop_column("live_users")
