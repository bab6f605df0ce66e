"""PostgreSQL: the live-user counter is kept once per statement for inserts and deletes

Revision 0003 kept service_state.live_users with a row trigger: every inserted user updated
the one service_state row. Inside one transaction PostgreSQL walks every earlier version of
that row on each update, so loading N users in one transaction (`roster dev seed`, a SCIM
Bulk) cost O(N^2): 100,000 users took 4.5 minutes against 4.6 s on SQLite.

Inserts and deletes are now counted by statement triggers over their transition tables (one
service_state update per statement, however many rows it wrote), and the loader inserts a
batch per statement. Soft deletes and restores (UPDATE OF deleted_at) stay a row trigger,
narrowed by a WHEN clause so it only runs for a real flip: PostgreSQL does not allow
transition tables on a trigger with a column list, and one user at a time is what updates do.
SQLite keeps its row triggers: it has no version chains and no transition tables.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 12:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATEMENT_FUNCTION = """
CREATE FUNCTION roster_count_live_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE n integer;
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT count(*) INTO n FROM roster_new_rows WHERE deleted_at IS NULL;
  ELSE
    SELECT -count(*) INTO n FROM roster_old_rows WHERE deleted_at IS NULL;
  END IF;
  IF n <> 0 THEN
    UPDATE service_state SET live_users = live_users + n, live_version = live_version + 1
      WHERE id = 1;
  END IF;
  RETURN NULL;
END $$
"""
STATEMENT_TRIGGERS = {
    "users_live_insert": (
        "AFTER INSERT ON users REFERENCING NEW TABLE AS roster_new_rows"
        " FOR EACH STATEMENT EXECUTE FUNCTION roster_count_live_rows()"
    ),
    "users_live_delete": (
        "AFTER DELETE ON users REFERENCING OLD TABLE AS roster_old_rows"
        " FOR EACH STATEMENT EXECUTE FUNCTION roster_count_live_rows()"
    ),
    "users_live_flip": (
        "AFTER UPDATE OF deleted_at ON users FOR EACH ROW"
        " WHEN ((OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL))"
        " EXECUTE FUNCTION roster_count_live_users()"
    ),
}
# Revision 0003's single row trigger, restored on downgrade (its function is 0003's).
ROW_TRIGGER = (
    "CREATE TRIGGER users_live_count AFTER INSERT OR DELETE OR UPDATE OF deleted_at"
    " ON users FOR EACH ROW EXECUTE FUNCTION roster_count_live_users()"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER users_live_count ON users")
    op.execute(STATEMENT_FUNCTION)
    for name, body in STATEMENT_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in STATEMENT_TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON users")
    op.execute("DROP FUNCTION roster_count_live_rows()")
    op.execute(ROW_TRIGGER)
