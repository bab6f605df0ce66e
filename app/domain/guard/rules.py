"""Rule 19's count and trip: asked before every destructive IdP write.

Every destructive write (deactivating an active user, deleting a user, removing members from
a group that grants roles) is counted against the guard's row, whose lock it then holds to its
commit (on PostgreSQL a row lock, taken by the statement that counts; on SQLite the one writer
lock a write transaction already holds), so the count is shared by every worker and only one
transaction trips the guard. A write the window still allows is counted and applied; the write
that would exceed the threshold trips the guard and is held, as is every destructive write
after it until an admin releases or discards them. Below the threshold this costs one
statement on PostgreSQL and three on SQLite (`tests/scim/test_guard_statements.py`).
"""

from __future__ import annotations

from enum import StrEnum

from app.db import Tx
from app.domain.clock import iso_in, now_iso
from app.domain.guard import store
from app.domain.guard.model import DestructiveWrite, GuardSettings, GuardState, HeldKind

TRIP_DETAIL = "deprovisioning guard tripped"


class Verdict(StrEnum):
    """What becomes of a destructive write."""

    APPLY = "APPLY"
    HOLD = "HOLD"  # the guard had tripped: held
    TRIP = "TRIP"  # this write tripped the guard: held


def window_start(settings: GuardSettings) -> str:
    """The earliest time a counted write still counts."""
    return iso_in(-settings.window_minutes / 1440)


async def judge(tx: Tx, write: DestructiveWrite) -> Verdict:
    """Count ``write`` and apply it, or hold it (storing it durably, or joining the held entry
    of the same write). Call it before applying the write, inside the write's transaction."""
    enabled, counted = await store.count_write(tx, write.kind)
    if not enabled:  # a switched-off guard takes no lock
        return Verdict.APPLY
    if counted is None:  # tripped, or changed while this waited: ask under the lock
        settings, state, _ = await store.read_guard(tx, lock=True)
        if not settings.enabled:
            return Verdict.APPLY
        if state is GuardState.TRIPPED:
            await store.hold(tx, write)
            return Verdict.HOLD
        enabled, counted = await store.count_write(tx, write.kind)  # armed, and ours now
        if counted is None:  # no guard row (the migration writes it): nothing to count on
            return Verdict.APPLY
    return await _within(tx, write, counted)


async def _within(tx: Tx, write: DestructiveWrite, counted: store.Counted) -> Verdict:
    """APPLY if the window still allows ``counted``; else take the count back, trip, hold."""
    count, deletes = counted.count, counted.deletes
    since = window_start(counted.settings)
    if counted.oldest is not None and counted.oldest < since:
        gone, gone_deletes = await store.expire(tx, since)
        count, deletes = count - gone, deletes - gone_deletes
    # Deletes in the window left the live count: count them as the population they were
    # (this write's own delete has not happened yet).
    before = deletes - int(write.kind is HeldKind.DELETE_USER)
    live = await store.live_idp_users(tx, counted.live_version) + before
    if count <= counted.settings.threshold(live):
        return Verdict.APPLY
    await store.uncount(tx, counted, write.kind)
    await store.write_state(tx, GuardState.TRIPPED, now_iso())
    await store.hold(tx, write)
    return Verdict.TRIP


def trip_detail(settings: GuardSettings, threshold: int) -> str:
    """The provisioning event detail of the write that tripped the guard."""
    return (
        f"{TRIP_DETAIL}: more than {threshold} destructive writes within"
        f" {settings.window_minutes} minutes; this write and the destructive ones after it are"
        " held until an admin releases or discards them"
    )
