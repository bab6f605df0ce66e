"""`Tx.lock`: what each engine guarantees, and the interleavings the owner rule relies on.

PostgreSQL: a transaction-scoped advisory lock, waited for by every other transaction asking
the same name, released at commit or rollback, with READ COMMITTED so a statement after the
lock sees what its previous holder committed. SQLite: a write transaction holds the single
writer lock from BEGIN IMMEDIATE to its end, so the lock has nothing to add.
The interleavings are driven by hand on separate pooled connections (PostgreSQL only: on
SQLite one process runs one transaction at a time).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from app.db import Database, Tx
from app.domain.access.roles import count_active_owners, grant_roles
from app.domain.groups.service import add_group_members, create_group, remove_group_members
from app.domain.types import SYSTEM
from app.domain.users.provisioning import ProvisionedUser, provision_update_user
from app.domain.users.service import UserCreate, create_user, set_user_status
from app.errors import DatabaseUnavailable, LastOwner
from app.settings import Settings
from tests.domain.test_pool import _every_connection_is_clean
from tests.support import owner, scim_actor

PAUSE = 0.3  # long enough for a waiting statement to show it waits, on a loaded machine


def _postgres(db: Database) -> None:
    if db.kind != "postgresql":
        pytest.skip("interleaved transactions need PostgreSQL's pool")


@asynccontextmanager
async def _open(db: Database) -> AsyncIterator[tuple[Tx, asyncio.Event]]:
    """A transaction left open on its own task until the yielded event is set."""
    ready: asyncio.Queue[Tx] = asyncio.Queue()
    done = asyncio.Event()

    async def hold() -> None:
        async with db.transaction() as tx:
            await ready.put(tx)
            await done.wait()

    task = asyncio.create_task(hold())
    try:
        yield await ready.get(), done
    finally:
        done.set()
        await task


async def _blocked(work: Awaitable[Any]) -> asyncio.Task[Any]:
    """Start ``work`` and check that it is still waiting after a pause."""
    task = asyncio.ensure_future(work)
    await asyncio.sleep(PAUSE)
    assert not task.done(), "expected the statement to wait for the lock"
    return task


async def _in_tx(db: Database, work: Callable[[Tx], Awaitable[Any]]) -> Any:
    async with db.transaction() as tx:
        return await work(tx)


async def test_postgres_lock_waits_for_the_holder_and_ends_with_its_transaction(
    clean_db: Database,
) -> None:
    _postgres(clean_db)
    async with _open(clean_db) as (first, done):
        await first.lock("race")
        assert await first.fetchval("SHOW transaction_isolation") == "read committed"
        await _in_tx(clean_db, lambda tx: tx.lock("another name"))  # other names do not wait
        waiting = await _blocked(_in_tx(clean_db, lambda tx: tx.lock("race")))
        done.set()
    await asyncio.wait_for(waiting, 10)
    with pytest.raises(RuntimeError):  # a rollback releases it too
        async with clean_db.transaction() as tx:
            await tx.lock("race")
            raise RuntimeError
    await _in_tx(clean_db, lambda tx: tx.lock("race"))
    await _every_connection_is_clean(clean_db)  # no advisory lock outlives its transaction


async def test_sqlite_write_transactions_hold_the_writer_lock_throughout(
    settings: Settings, clean_db: Database
) -> None:
    if clean_db.kind != "sqlite":
        pytest.skip("SQLite's writer lock")
    other = Database(settings.model_copy(update={"sqlite_busy_timeout_ms": 50}))
    try:
        async with clean_db.transaction() as tx:
            await tx.lock("race")
            await tx.fetchval("SELECT 1")  # a read only: the lock is held since BEGIN
            with pytest.raises(DatabaseUnavailable):  # another process could not write now
                async with other.transaction() as elsewhere:
                    await elsewhere.lock("race")
        async with other.transaction() as elsewhere:
            await elsewhere.lock("race")
        with pytest.raises(RuntimeError, match="write transaction"):
            async with clean_db.transaction(write=False) as tx:
                await tx.lock("race")
    finally:
        await other.close()


async def _two_users(db: Database) -> tuple[str, str]:
    """A (an OWNER) and X (no role yet)."""
    async with db.transaction() as tx:
        a = await create_user(tx, actor=SYSTEM, data=UserCreate("a@x.com"))
        x = await create_user(tx, actor=SYSTEM, data=UserCreate("x@x.com"))
        await grant_roles(tx, actor=SYSTEM, roles=["OWNER"], user_ids=[a.id])
    return a.id, x.id


async def _active_owners(db: Database) -> int:
    async with db.transaction(write=False) as tx:
        return await count_active_owners(tx)


async def test_scim_deactivation_rechecks_owners_after_a_grant_it_did_not_see(
    clean_db: Database,
) -> None:
    """SCIM deactivates X (no OWNER at its check); meanwhile OWNER is granted to X's group and
    the other OWNER deactivates itself, counting on X. The last OWNER's deactivation must wait
    for the SCIM write and then fail."""
    _postgres(clean_db)
    a, x = await _two_users(clean_db)
    async with clean_db.transaction() as tx:
        group = await create_group(tx, actor=SYSTEM, display_name="g")
        await add_group_members(tx, actor=SYSTEM, group_id=group.id, user_ids=[x])
    off = ProvisionedUser(active=False, touch=frozenset({"active"}))
    async with _open(clean_db) as (scim, done):
        await provision_update_user(scim, actor=scim_actor(), user_id=x, data=off)
        await _in_tx(  # the grant touches the group's row, not X's: nothing makes it wait
            clean_db,
            lambda tx: grant_roles(tx, actor=SYSTEM, roles=["OWNER"], group_ids=[group.id]),
        )
        leaving = await _blocked(
            _in_tx(
                clean_db,
                lambda tx: set_user_status(tx, actor=owner(a), user_id=a, active=False, reason="r"),
            )
        )
        done.set()
    with pytest.raises(LastOwner):
        await asyncio.wait_for(leaving, 10)
    assert await _active_owners(clean_db) == 1


async def test_a_grant_to_a_group_waits_for_a_member_removal_in_progress(
    clean_db: Database,
) -> None:
    """Removing X from G (no OWNER: no check) while OWNER is granted to G: the grant waits for
    the removal (its foreign key locks G's row, which the removal holds), so X is never an
    OWNER the removal did not account for."""
    _postgres(clean_db)
    _, x = await _two_users(clean_db)
    async with clean_db.transaction() as tx:
        group = await create_group(tx, actor=SYSTEM, display_name="g")
        await add_group_members(tx, actor=SYSTEM, group_id=group.id, user_ids=[x])
    async with _open(clean_db) as (removal, done):
        await remove_group_members(removal, actor=owner(), group_id=group.id, user_ids=[x])
        grant = await _blocked(
            _in_tx(
                clean_db,
                lambda tx: grant_roles(tx, actor=SYSTEM, roles=["OWNER"], group_ids=[group.id]),
            )
        )
        done.set()
    assert await asyncio.wait_for(grant, 10) == 1
    assert await _active_owners(clean_db) == 1  # A only: X left G before G held OWNER
