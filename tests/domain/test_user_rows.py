"""User rows map by position: USER_COLUMNS and row_to_user must agree, on both engines."""

from __future__ import annotations

import dataclasses

from app.db import Tx
from app.domain.types import UserLock
from app.domain.users.service import UserCreate, create_user
from app.domain.users.store import USER_COLUMNS, row_to_user
from tests.support import owner


async def test_row_to_user_reads_every_column_where_user_columns_puts_it(tx: Tx) -> None:
    made = await create_user(
        tx,
        actor=owner(),
        data=UserCreate(login_id="Ada@x.com", external_id="e-1", profile={"firstName": "Ada"}),
    )
    row = await tx.fetchrow(f"SELECT {USER_COLUMNS} FROM users WHERE id = :id", {"id": made.id})
    assert row is not None
    names = [c.strip() for c in USER_COLUMNS.split(",")]
    fields = [f.name for f in dataclasses.fields(row_to_user(row))]
    # The last field, the lock (rule 17), is read from the last four columns.
    assert (names[:-4], fields[-1]) == (fields[:-1], "lock")
    assert names[-4:] == ["lock_reason", "locked_by_id", "locked_at", "idp_active"]
    by_name = {name: row[name] for name in names}
    record = row_to_user(row)
    assert record == made
    assert (record.login_id, record.external_id, record.profile) == (
        by_name["login_id"],
        by_name["external_id"],
        {"firstName": "Ada"},
    )


async def test_row_to_user_reads_the_lock_from_its_four_columns(tx: Tx) -> None:
    made = await create_user(tx, actor=owner(), data=UserCreate(login_id="ada@x.com"))
    await tx.execute(
        "UPDATE users SET lock_reason = 'stolen', locked_by_id = 'a-1',"
        " locked_at = '2026-12-05T10:00:00.000000Z', idp_active = :t WHERE id = :id",
        {"t": True, "id": made.id},
    )
    row = await tx.fetchrow(f"SELECT {USER_COLUMNS} FROM users WHERE id = :id", {"id": made.id})
    assert row is not None
    assert row_to_user(row).lock == UserLock("stolen", "a-1", "2026-12-05T10:00:00.000000Z", True)
