"""Rule 19's count and trip: asked before every destructive IdP write.

Every destructive write (deactivating an active user, deleting a user, removing members from
a group that grants roles) is counted in the window, and the count is shared by every worker:
only one transaction trips the guard, and exactly the writes beyond the threshold are held.
Far below the threshold a PostgreSQL write counts itself on its connection's shard in one
round trip (`counts.count_far`) and queues behind no other; near the threshold, once tripped,
and on SQLite (whose write transactions already hold the one writer lock) it is judged under
the guard's full lock, which sees every counted write (`counts.read_locked`). A write the
window still allows is counted and applied; the write that would exceed the threshold trips
the guard and is held, as is every destructive write after it until an admin releases or
discards them. Statements per write: `tests/scim/test_guard_statements.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.db import Tx
from app.domain.clock import iso_in, now_iso
from app.domain.guard import counts, store
from app.domain.guard.counts import Far
from app.domain.guard.model import DestructiveWrite, GuardSettings, GuardState

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
    ``alone``: the transaction judges no other write (a single SCIM request), so it may count
    far below the threshold on a shard: the margin allows one write in flight per shard, and
    a transaction that holds a shard must not wait for the full lock (which waits for it)."""
    far = alone and tx.dialect.name == "postgresql"
    if far and await counts.count_far(tx, write.kind) is not Far.ASK:
        return Judged(Verdict.APPLY)
    locked = await counts.read_locked(tx)
    if locked is None or not locked.settings.enabled:  # no row: the migration writes it
        return Judged(Verdict.APPLY)
    if locked.state is GuardState.TRIPPED:
        await store.hold(tx, write)
        return Judged(Verdict.HOLD)
    count, deletes = locked.count, locked.deletes
    since = window_start(locked.settings)
    if locked.oldest is not None and locked.oldest < since:
        gone, gone_deletes = await counts.expire(tx, since)
        count, deletes = count - gone, deletes - gone_deletes
    # Deletes in the window left the live count: count them as the population they were.
    live = await counts.live_idp_users(tx, locked.live_version) + deletes
    threshold = locked.settings.threshold(live)
    if count + 1 <= threshold:
        await counts.count_locked(tx, write.kind)
        return Judged(Verdict.APPLY)
    await store.write_state(tx, GuardState.TRIPPED, now_iso())
    await store.hold(tx, write)
    return Judged(Verdict.TRIP, trip_detail(locked.settings, threshold))


def trip_detail(settings: GuardSettings, threshold: int) -> str:
    """The provisioning event detail of the write that tripped the guard."""
    return (
        f"{TRIP_DETAIL}: more than {threshold} destructive writes within"
        f" {settings.window_minutes} minutes; this write and the destructive ones after it are"
        " held until an admin releases or discards them"
    )
