"""All of the SQL of the guard's window count (rule 19): the window, its leases, the live
population.

The window's count is `guard_window` (one row: the weights of `guard_counted`'s rows, kept
as counters) plus the leases not yet folded into it (`guard_leases`, see
`app.domain.guard.leases`): an open lease counts as every write it grants, a settled one as
the writes it spent. Everything here runs under the guard's full lock: on PostgreSQL the
guard row's lock (`read_locked`), on SQLite the one writer lock a write transaction holds.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from app.db import Row, Tx
from app.db.cache import CacheKey
from app.domain.clock import iso_in, new_id, now_iso
from app.domain.directory.store import LIVE_VERSION
from app.domain.guard import store
from app.domain.guard.leases import GRACE_SECONDS, LEASE_SECONDS, Lease, LeaseBook
from app.domain.guard.model import GuardSettings, GuardState, HeldKind

# (live_version, monotonic time, count): the count is read again when the set of live users
# changed (the live version of live_user_counts, bumped by triggers) or after LIVE_TTL seconds.
LIVE_IDP: CacheKey[tuple[int, float, int]] = CacheKey("guard_live_idp_users")
LIVE_TTL = 60.0
WAIT_SECONDS = 0.005  # how often a write at the threshold looks whether leases settled
WAIT_LIMIT = LEASE_SECONDS + GRACE_SECONDS + 1.0  # after that it judges by the leases' grants
LEASED = "LEASED"  # guard_counted.kind of a settled lease's writes other than user deletes


@dataclass(frozen=True, slots=True)
class Window:
    """The window's count as the full lock sees it."""

    count: int  # writes counted (older ones included until `expire` forgets them), leases too
    deletes: int  # user deletes among them (an open lease's are not known yet: none)
    leased: int  # how many of `count` are open leases' grants (some may still be unspent)
    live_version: int  # the live set's version (`live_idp_users`)
    oldest: str | None  # when the oldest row of guard_counted was counted


@dataclass(frozen=True, slots=True)
class Locked:
    """The guard as its full lock sees it: settings, state and the window."""

    settings: GuardSettings
    state: GuardState
    window: Window


async def live_idp_users(tx: Tx, version: int | None = None) -> int:
    """Live (not deleted) users owned by an IdP: counted once per change of the live set (a
    deactivation storm does not change it), not on every destructive write. ``version``: the
    live set's version if already read."""
    if version is None:
        version = int(await tx.fetchval(f"SELECT {LIVE_VERSION}") or 0)
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


async def enabled(tx: Tx) -> bool:
    """Whether the guard is on (no lock: a switched-off guard must not serialise writes)."""
    return bool(await tx.fetchval("SELECT enabled FROM deprovisioning_guard WHERE id = 1"))


_GUARD = f"SELECT {store.GUARD_COLUMNS} FROM deprovisioning_guard"
_WINDOW = (
    "SELECT w.window_count, w.window_deletes,"
    f" {LIVE_VERSION}, (SELECT MIN(at) FROM guard_counted),"
    " (SELECT COALESCE(SUM(granted), 0) FROM guard_leases WHERE NOT settled),"
    " (SELECT COALESCE(SUM(used), 0) FROM guard_leases WHERE settled),"
    " (SELECT COALESCE(SUM(deletes), 0) FROM guard_leases WHERE settled),"
    " (SELECT COUNT(*) FROM guard_leases)"
)
_READ_SQLITE = (
    f"{_WINDOW}, {', '.join('g.' + c for c in store.GUARD_COLUMNS.split(', '))}"
    " FROM guard_window w, deprovisioning_guard g WHERE w.id = 0 AND g.id = 1"
)
# An open lease past its expiry and the grace period: its process died without settling.
_FOLD = (
    "DELETE FROM guard_leases WHERE settled OR expires_at < :dead"
    " RETURNING id, settled, granted, used, deletes, at, expires_at"
)


