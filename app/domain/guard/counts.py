"""All of the SQL of the guard's window count (rule 19): its shards, the live population.

The count of destructive writes applied within the window is split over `guard_shards`
(migration 0009d): shard 0 is counted under the guard's full lock, shards 1 to `SHARDS` by
PostgreSQL connections far below the threshold, one round trip each (`count_far`, the SQL
function `roster_guard_count`), each on its backend's shard, so such writes do not queue on
one row lock held to their commits. Each `guard_counted` row names the shard that counted it.

The full lock (`read_locked`) is the guard row's lock and then, on PostgreSQL, every shard's
in order: it waits for the writes counted on shards to commit, so what it reads is exact. On
SQLite a write transaction already holds the one writer lock, and shard 0 is the only one.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from enum import IntEnum

from app.db import Tx
from app.db.cache import CacheKey
from app.domain.clock import new_id, now_iso
from app.domain.guard.model import GuardSettings, GuardState, HeldKind

SHARDS = 16  # shards 1..SHARDS for writes far below the threshold (the function's margin)
LOCKED_SHARD = 0  # counted under the full lock

# (live_version, monotonic time, count): the count is read again when the set of live users
# changed (service_state.live_version, bumped by triggers) or after LIVE_TTL seconds.
LIVE_IDP: CacheKey[tuple[int, float, int]] = CacheKey("guard_live_idp_users")
LIVE_TTL = 60.0


class Far(IntEnum):
    """What `count_far` did (the values `roster_guard_count` returns)."""

    OFF = 0  # the guard is switched off: apply, uncounted
    COUNTED = 1  # counted on this connection's shard, far below the threshold: apply
    ASK = 2  # nothing done: ask under the full lock (`read_locked`)


@dataclass(frozen=True, slots=True)
class Locked:
    """The guard as its full lock sees it: settings, state and the window's exact count."""

    settings: GuardSettings
    state: GuardState
    count: int  # writes counted, older ones included until `expire` forgets them
    deletes: int  # user deletes among them
    live_version: int  # service_state.live_version (`live_idp_users`)
    oldest: str | None  # when the oldest counted write was applied


async def live_idp_users(tx: Tx, version: int | None = None) -> int:
    """Live (not deleted) users owned by an IdP: counted once per change of the live set (a
    deactivation storm does not change it), not on every destructive write. ``version``: the
    live set's version if already read."""
    if version is None:
        version = int(await tx.fetchval("SELECT live_version FROM service_state WHERE id = 1") or 0)
    cached = tx.cache.get(LIVE_IDP)
    if cached is not None and cached[0] == version and time.monotonic() - cached[1] < LIVE_TTL:
        return cached[2]
    count = int(
        await tx.fetchval(
            "SELECT COUNT(*) FROM users WHERE deleted_at IS NULL AND auth_provider <> 'LOCAL'"
        )
        or 0
    )
    entry = (version, time.monotonic(), count)
    tx.after_commit(lambda: tx.cache.put(LIVE_IDP, entry))
    return count


async def count_far(tx: Tx, kind: HeldKind) -> Far:
    """PostgreSQL: count one destructive write on this connection's shard if the guard is on,
    armed and, with a margin of one write per other shard, within its threshold; one round
    trip. The live population is this process's cached one, used whatever its age while its
    version is current (ASK when there is none or the live set changed since: the full lock
    counts it again), so a deactivation storm never waits for a recount."""
    cached = tx.cache.get(LIVE_IDP)  # however old: the function checks its version
    far = await tx.fetchval(
        "SELECT roster_guard_count(:id, :at, :k, :v, :live)",
        {
            "id": new_id(),
            "at": now_iso(),
            "k": kind.value,
            "v": cached[0] if cached is not None else None,
            "live": cached[2] if cached is not None else None,
        },
    )
    return Far(int(far))


