"""Rule 19's count and trip: asked before every destructive IdP write.

Every destructive write (deactivating an active user, deleting a user, removing members from
a group that grants roles) takes the transaction lock `GUARD_LOCK`, so the count is shared by
every worker and only one transaction trips the guard: on PostgreSQL an advisory lock, on
SQLite the one writer lock a write transaction already holds. A write the window still allows
is counted and applied; the write that would exceed the threshold trips the guard and is held,
as is every destructive write after it until an admin releases or discards them.
"""

from __future__ import annotations

from enum import StrEnum

from app.db import Tx
from app.domain.clock import iso_in, now_iso
from app.domain.guard import store
from app.domain.guard.model import DestructiveWrite, GuardSettings, GuardState

GUARD_LOCK = "deprovisioning_guard"
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
    if tx.dialect.name == "postgresql":  # a switched-off guard takes no lock
        settings, _, _ = await store.read_guard(tx)
        if not settings.enabled:
            return Verdict.APPLY
    await tx.lock(GUARD_LOCK)  # SQLite: the write transaction already holds the writer lock
    settings, state, _ = await store.read_guard(tx)  # what the lock's last holder committed
    if not settings.enabled:
        return Verdict.APPLY
    if state is GuardState.TRIPPED:
        await store.hold(tx, write)
        return Verdict.HOLD
    since = window_start(settings)
    counted, deleted, version = await store.count_window(tx, since)
    # Deletes in the window left the live count: count them as the population they were.
    live = await store.live_idp_users(tx, version) + deleted
    if counted + 1 > settings.threshold(live):
        await store.write_state(tx, GuardState.TRIPPED, now_iso())
        await store.hold(tx, write)
        return Verdict.TRIP
    await store.add_counted(tx, write.kind)
    return Verdict.APPLY


def trip_detail(settings: GuardSettings, threshold: int) -> str:
    """The provisioning event detail of the write that tripped the guard."""
    return (
        f"{TRIP_DETAIL}: more than {threshold} destructive writes within"
        f" {settings.window_minutes} minutes; this write and the destructive ones after it are"
        " held until an admin releases or discards them"
    )
