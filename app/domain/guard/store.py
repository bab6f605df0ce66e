"""All of the guard's SQL: its settings row, the window's counted writes, the held writes."""

from __future__ import annotations

import time
from collections.abc import Sequence
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


async def read_guard(tx: Tx) -> tuple[GuardSettings, GuardState, str | None]:
    """The settings, the state and when it tripped (defaults when the row is missing)."""
    row = await tx.fetchrow(_SETTINGS)
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


async def count_window(tx: Tx, since: str) -> tuple[int, int, int]:
    """Destructive writes applied since ``since``: (all, deletes), kept as counters in the
    guard row (no scan of the window), after forgetting those older than ``since``; and the
    live set's version (`live_idp_users`)."""
    expired = await tx.fetch("DELETE FROM guard_counted WHERE at < :b RETURNING kind", {"b": since})
    if expired:
        deletes = sum(1 for r in expired if r[0] == HeldKind.DELETE_USER.value)
        await tx.execute(
            "UPDATE deprovisioning_guard SET window_count = window_count - :n,"
            " window_deletes = window_deletes - :d WHERE id = 1",
            {"n": len(expired), "d": deletes},
        )
    row = await tx.fetchrow(
        "SELECT g.window_count, g.window_deletes, s.live_version"
        " FROM deprovisioning_guard g, service_state s WHERE g.id = 1 AND s.id = 1"
    )
    return (int(row[0]), int(row[1]), int(row[2])) if row else (0, 0, 0)


async def read_window(tx: Tx, since: str) -> tuple[int, int, int]:
    """What `count_window` returns, read only (for admins' reads: a scan of the window)."""
    row = await tx.fetchrow(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN kind = 'DELETE_USER' THEN 1 ELSE 0 END), 0),"
        " (SELECT live_version FROM service_state WHERE id = 1)"
        " FROM guard_counted WHERE at >= :since",
        {"since": since},
    )
    return (int(row[0]), int(row[1]), int(row[2] or 0)) if row else (0, 0, 0)


async def add_counted(tx: Tx, kind: HeldKind) -> None:
    """Count one applied destructive write."""
    await tx.execute(
        "INSERT INTO guard_counted (id, at, kind) VALUES (:id, :at, :k)",
        {"id": new_id(), "at": now_iso(), "k": kind.value},
    )
    await tx.execute(
        "UPDATE deprovisioning_guard SET window_count = window_count + 1,"
        " window_deletes = window_deletes + :d WHERE id = 1",
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
