"""Leases of the guard's window count (rule 19): a process far below the threshold reserves a
block of destructive writes at once and spends it in memory, with no statement per write.

A lease is taken under the guard's full lock (`rules.judge`), as a row of `guard_leases` that
counts as every write it grants until it is settled, so whatever the process spends stays
within the threshold. The process spends it for `LEASE_SECONDS` at most, then settles it (how
many it spent), in the background (`app.guard_task`) or in its next transaction that takes
the full lock; the full lock then counts it as spent from the time it settled (later than
each of its writes: a write counts at least the whole window). A write that spent a slot and
then rolled back stays counted: the count errs on the side of caution.

Leases are taken on PostgreSQL, and on SQLite when the process is its database's only writer
(one worker: `app.guard_task.start`). A write the window would refuse while leases are open
waits for them to settle under the full lock (`counts.await_leases`); on SQLite that lock is
the one writer lock, which another worker would need to settle its leases, so with several
SQLite workers every write is judged under the full lock instead.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import Enum

from app.db import Tx
from app.db.cache import CacheKey, ProcessCache

LEASE_MAX = 64  # writes one lease grants at most
LEASE_MIN = 8  # nearer the threshold than 4 x this, every write is judged under the full lock
LEASE_SECONDS = 0.25  # a lease is spent for this long at most, then settled
# An open lease this long past its expiry belongs to a process that died: it counts as every
# write it granted, and nothing waits for it any more.
GRACE_SECONDS = 2.0


class Spent(Enum):
    """What `LeaseBook.spend` did."""

    NONE = "none"  # no open lease had a write left: judge under the full lock
    SPENT = "spent"  # counted on a lease
    REFILL = "refill"  # counted on a lease, which is running low: take the next one now


@dataclass(slots=True)
class Lease:
    """One lease as its process spends it."""

    id: str
    granted: int
    expires: float  # time.monotonic() after which it is not spent any more
    used: int = 0
    deletes: int = 0  # user deletes among the writes used


class LeaseBook:
    """This process's leases: open ones (spent by `spend`), then closed ones until settled."""

    __slots__ = ("_closed", "_open", "_refill_at")

    def __init__(self) -> None:
        self._open: list[Lease] = []
        self._closed: dict[str, Lease] = {}
        self._refill_at = 0.0  # when a write last went to take the next lease

    def add(self, lease: Lease) -> None:
        """A lease whose grant committed."""
        self._open.append(lease)
        self._refill_at = 0.0

    def spend(self, delete: bool, *, refill: bool = True) -> Spent:
        """Count one destructive write (``delete``: a user delete) on an open lease, the oldest
        first. When the open leases run low (a quarter of the newest one's writes left, or a
        quarter of its time), one write that may take a lease (``refill``) is asked to take
        the next one, so that the process's other writes do not all queue on the full lock
        when they run out; asked again LEASE_SECONDS later if no lease came of it (near the
        threshold none does)."""
        now = time.monotonic()
        while self._open:
            lease = self._open[0]  # the oldest first: it expires first
            if now >= lease.expires or lease.used >= lease.granted:
                self._close(lease)
                continue
            lease.used += 1
            lease.deletes += int(delete)
            newest = self._open[-1]
            left = sum(x.granted - x.used for x in self._open)
            low = left * 4 <= newest.granted or now >= newest.expires - LEASE_SECONDS / 4
            if refill and low and now - self._refill_at >= LEASE_SECONDS:
                self._refill_at = now
                return Spent.REFILL
            return Spent.SPENT
        return Spent.NONE

    def due(self) -> list[Lease]:
        """The leases to settle: closed ones, and open ones that are spent or expired (which
        this closes)."""
        now = time.monotonic()
        for lease in [x for x in self._open if now >= x.expires or x.used >= x.granted]:
            self._close(lease)
        return list(self._closed.values())

    def close_all(self) -> list[Lease]:
        """Stop spending every lease (the process stops); returns the leases to settle."""
        for lease in list(self._open):
            self._close(lease)
        return self.due()

    def settled(self, ids: list[str]) -> None:
        """Forget leases whose settlement committed."""
        for lease_id in ids:
            self._closed.pop(lease_id, None)

    def _close(self, lease: Lease) -> None:
        self._open.remove(lease)
        self._closed[lease.id] = lease


BOOK: CacheKey[LeaseBook] = CacheKey("guard_lease_book")


def book_of(cache: ProcessCache) -> LeaseBook:
    """The process's lease book for one Database."""
    book = cache.get(BOOK)
    if book is None:
        book = LeaseBook()
        cache.put(BOOK, book)
    return book


def book_for(tx: Tx) -> LeaseBook | None:
    """The process's lease book where it takes leases: always on PostgreSQL, on SQLite only
    once `book_of` declared this process the database's only writer."""
    return book_of(tx.cache) if tx.dialect.name == "postgresql" else tx.cache.get(BOOK)


def lease_size(count: int, threshold: int) -> int:
    """How many writes a lease may grant with ``count`` counted: a quarter of what is left
    below the threshold, at most LEASE_MAX; 0 (no lease) below LEASE_MIN."""
    size = min(LEASE_MAX, (threshold - count) // 4)
    return size if size >= LEASE_MIN else 0
