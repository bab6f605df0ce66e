"""Name keys: loginId and group displayName compare after Unicode NFC and case folding

Rules 6 and 18: `José` (NFC) and `José` (e + combining acute, NFD) are one name, as are `ß`
and `SS`. Until now uniqueness was `lower()` of the name (`login_id_norm`, `display_name_norm`),
which tells those spellings apart. Each row now keeps its key, NFC(casefold(NFC(name))), in
`users.login_key` / `groups.display_name_key` (text: folding can lengthen a name), with the
unique indexes moved there: `uq_users_login_key_live` (live users) and `uq_groups_name_key`.
The search columns (`*_norm`) are re-folded as NFC + lower-case, like the text searched for.

Existing collisions do not fail the upgrade. Rows that were distinct before and share a key
now (two live users, or two groups) are reported, as a warning naming every row of the
collision (logger `roster.migrations`). The oldest row (smallest id: ids are time-ordered)
keeps the plain key; each later row's key is set aside as the key + U+001F + the row's id,
which no name can produce (loginId refuses control characters). Such a row is still read,
listed and edited as before, but a lookup or `eq` filter by its name finds the oldest row,
and a new user or group of that name is refused, until an admin renames (or deletes) one of
them: a rename recomputes the key (a save that keeps the name keeps the set-aside key).

Revision ID: 0006e
Revises: 0006
Create Date: 2026-12-05 09:00:00.000000
"""

import logging
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006e"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("roster.migrations")

SET_ASIDE = "\x1f"
# table: (name column, search column, key column, new unique index, its live-rows condition)
TABLES = {
    "users": ("login_id", "login_id_norm", "login_key", "uq_users_login_key_live", True),
    "groups": ("display_name", "display_name_norm", "display_name_key", "uq_groups_name_key", False),
}
OLD_INDEXES = {"users": "uq_users_login_live", "groups": "uq_groups_name"}


def name_key(name: str) -> str:
    """app.domain.names.name_key as of this revision (frozen here, as migrations must be)."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", name).casefold())


def _backfill(table: str) -> None:
    name, norm, key, _, live_only = TABLES[table]
    conn = op.get_bind()
    live = "deleted_at IS NULL" if live_only else "1 = 1"
    rows = conn.execute(
        sa.text(f"SELECT id, {name} AS name, {live} AS live FROM {table} ORDER BY id")
    ).fetchall()
    holders: dict[str, list[tuple[str, str]]] = {}
    updates = []
    for row in rows:
        k = name_key(row.name)
        if row.live:
            holders.setdefault(k, []).append((row.id, row.name))
            if len(holders[k]) > 1:
                k = f"{k}{SET_ASIDE}{row.id}"
        updates.append({"i": row.id, "k": k, "n": unicodedata.normalize("NFC", row.name).lower()})
    if updates:
        conn.execute(
            sa.text(f"UPDATE {table} SET {key} = :k, {norm} = :n WHERE id = :i"), updates
        )
    for k, rows_of_key in holders.items():
        if len(rows_of_key) > 1:
            _report(table, name, k, rows_of_key)


def _report(table: str, name: str, key: str, rows: list[tuple[str, str]]) -> None:
    (first_id, first_name), later = rows[0], rows[1:]
    log.warning(
        "%s.%s collision after NFC + case folding (key %r): %s %r keeps the name; %s keep a"
        " set-aside key (key + U+001F + id) until an admin renames or deletes one of them",
        table,
        name,
        key,
        first_id,
        first_name,
        ", ".join(f"{i} {n!r}" for i, n in later),
    )


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, (_, _, key, index, live_only) in TABLES.items():
        op.add_column(table, sa.Column(key, sa.Text(), nullable=False, server_default=""))
        op.drop_index(OLD_INDEXES[table], table_name=table)
        _backfill(table)
        if postgres:  # SQLite cannot drop a default without rebuilding the table (and its triggers)
            op.alter_column(table, key, server_default=None)
        where = sa.text("deleted_at IS NULL") if live_only else None
        op.create_index(
            index, table, [key], unique=True, sqlite_where=where, postgresql_where=where
        )


def downgrade() -> None:
    conn = op.get_bind()
    for table, (name, norm, key, index, live_only) in TABLES.items():
        op.drop_index(index, table_name=table)
        op.execute(f"ALTER TABLE {table} DROP COLUMN {key}")
        rows = conn.execute(sa.text(f"SELECT id, {name} AS name FROM {table}")).fetchall()
        if rows:
            conn.execute(
                sa.text(f"UPDATE {table} SET {norm} = :n WHERE id = :i"),
                [{"i": r.id, "n": r.name.lower()} for r in rows],
            )
        where = sa.text("deleted_at IS NULL") if live_only else None
        op.create_index(
            OLD_INDEXES[table], table, [norm], unique=True, sqlite_where=where,
            postgresql_where=where,
        )
