"""All of the guard's SQL: its settings row, the window's counted writes, the held writes."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from app.db import Row, Tx
from app.db.cache import CacheKey
from app.domain.clock import new_id, now_iso
from app.domain.guard.model import (
    DestructiveWrite,
    GuardSettings,
    GuardState,
    HeldKind,
    HeldWrite,
)

_SETTINGS = (
    "SELECT enabled, percent, minimum, window_minutes, state, tripped_at"
    " FROM deprovisioning_guard WHERE id = 1"
)
HELD_COLUMNS = (
    "id, seq, kind, resource_type, resource_id, method, payload, token_id, request_id,"
    " first_at, last_at, repeats"
)


async def read_guard(tx: Tx, *, lock: bool = False) -> tuple[GuardSettings, GuardState, str | None]:
    """The settings, the state and when it tripped (defaults when the row is missing).
    ``lock``: and lock the guard's row to the commit (PostgreSQL; on SQLite the write
    transaction already holds the one writer lock), which every change of the window, the
    state or the held writes takes: the guard's one lock, shared by every worker."""
    row = await tx.fetchrow(_SETTINGS + (tx.dialect.for_update if lock else ""))
    if row is None:
        return GuardSettings(), GuardState.ARMED, None
    settings = GuardSettings(bool(row[0]), float(row[1]), int(row[2]), int(row[3]))
    return settings, GuardState(row[4]), row[5]


async def write_settings(tx: Tx, settings: GuardSettings) -> None:
    """Store the settings (the row exists from the migration; upserted for safety)."""
    params = {
        "e": settings.enabled,
        "p": settings.percent,
        "m": settings.minimum,
        "w": settings.window_minutes,
        "now": now_iso(),
    }
    changed = await tx.execute(
        "UPDATE deprovisioning_guard SET enabled = :e, percent = :p, minimum = :m,"
        " window_minutes = :w, updated_at = :now WHERE id = 1",
        params,
    )
    if not changed:
        await tx.execute(
            "INSERT INTO deprovisioning_guard (id, enabled, percent, minimum, window_minutes,"
            " state, tripped_at, updated_at) VALUES (1, :e, :p, :m, :w, 'ARMED', NULL, :now)",
            params,
        )


async def write_state(tx: Tx, state: GuardState, tripped_at: str | None) -> None:
    """Trip or re-arm."""
    await tx.execute(
        "UPDATE deprovisioning_guard SET state = :s, tripped_at = :t, updated_at = :now"
        " WHERE id = 1",
        {"s": state.value, "t": tripped_at, "now": now_iso()},
    )


# (live_version, monotonic time, count): the count is read again when the set of live users
# changed (service_state.live_version, bumped by triggers) or after LIVE_TTL seconds.
LIVE_IDP: CacheKey[tuple[int, float, int]] = CacheKey("guard_live_idp_users")
LIVE_TTL = 60.0


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


async def read_window(tx: Tx, since: str) -> tuple[int, int, int]:
    """The window's (count, deletes, live version), read only, by a scan of it (admins' reads)."""
    row = await tx.fetchrow(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN kind = 'DELETE_USER' THEN 1 ELSE 0 END), 0),"
        " (SELECT live_version FROM service_state WHERE id = 1)"
        " FROM guard_counted WHERE at >= :since",
        {"since": since},
    )
    return (int(row[0]), int(row[1]), int(row[2] or 0)) if row else (0, 0, 0)


@dataclass(frozen=True, slots=True)
class Counted:
    """A destructive write counted in the window, the guard's row locked to the commit."""

    id: str  # its guard_counted row
    settings: GuardSettings
    count: int  # writes counted in the window, this one included
    deletes: int  # user deletes among them, this one included
    live_version: int  # service_state.live_version (`live_idp_users`)
    oldest: str | None  # when the oldest counted write before this one was applied


