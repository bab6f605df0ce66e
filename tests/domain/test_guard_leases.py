"""A process's leases of the guard's window count (rule 19, `app.domain.guard.leases`): spent
in memory until used up or expired, then settled once, even when the pool is exhausted; the
size a lease may take."""

from __future__ import annotations

import asyncio
import time

import pytest

from app.db import Database
from app.domain.clock import iso_in
from app.domain.guard.leases import (
    LEASE_MAX,
    LEASE_MIN,
    Lease,
    LeaseBook,
    Spent,
    book_of,
    lease_size,
)
from app.guard_task import settle_due


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(time, "monotonic", c)  # the module reads time.monotonic()
    return c


def test_a_lease_is_spent_until_used_up_then_due_once(clock: Clock) -> None:
    book = LeaseBook()
    assert book.spend(delete=False) is Spent.NONE  # nothing leased
    lease = Lease("a", 3, clock.now + 0.25, used=1)  # its grant's own write
    book.add(lease)
    spent = [book.spend(delete=False, refill=False), book.spend(delete=True, refill=False)]
    assert spent == [Spent.SPENT, Spent.SPENT]
    assert book.spend(delete=False) is Spent.NONE
    assert (lease.used, lease.deletes) == (3, 1)
    assert book.due() == [lease]
    assert book.due() == [lease]  # until its settlement commits
    book.settled(["a"])
    assert book.due() == []


def test_an_expired_lease_is_not_spent_and_is_due(clock: Clock) -> None:
    book = LeaseBook()
    lease = Lease("b", 10, clock.now + 0.25, used=1)
    book.add(lease)
    assert book.due() == []  # open, not spent: nothing to settle yet
    clock.now += 0.25
    assert book.spend(delete=False) is Spent.NONE
    assert lease.used == 1 and book.due() == [lease]


def test_the_oldest_lease_is_spent_first_and_close_all_stops_every_one(clock: Clock) -> None:
    book = LeaseBook()
    old, new = Lease("o", 5, clock.now + 0.25, used=1), Lease("n", 5, clock.now + 0.25, used=1)
    book.add(old)
    book.add(new)
    assert book.spend(delete=False) is Spent.SPENT and (old.used, new.used) == (2, 1)
    assert sorted(x.id for x in book.close_all()) == ["n", "o"]
    assert book.spend(delete=False) is Spent.NONE


def test_one_write_is_asked_to_take_the_next_lease_when_they_run_low(clock: Clock) -> None:
    book = LeaseBook()
    book.add(Lease("a", 8, clock.now + 0.25, used=1))
    spent = [book.spend(delete=False) for _ in range(5)]  # 7, then 2 left of 8: low
    assert spent == [Spent.SPENT] * 4 + [Spent.REFILL]
    assert book.spend(delete=False) is Spent.SPENT  # asked once
    clock.now += 0.25 - 0.01
    book.add(Lease("b", 8, clock.now + 0.25, used=0))  # the next lease came
    assert book.spend(delete=False) is Spent.SPENT  # the old lease's last write
    clock.now += 0.2  # a quarter of the new lease's time left: low again
    assert book.spend(delete=False) is Spent.REFILL
    assert book.spend(delete=False, refill=False) is Spent.SPENT  # e.g. a Bulk request


def test_a_lease_takes_a_quarter_of_what_is_left_within_bounds() -> None:
    assert lease_size(0, 1_000_000) == LEASE_MAX
    assert lease_size(0, 100) == 25
    assert lease_size(60, 100) == 10
    assert lease_size(100 - 4 * LEASE_MIN, 100) == LEASE_MIN
    assert lease_size(100 - 4 * LEASE_MIN + 1, 100) == 0  # near the threshold: no lease
    assert lease_size(100, 100) == 0


async def test_a_lease_settles_while_every_pooled_connection_is_taken(
    clean_db: Database,
) -> None:
    # A write at the threshold waits under the guard's lock for other workers' leases to be
    # settled, and their requests may hold every pooled connection while they queue on that
    # lock: settling uses a connection of its own.
    if clean_db.kind != "postgresql":
        pytest.skip("the pool is PostgreSQL's")
    async with clean_db.transaction() as tx:
        await tx.execute(
            "INSERT INTO guard_leases (id, granted, used, deletes, settled, at, expires_at)"
            " VALUES ('x', 10, 0, 0, false, :at, :at)",
            {"at": iso_in(0)},
        )
    book_of(clean_db.cache).add(Lease("x", 10, time.monotonic() - 1, used=3))  # expired
    held = [await clean_db.pool.acquire() for _ in range(clean_db.settings.db_pool_max)]
    try:
        await asyncio.wait_for(settle_due(clean_db), 5)
    finally:
        for conn in held:
            await clean_db.pool.release(conn)
    async with clean_db.transaction() as tx:
        row = await tx.fetchrow("SELECT used, settled FROM guard_leases WHERE id = 'x'")
    assert row is not None and (row[0], row[1]) == (3, True)
    assert book_of(clean_db.cache).due() == []
