"""PostgreSQL numbers outbox events from a counter row, so a write holds the numbering lock
for one statement and its commit

Rule 20's events are numbered without gaps in commit order. On PostgreSQL a writer took an
advisory lock just before its commit, then read `max(seq)` and inserted `max + 1` in a second
statement (a statement that took the lock itself would read `max` from a snapshot older than
the lock), and sent its NOTIFY in a third: three round trips and three turns of a busy event
loop under the one lock every write needs, which made it the queue of PostgreSQL writes once
the live-user counter was sharded (0010b).

The counter row's own lock does the same job inside one statement: `UPDATE … RETURNING`
waits for the previous writer's commit and then reads the committed value, so the update, the
insert and the NOTIFY are one statement, and the lock is held until commit as before. SQLite,
one writer at a time, numbers with `max(seq) + 1` as before; a trigger keeps its counter equal
to the last number, so the row is exact on both engines.

Revision ID: 0010c
Revises: 0010b
Create Date: 2026-12-07 02:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010c"
down_revision: str | None = "0010b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_TRIGGER = (
    "CREATE TRIGGER outbox_counter_follow AFTER INSERT ON outbox_events"
    " BEGIN UPDATE outbox_counter SET seq = NEW.seq WHERE id = 1 AND seq < NEW.seq; END"
)


def upgrade() -> None:
    op.create_table(
        "outbox_counter",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute(
        "INSERT INTO outbox_counter (id, seq) SELECT 1, COALESCE(MAX(seq), 0) FROM outbox_events"
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS outbox_counter_follow")
    op.drop_table("outbox_counter")