# PostgreSQL: one statement. The UPDATE of the guard's row counts the write and holds the row
# lock to the commit (concurrent writers queue on it and see each other's counts: one trip);
# the insert keeps the write for the window's expiry. The outer SELECT reads the settings as
# of the statement's start, so a switched-off guard is told apart from a tripped one (or one
# whose state changed while this waited): both leave `counted` empty. The live version and the
# oldest counted write are read as of the statement's start too: a user created while this
# waited may be missing from the threshold's population (it moves the threshold by at most
# those users; the count itself, and so the one trip, is exact).
_COUNT_PG = (
    "WITH counted AS (UPDATE deprovisioning_guard SET window_count = window_count + 1,"
    " window_deletes = window_deletes + :d WHERE id = 1 AND enabled AND state = 'ARMED'"
    " RETURNING window_count, window_deletes), kept AS (INSERT INTO guard_counted (id, at,"
    " kind) SELECT :id, :at, :k FROM counted)"
    " SELECT g.enabled, g.percent, g.minimum, g.window_minutes, c.window_count,"
    " c.window_deletes, (SELECT live_version FROM service_state WHERE id = 1),"
    " (SELECT MIN(at) FROM guard_counted)"
    " FROM deprovisioning_guard g LEFT JOIN counted c ON true WHERE g.id = 1"
)
# SQLite: the write transaction already holds the one writer lock: read, then count.
_READ_SQLITE = (
    "SELECT g.enabled, g.percent, g.minimum, g.window_minutes, g.window_count,"
    " g.window_deletes, (SELECT live_version FROM service_state WHERE id = 1),"
    " (SELECT MIN(at) FROM guard_counted), g.state"
    " FROM deprovisioning_guard g WHERE g.id = 1"
)


async def count_write(tx: Tx, kind: HeldKind) -> tuple[bool, Counted | None]:
    """Count one destructive write if the guard is on and armed: (whether the guard is on,
    the count or None). None with the guard on: it had tripped, or it changed while this
    waited for its lock (ask again under `read_guard(lock=True)`)."""
    d, counted_id = int(kind is HeldKind.DELETE_USER), new_id()
    params = {"d": d, "id": counted_id, "at": now_iso(), "k": kind.value}
    if tx.dialect.name == "postgresql":
        row = await tx.fetchrow(_COUNT_PG, params)
        if row is None or not row[0] or row[4] is None:
            return (bool(row[0]) if row is not None else True), None
        count, deletes = int(row[4]), int(row[5])
    else:
        row = await tx.fetchrow(_READ_SQLITE)
        if row is None or not row[0] or row[8] != GuardState.ARMED.value:
            return (bool(row[0]) if row is not None else True), None
        await tx.execute(
            "INSERT INTO guard_counted (id, at, kind) VALUES (:id, :at, :k)",
            {"id": counted_id, "at": params["at"], "k": kind.value},
        )
        await tx.execute(
            "UPDATE deprovisioning_guard SET window_count = window_count + 1,"
            " window_deletes = window_deletes + :d WHERE id = 1",
            {"d": d},
        )
        count, deletes = int(row[4]) + 1, int(row[5]) + d
    settings = GuardSettings(True, float(row[1]), int(row[2]), int(row[3]))
    return True, Counted(counted_id, settings, count, deletes, int(row[6] or 0), row[7])


async def expire(tx: Tx, since: str) -> tuple[int, int]:
    """Forget the counted writes older than ``since`` (under the guard's lock): (how many,
    how many of them were user deletes)."""
    gone = await tx.fetch("DELETE FROM guard_counted WHERE at < :b RETURNING kind", {"b": since})
    deletes = sum(1 for r in gone if r[0] == HeldKind.DELETE_USER.value)
    if gone:
        await tx.execute(
            "UPDATE deprovisioning_guard SET window_count = window_count - :n,"
            " window_deletes = window_deletes - :d WHERE id = 1",
            {"n": len(gone), "d": deletes},
        )
    return len(gone), deletes


