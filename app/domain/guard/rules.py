"""Rule 19's count and trip: asked before every destructive IdP write.

Every destructive write (deactivating an active user, deleting a user, removing members from
a group that grants roles) is counted in the window, and the count is shared by every worker:
only one transaction trips the guard, and exactly the writes beyond the threshold are held.
Far below the threshold a process spends a lease (`app.domain.guard.leases`; PostgreSQL, and
SQLite with one worker): a block of writes it reserved under the guard's full lock, spent in
memory with no statement.
Every other write is judged under the full lock (`counts.read_locked`), which sees every
counted write and every lease: a write the window still allows is counted and applied (and
takes a lease when far enough below the threshold); the write that would exceed it waits for
open leases to settle, so that unspent reservations do not trip the guard early, then trips
it and is held, as is every destructive write after it until an admin releases or discards
them. Statements per write: `tests/scim/test_guard_statements.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.db import Tx
from app.domain.clock import iso_in, now_iso
from app.domain.guard import counts, leases, store
from app.domain.guard.counts import Window
from app.domain.guard.leases import Spent
from app.domain.guard.model import DestructiveWrite, GuardSettings, GuardState, HeldKind

TRIP_DETAIL = "deprovisioning guard tripped"


class Verdict(StrEnum):
    """What becomes of a destructive write."""

    APPLY = "APPLY"
    HOLD = "HOLD"  # the guard had tripped: held
    TRIP = "TRIP"  # this write tripped the guard: held


@dataclass(frozen=True, slots=True)
class Judged:
    """A verdict, and for TRIP the event detail with the threshold the write was judged by."""

    verdict: Verdict
    detail: str | None = None


def window_start(settings: GuardSettings) -> str:
    """The earliest time a counted write still counts."""
    return iso_in(-settings.window_minutes / 1440)


async def judge(tx: Tx, write: DestructiveWrite, *, alone: bool = False) -> Judged:
    """Count ``write`` and apply it, or hold it (storing it durably, or joining the held entry
    of the same write). Call it before applying the write, inside the write's transaction.
    ``alone``: the transaction judges no other write (a single SCIM request), so it may take a
    lease: a lease can be spent only once its grant commits, and a later write of the same
    transaction that found the threshold near would wait for it to settle."""
    book = leases.book_for(tx)
    if book is not None and await _from_lease(tx, book, write, alone=alone):
        return Judged(Verdict.APPLY)
    locked = await counts.read_locked(tx, book)
    if locked is None or not locked.settings.enabled:  # no row: the migration writes it
        return Judged(Verdict.APPLY)
    if locked.state is GuardState.TRIPPED:
        await store.hold(tx, write)
        return Judged(Verdict.HOLD)
    count, threshold = await _measure(tx, locked.settings, locked.window)
    if count + 1 > threshold and locked.window.leased:
        window = await counts.await_leases(tx, book, locked.window)
        count, threshold = await _measure(tx, locked.settings, window)
    if count + 1 <= threshold:
        size = leases.lease_size(count, threshold)
        if alone and book is not None and size:
            await counts.grant(tx, book, size, write.kind)
        else:
            await counts.count_locked(tx, write.kind)
        return Judged(Verdict.APPLY)
    await store.write_state(tx, GuardState.TRIPPED, now_iso())
    await store.hold(tx, write)
    return Judged(Verdict.TRIP, trip_detail(locked.settings, threshold))


async def _from_lease(
    tx: Tx, book: leases.LeaseBook, write: DestructiveWrite, *, alone: bool
) -> bool:
    """Whether the write needs nothing more: it spent one of this process's leases
    (and took the next one if that ran low), or the guard is switched off (one statement, no
    lock: a switched-off guard must not serialise writes)."""
    spent = book.spend(write.kind is HeldKind.DELETE_USER, refill=alone)
    if spent is Spent.REFILL:
        await _refill(tx, book)
    return spent is not Spent.NONE or not await counts.enabled(tx)


async def _refill(tx: Tx, book: leases.LeaseBook) -> None:
    """Take this process's next lease while its last one still has writes left (the write
    asking is counted on that one): under the full lock, if still far below the threshold."""
    locked = await counts.read_locked(tx, book)
    if locked is None or not locked.settings.enabled or locked.state is GuardState.TRIPPED:
        return
    count, threshold = await _measure(tx, locked.settings, locked.window)
    size = leases.lease_size(count, threshold)
    if size:
        await counts.grant(tx, book, size, None)


async def _measure(tx: Tx, settings: GuardSettings, window: Window) -> tuple[int, int]:
    """The window's count once its expired writes are forgotten, and the threshold."""
    count, deletes = window.count, window.deletes
    since = window_start(settings)
    if window.oldest is not None and window.oldest < since:
        gone, gone_deletes = await counts.expire(tx, since)
        count, deletes = count - gone, deletes - gone_deletes
    # Deletes in the window left the live count: count them as the population they were.
    live = await counts.live_idp_users(tx, window.live_version) + deletes
    return count, settings.threshold(live)


def trip_detail(settings: GuardSettings, threshold: int) -> str:
    """The provisioning event detail of the write that tripped the guard."""
    return (
        f"{TRIP_DETAIL}: more than {threshold} destructive writes within"
        f" {settings.window_minutes} minutes; this write and the destructive ones after it are"
        " held until an admin releases or discards them"
    )
