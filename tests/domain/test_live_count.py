"""The live-user counter behind unfiltered totals stays exact on every write path, and on
PostgreSQL concurrent writers of users do not queue on it (migration 0010b)."""

from __future__ import annotations

import pytest

from app.db import Database, ProcessCache, Tx
from app.db.drivers import PgTx
from app.domain.directory import TRUE, search_users
from app.domain.types import SYSTEM
from app.domain.users.provisioning import (
    ProvisionedUser,
    provision_create_user,
    provision_delete_user,
)
from app.domain.users.service import UserCreate, create_user, delete_user, restore_user
from app.seeding import seed_users
from tests.support import counting, owner, scim_actor


async def _counts(tx: Tx) -> tuple[int, int, int | None]:
    counter = await tx.fetchval("SELECT SUM(live_users) FROM live_user_counts")
    actual = await tx.fetchval("SELECT COUNT(*) FROM users WHERE deleted_at IS NULL")
    total, _ = await search_users(tx, where=TRUE, limit=0)
    return int(counter), int(actual), total


async def test_counter_follows_creates_deletes_restores_and_bulk_loads(tx: Tx) -> None:
    assert await _counts(tx) == (0, 0, 0)
    local = await create_user(tx, actor=owner(), data=UserCreate(login_id="a@x.com"))
    idp, _ = await provision_create_user(
        tx, actor=scim_actor(), data=ProvisionedUser(login_id="b@x.com", external_id="b")
    )
    await seed_users(tx, actor=SYSTEM, count=25, prefix="c-")
    assert await _counts(tx) == (27, 27, 27)
    await delete_user(tx, actor=owner(), user_id=local.id)
    await provision_delete_user(tx, actor=scim_actor(), user_id=idp.id)
    assert await _counts(tx) == (25, 25, 25)
    await restore_user(tx, actor=owner(), user_id=local.id)
    await provision_create_user(
        tx, actor=scim_actor(), data=ProvisionedUser(login_id="b@x.com", external_id="b")
    )
    assert await _counts(tx) == (27, 27, 27)
    await tx.execute("DELETE FROM users WHERE login_id = 'c-0@example.com'")
    assert await _counts(tx) == (26, 26, 26)


async def test_counter_follows_statements_that_write_many_rows(tx: Tx) -> None:
    await seed_users(tx, actor=SYSTEM, count=40, prefix="m-")
    await tx.execute(
        "UPDATE users SET deleted_at = updated_at"
        " WHERE login_id LIKE 'm-1%' OR login_id = 'm-2@example.com'"
    )
    assert await _counts(tx) == (28, 28, 28)
    # A statement that touches deleted_at without flipping it, and one that flips some back.
    await tx.execute("UPDATE users SET deleted_at = deleted_at WHERE login_id LIKE 'm-%'")
    await tx.execute("UPDATE users SET deleted_at = NULL WHERE login_id LIKE 'm-1%'")
    assert await _counts(tx) == (39, 39, 39)
    # A delete of live and soft-deleted rows together counts only the live ones.
    await tx.execute("DELETE FROM users WHERE login_id LIKE 'm-2%' OR login_id LIKE 'm-3%'")
    assert await _counts(tx) == (18, 18, 18)
    await tx.execute("DELETE FROM users")
    assert await _counts(tx) == (0, 0, 0)


async def test_seeding_inserts_a_batch_per_statement(
    tx: Tx, monkeypatch: pytest.MonkeyPatch
) -> None:
    with counting(monkeypatch) as seen:
        await seed_users(tx, actor=SYSTEM, count=2500, prefix="s-")
    inserts = [sql for sql in seen if sql.startswith("INSERT INTO users")]
    assert [sql.count("), (") + 1 for sql in inserts] == [1000, 1000, 500]
    assert await _counts(tx) == (2500, 2500, 2500)


async def test_unfiltered_pages_walk_the_directory_in_id_order(tx: Tx) -> None:
    ids = await seed_users(tx, actor=SYSTEM, count=30, prefix="p-")
    total, first = await search_users(tx, where=TRUE, offset=0, limit=10)
    _, last = await search_users(tx, where=TRUE, offset=25, limit=10)
    assert total == 30
    assert [u.id for u in first] == sorted(ids)[:10]
    assert [u.id for u in last] == sorted(ids)[25:]


async def test_deep_pages_use_checkpoints_and_see_changes(tx: Tx) -> None:
    from app.domain.directory import store as query

    ids = sorted(await seed_users(tx, actor=SYSTEM, count=2600, prefix="k-"))
    _, page = await search_users(tx, where=TRUE, offset=2100, limit=5)
    assert [u.id for u in page] == ids[2100:2105]
    await delete_user(tx, actor=owner(), user_id=ids[5])
    total, page = await search_users(tx, where=TRUE, offset=2100, limit=5)
    assert (total, [u.id for u in page]) == (2599, ids[2101:2106])
    assert query.CHECKPOINT_EVERY == 1000


async def test_on_postgresql_concurrent_user_inserts_do_not_wait_for_each_other(
    clean_db: Database,
) -> None:
    """Two transactions on connections of different shards each insert a user while the
    other is open; neither waits for the other's lock (with the counter in one row, the second
    waited until the first committed: here it would fail its one-second lock timeout)."""
    if clean_db.kind != "postgresql":
        pytest.skip("SQLite has one writer at a time: its writes queue by design")
    import asyncpg

    by_shard: dict[int, asyncpg.Connection] = {}
    spare: list[asyncpg.Connection] = []
    while len(by_shard) < 2:  # the backend's pid picks the shard
        conn = await asyncpg.connect(clean_db.settings.postgres_dsn)
        shard = int(await conn.fetchval("SELECT pg_backend_pid() % 16"))
        (spare if shard in by_shard else []).append(conn)
        by_shard.setdefault(shard, conn)
    first, second = by_shard.values()
    try:
        async with first.transaction():
            await seed_users(PgTx(first, ProcessCache()), actor=SYSTEM, count=3, prefix="a-")
            async with second.transaction():
                await second.execute("SET LOCAL lock_timeout = '1s'")
                await seed_users(PgTx(second, ProcessCache()), actor=SYSTEM, count=2, prefix="b-")
        async with clean_db.transaction() as tx:
            assert await _counts(tx) == (5, 5, 5)
    finally:
        for conn in [*by_shard.values(), *spare]:
            await conn.close()