async def uncount(tx: Tx, counted: Counted, kind: HeldKind) -> None:
    """Take back a count (the write tripped the guard and is held, not applied)."""
    await tx.execute("DELETE FROM guard_counted WHERE id = :id", {"id": counted.id})
    await tx.execute(
        "UPDATE deprovisioning_guard SET window_count = window_count - 1,"
        " window_deletes = window_deletes - :d WHERE id = 1",
        {"d": int(kind is HeldKind.DELETE_USER)},
    )


async def hold(tx: Tx, write: DestructiveWrite) -> str:
    """Store a held write, or join the held entry of the same write; returns its id."""
    key, now = write.key, now_iso()
    joined = await tx.fetchval(
        "UPDATE guard_held SET repeats = repeats + 1, last_at = :now WHERE op_key = :k"
        " RETURNING id",
        {"k": key, "now": now},
    )
    if joined is not None:
        return str(joined)
    held_id = new_id()
    await tx.execute(
        "INSERT INTO guard_held (id, seq, kind, resource_type, resource_id, method, payload,"
        " op_key, token_id, request_id, first_at, last_at, repeats) VALUES (:id,"
        " (SELECT COALESCE(MAX(seq), 0) + 1 FROM guard_held), :kind, :rt, :rid, :m, :p, :k,"
        " :tok, :req, :now, :now, 0)",
        {
            "id": held_id,
            "kind": write.kind.value,
            "rt": write.resource_type,
            "rid": write.resource_id,
            "m": write.method,
            "p": orjson.dumps(write.payload).decode(),
            "k": key,
            "tok": write.token_id,
            "req": write.request_id,
            "now": now,
        },
    )
    return held_id


def held_from_row(row: Row) -> HeldWrite:
    """A held write as `HELD_COLUMNS` select it."""
    payload: Any = row[6]
    if isinstance(payload, str | bytes):
        payload = orjson.loads(payload)
    return HeldWrite(
        str(row[0]),
        int(row[1]),
        HeldKind(row[2]),
        row[3],
        row[4],
        row[5],
        dict(payload or {}),
        row[7],
        row[8],
        row[9],
        row[10],
        int(row[11]),
    )


async def count_held(tx: Tx) -> int:
    """How many writes are held."""
    return int(await tx.fetchval("SELECT COUNT(*) FROM guard_held") or 0)


async def held_in_order(tx: Tx, ids: Sequence[str] | None) -> list[HeldWrite]:
    """The held writes (all, or those of ``ids``), in the order the IdP sent them."""
    if ids is None:
        rows = await tx.fetch(f"SELECT {HELD_COLUMNS} FROM guard_held ORDER BY seq")
    else:
        cond = tx.dialect.in_list("id", "ids")
        rows = await tx.fetch(
            f"SELECT {HELD_COLUMNS} FROM guard_held WHERE {cond} ORDER BY seq",
            {"ids": tx.dialect.list_param(list(ids))},
        )
    return [held_from_row(r) for r in rows]


async def drop_held(tx: Tx, ids: Sequence[str]) -> None:
    """Forget held writes (released or discarded)."""
    if ids:
        cond = tx.dialect.in_list("id", "ids")
        await tx.execute(
            f"DELETE FROM guard_held WHERE {cond}", {"ids": tx.dialect.list_param(list(ids))}
        )


async def clear_counted(tx: Tx) -> None:
    """Start a fresh window (the guard re-arms)."""
    await tx.execute("DELETE FROM guard_counted")
    await tx.execute(
        "UPDATE deprovisioning_guard SET window_count = 0, window_deletes = 0 WHERE id = 1"
    )


async def token_name(tx: Tx, token_id: str | None) -> str:
    """The name of the SCIM token a held write came with ("" when unknown)."""
    if token_id is None:
        return ""
    name = await tx.fetchval("SELECT name FROM scim_tokens WHERE id = :id", {"id": token_id})
    return str(name or "")
