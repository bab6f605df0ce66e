"""PostgreSQL pool connections come back clean without asyncpg's reset query.

Roster's pool skips the reset query (app.db: one round trip per request), which is safe only
while no request leaves session state behind and asyncpg still rolls back what a cancelled
request left open.
"""

from __future__ import annotations

import asyncio

import pytest

from app.db import Database
from app.domain.types import SYSTEM
from app.seeding import seed_users

SESSION_STATE = (
    "SELECT current_setting('jit') AS jit,"
    " (SELECT count(*) FROM pg_listening_channels()) AS channels,"
    " (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid())"
    " AS advisory, (SELECT count(*) FROM pg_cursors WHERE name <> '') AS cursors,"  # '': this query
    " txid_current_if_assigned() AS xid"
)


class _Undo(Exception):
    pass


async def _every_connection_is_clean(db: Database) -> None:
    size = db.pool_stats()["size"]
    held = [await db.pool.acquire() for _ in range(size)]
    try:
        for conn in held:
            row = await conn.fetchrow(SESSION_STATE)
            assert dict(row) == {
                "jit": "off", "channels": 0, "advisory": 0, "cursors": 0, "xid": None,
            }  # fmt: skip
    finally:
        for conn in held:
            await db.pool.release(conn)


async def test_a_cancelled_transaction_is_rolled_back_and_leaves_no_state(
    clean_db: Database,
) -> None:
    if clean_db.kind != "postgresql":
        pytest.skip("the pool is PostgreSQL's")
    entered = asyncio.Event()

    async def stuck() -> None:
        async with clean_db.transaction() as tx:
            await seed_users(tx, actor=SYSTEM, count=5, prefix="cancelled-")
            tx.notify("roster_test", "never")
            entered.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(stuck())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(_Undo):
        async with clean_db.transaction() as tx:
            async with tx.savepoint():
                await seed_users(tx, actor=SYSTEM, count=5, prefix="undone-")
            raise _Undo
    async with clean_db.transaction(write=False) as tx:
        assert await tx.fetchval("SELECT count(*) FROM users") == 0
    await _every_connection_is_clean(clean_db)
