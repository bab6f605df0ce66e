"""Indexes for the GraphQL filters that read whole tables: search, audit actor and action prefix, event resource type

Found with `python -m bench.plans` (docs/query-plans.md: 100,000 users, 100,000 log rows):
- users/groups `search` is LIKE '%text%' on lower-cased columns, which reads every row; a
  pg_trgm GIN index per searched expression lets PostgreSQL OR bitmap scans of them instead.
  The expressions are exactly those of app.domain.directory (and of SCIM co/sw/ew filters on
  the same fields). PostgreSQL only: SQLite has no trigram index.
- auditLog `actor` matches actor_id OR actor_label, and only actor_id had an index, so the OR
  read the whole log: (actor_label, at).
- auditLog `action` ending in '.' is a LIKE prefix, which a btree in a non-C collation cannot
  serve: ix_audit_action is rebuilt with varchar_pattern_ops on PostgreSQL (it still serves
  equality, and the order by time after it).
- provisioning events `resourceType` had no index, so a rare value read the whole log:
  (resource_type, at).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 10:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Index name: (table, indexed expression), as app/models/base.py lists them.
TRIGRAM = {
    "ix_users_search_login": ("users", "login_id_norm"),
    "ix_users_search_first_name": ("users", "lower((profile ->> 'firstName'))"),
    "ix_users_search_last_name": ("users", "lower((profile ->> 'lastName'))"),
    "ix_users_search_display_name": ("users", "lower((profile ->> 'displayName'))"),
    "ix_users_search_email": ("users", "lower((profile ->> 'email'))"),
    "ix_groups_search_name": ("groups", "display_name_norm"),
}
# Drops pg_trgm unless something else (another schema's index, say) still uses it.
DROP_TRGM = """
DO $$ BEGIN
  DROP EXTENSION IF EXISTS pg_trgm;
EXCEPTION WHEN dependent_objects_still_exist THEN
  RAISE NOTICE 'pg_trgm kept: other objects use it';
END $$
"""


def upgrade() -> None:
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.create_index("ix_audit_actor_label", ["actor_label", "at"], unique=False)
    with op.batch_alter_table("provisioning_events", schema=None) as batch_op:
        batch_op.create_index("ix_provisioning_events_type_at", ["resource_type", "at"], unique=False)
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, expr) in TRIGRAM.items():
        op.execute(f"CREATE INDEX {name} ON {table} USING gin ({expr} gin_trgm_ops)")
    op.execute("DROP INDEX ix_audit_action")
    op.execute("CREATE INDEX ix_audit_action ON audit_entries (action varchar_pattern_ops, at)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_audit_action")
        op.execute("CREATE INDEX ix_audit_action ON audit_entries (action, at)")
        for name in TRIGRAM:
            op.execute(f"DROP INDEX {name}")
        op.execute(DROP_TRGM)
    with op.batch_alter_table("provisioning_events", schema=None) as batch_op:
        batch_op.drop_index("ix_provisioning_events_type_at")
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_actor_label")