def _window(row: Row | None) -> Window:
    """_WINDOW's first seven columns as a Window (the eighth: how many leases are left)."""
    if row is None:  # the migration writes the row
        return Window(0, 0, 0, 0, None)
    leased, used, deletes = int(row[4] or 0), int(row[5] or 0), int(row[6] or 0)
    count = int(row[0] or 0) + leased + used
    return Window(count, int(row[1] or 0) + deletes, leased, int(row[2] or 0), row[3])


async def read_locked(tx: Tx, book: LeaseBook | None = None) -> Locked | None:
    """Take the guard's full lock (to the commit) and read it; None when it has no row.
    ``book``: this process's leases, if it takes any, whose due ones it settles first; and,
    where leases are taken, it folds every settled lease (and every dead one) into the
    window's counters."""
    if book is None and tx.dialect.name != "postgresql":  # SQLite, several workers
        row = await tx.fetchrow(_READ_SQLITE)
        if row is None:
            return None
        guard, at, window = row, 8, _window(row)
        if row[7]:  # leases left from a run with one worker: fold them
            window = await read_window_locked(tx, None)
    else:
        found = await tx.fetchrow(_GUARD + " WHERE id = 1" + tx.dialect.for_update)
        if found is None:
            return None
        guard, at, window = found, 0, await read_window_locked(tx, book)
    settings, state = store.guard_of(guard, at)
    return Locked(settings, state, window)


async def read_window_locked(tx: Tx, book: LeaseBook | None) -> Window:
    """Under the guard's full lock: settle this process's due leases, fold the settled and
    dead ones into the counters, and read the window."""
    if book is not None:
        await settle(tx, book)
    folded = await tx.fetch(_FOLD, {"dead": iso_in(-GRACE_SECONDS / 86400)})
    if folded:
        await _fold(tx, folded)
    row = await tx.fetchrow(_WINDOW + " FROM guard_window w WHERE w.id = 0")
    return _window(row)


async def _fold(tx: Tx, leases: list[Row]) -> None:
    """Count settled leases as what they spent, dead ones as what they granted, from when they
    settled (or expired): as guard_counted rows with weights, and on the counters."""
    count = deletes = 0
    for lease in leases:
        lease_id, settled, granted, used, dels, at, expires_at = (lease[i] for i in range(7))
        spent, spent_deletes = (int(used), int(dels)) if settled else (int(granted), 0)
        when = at if settled else expires_at
        for suffix, kind, weight in (
            ("a", LEASED, spent - spent_deletes),
            ("d", HeldKind.DELETE_USER.value, spent_deletes),
        ):
            if weight > 0:
                await tx.execute(
                    "INSERT INTO guard_counted (id, at, kind, weight) VALUES (:id, :at, :k, :w)",
                    {"id": f"{str(lease_id)[:34]}-{suffix}", "at": when, "k": kind, "w": weight},
                )
        count, deletes = count + spent, deletes + spent_deletes
    await _add(tx, count, deletes)


async def _add(tx: Tx, count: int, deletes: int) -> None:
    await tx.execute(
        "UPDATE guard_window SET window_count = window_count + :n,"
        " window_deletes = window_deletes + :d WHERE id = 0",
        {"n": count, "d": deletes},
    )


async def await_leases(tx: Tx, book: LeaseBook | None, window: Window) -> Window:
    """Under the guard's full lock, for a write the window would not allow while open leases
    may still be partly unspent: stop this process's own and settle them, wait until the
    others are settled (their processes settle them within LEASE_SECONDS; a dead one's grace
    ends within GRACE_SECONDS more), and read the window again. Nothing can take a new lease
    meanwhile."""
    if book is None or not window.leased:
        return window
    book.close_all()
    window = await read_window_locked(tx, book)
    deadline = time.monotonic() + WAIT_LIMIT
    while window.leased and time.monotonic() < deadline:
        await asyncio.sleep(WAIT_SECONDS)
        window = await read_window_locked(tx, book)
    return window