_LOCK_GUARD_PG = (
    "SELECT enabled, percent, minimum, window_minutes, state FROM deprovisioning_guard"
    " WHERE id = 1 FOR UPDATE"
)
# FOR UPDATE returns each shard as last committed (after waiting for its writer).
_LOCK_SHARDS_PG = (
    "SELECT window_count, window_deletes, (SELECT live_version FROM service_state WHERE id = 1),"
    " (SELECT MIN(at) FROM guard_counted) FROM guard_shards ORDER BY id FOR UPDATE"
)
_READ_SQLITE = (
    "SELECT g.enabled, g.percent, g.minimum, g.window_minutes, g.state,"
    " (SELECT SUM(window_count) FROM guard_shards), (SELECT SUM(window_deletes) FROM"
    " guard_shards), (SELECT live_version FROM service_state WHERE id = 1),"
    " (SELECT MIN(at) FROM guard_counted) FROM deprovisioning_guard g WHERE g.id = 1"
)


async def read_locked(tx: Tx) -> Locked | None:
    """Take the guard's full lock (to the commit) and read it; None when it has no row."""
    if tx.dialect.name == "postgresql":
        guard = await tx.fetchrow(_LOCK_GUARD_PG)
        if guard is None:
            return None
        shards = await tx.fetch(_LOCK_SHARDS_PG)
        count = sum(int(r[0]) for r in shards)
        deletes = sum(int(r[1]) for r in shards)
        version, oldest = (shards[0][2], shards[0][3]) if shards else (0, None)
    else:
        guard = await tx.fetchrow(_READ_SQLITE)
        if guard is None:
            return None
        count, deletes = int(guard[5] or 0), int(guard[6] or 0)
        version, oldest = guard[7], guard[8]
    settings = GuardSettings(bool(guard[0]), float(guard[1]), int(guard[2]), int(guard[3]))
    return Locked(settings, GuardState(guard[4]), count, deletes, int(version or 0), oldest)


async def expire(tx: Tx, since: str) -> tuple[int, int]:
    """Forget the counted writes older than ``since``, under the full lock: (how many, how many
    of them were user deletes)."""
    gone = await tx.fetch(
        "DELETE FROM guard_counted WHERE at < :b RETURNING shard, kind", {"b": since}
    )
    counts = Counter(int(r[0]) for r in gone)
    deletes = Counter(int(r[0]) for r in gone if r[1] == HeldKind.DELETE_USER.value)
    for shard, n in counts.items():
        await tx.execute(
            "UPDATE guard_shards SET window_count = window_count - :n,"
            " window_deletes = window_deletes - :d WHERE id = :s",
            {"n": n, "d": deletes[shard], "s": shard},
        )
    return len(gone), sum(deletes.values())


async def count_locked(tx: Tx, kind: HeldKind) -> None:
    """Count one applied destructive write, under the full lock (shard 0)."""
    await tx.execute(
        "INSERT INTO guard_counted (id, at, kind, shard) VALUES (:id, :at, :k, :s)",
        {"id": new_id(), "at": now_iso(), "k": kind.value, "s": LOCKED_SHARD},
    )
    await tx.execute(
        "UPDATE guard_shards SET window_count = window_count + 1,"
        " window_deletes = window_deletes + :d WHERE id = :s",
        {"d": int(kind is HeldKind.DELETE_USER), "s": LOCKED_SHARD},
    )


async def read_window(tx: Tx, since: str) -> tuple[int, int, int]:
    """The window's (count, deletes, live version) by a scan of it, read only (admins' reads)."""
    row = await tx.fetchrow(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN kind = 'DELETE_USER' THEN 1 ELSE 0 END), 0),"
        " (SELECT live_version FROM service_state WHERE id = 1)"
        " FROM guard_counted WHERE at >= :b",
        {"b": since},
    )
    return (int(row[0]), int(row[1]), int(row[2] or 0)) if row else (0, 0, 0)


async def clear_counted(tx: Tx) -> None:
    """Start a fresh window (the guard re-arms)."""
    await tx.execute("DELETE FROM guard_counted")
    await tx.execute("UPDATE guard_shards SET window_count = 0, window_deletes = 0")