async def drain_leases(tx: Tx, book: LeaseBook | None) -> None:
    """Under the guard's full lock (new settings): wait until every open lease is settled, so
    that none is spent under the settings it was not granted by."""
    if book is not None:
        await await_leases(tx, book, await read_window_locked(tx, book))


async def settle(tx: Tx, book: LeaseBook) -> None:
    """Record what this process's due leases spent (they stop being spent); forgotten by the
    book once this commits, and settled again by a later transaction if it does not."""
    due = book.due()
    if not due:
        return
    at = now_iso()
    for lease in due:
        await tx.execute(
            "UPDATE guard_leases SET settled = :t, used = :u, deletes = :d, at = :at"
            " WHERE id = :id AND NOT settled",
            {"t": True, "u": lease.used, "d": lease.deletes, "at": at, "id": lease.id},
        )
    ids = [lease.id for lease in due]
    tx.after_commit(lambda: book.settled(ids))


async def grant(tx: Tx, book: LeaseBook, size: int, kind: HeldKind | None) -> None:
    """Lease ``size`` destructive writes to this process, the first spent by ``kind``'s write
    (None: the write asking was counted on the lease before); they can be spent once this
    commits."""
    used = 0 if kind is None else 1
    lease = Lease(
        new_id(), size, time.monotonic() + LEASE_SECONDS, used, int(kind is HeldKind.DELETE_USER)
    )
    await tx.execute(
        "INSERT INTO guard_leases (id, granted, used, deletes, settled, at, expires_at)"
        " VALUES (:id, :g, 0, 0, :f, :at, :exp)",
        {
            "id": lease.id,
            "g": size,
            "f": False,
            "at": now_iso(),
            "exp": iso_in(LEASE_SECONDS / 86400),
        },
    )
    tx.after_commit(lambda: book.add(lease))


async def expire(tx: Tx, since: str) -> tuple[int, int]:
    """Forget the counted writes older than ``since``, under the full lock: (how many, how many
    of them were user deletes)."""
    gone = await tx.fetch(
        "DELETE FROM guard_counted WHERE at < :b RETURNING kind, weight", {"b": since}
    )
    count = sum(int(r[1]) for r in gone)
    deletes = sum(int(r[1]) for r in gone if r[0] == HeldKind.DELETE_USER.value)
    if gone:
        await _add(tx, -count, -deletes)
    return count, deletes


async def count_locked(tx: Tx, kind: HeldKind) -> None:
    """Count one applied destructive write, under the full lock."""
    await tx.execute(
        "INSERT INTO guard_counted (id, at, kind) VALUES (:id, :at, :k)",
        {"id": new_id(), "at": now_iso(), "k": kind.value},
    )
    await _add(tx, 1, int(kind is HeldKind.DELETE_USER))


async def read_window(tx: Tx, since: str) -> tuple[int, int, int]:
    """The window's (count, deletes, live version) by a scan of it, read only (admins' reads):
    open leases count as what they grant, settled ones not folded yet as what they spent."""
    row = await tx.fetchrow(
        "SELECT COALESCE(SUM(weight), 0),"
        " COALESCE(SUM(CASE WHEN kind = 'DELETE_USER' THEN weight ELSE 0 END), 0),"
        f" {LIVE_VERSION},"
        " (SELECT COALESCE(SUM(CASE WHEN settled THEN used ELSE granted END), 0)"
        " FROM guard_leases),"
        " (SELECT COALESCE(SUM(CASE WHEN settled THEN deletes ELSE 0 END), 0) FROM guard_leases)"
        " FROM guard_counted WHERE at >= :b",
        {"b": since},
    )
    if row is None:
        return 0, 0, 0
    return int(row[0]) + int(row[3]), int(row[1]) + int(row[4]), int(row[2] or 0)


async def clear_counted(tx: Tx) -> None:
    """Start a fresh window (the guard re-arms; no lease is open while it is tripped)."""
    await tx.execute("DELETE FROM guard_counted")
    await tx.execute("DELETE FROM guard_leases")
    await tx.execute("UPDATE guard_window SET window_count = 0, window_deletes = 0")
