"""The guard's SQL for its settings row and its held writes (the window's count: `counts`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from app.db import Row, Tx
from app.domain.clock import new_id, now_iso
from app.domain.guard.model import (
    DestructiveWrite,
    GuardSettings,
    GuardState,
    HeldKind,
    HeldWrite,
)

GUARD_COLUMNS = "enabled, percent, minimum, window_minutes, state"  # read by `guard_of`
_SETTINGS = f"SELECT {GUARD_COLUMNS}, tripped_at FROM deprovisioning_guard WHERE id = 1"
HELD_COLUMNS = (
    "id, seq, kind, resource_type, resource_id, method, payload, token_id, request_id,"
    " first_at, last_at, repeats"
)


async def read_guard(tx: Tx, *, lock: bool = False) -> tuple[GuardSettings, GuardState, str | None]:
    """The settings, the state and when it tripped (defaults when the row is missing).
    ``lock``: and lock the guard's row to the commit (PostgreSQL; on SQLite the write
    transaction already holds the one writer lock), which changes of the settings, the state
    and the held writes take, as does the window's full lock (`counts.read_locked`) first."""
    row = await tx.fetchrow(_SETTINGS + (tx.dialect.for_update if lock else ""))
    if row is None:
        return GuardSettings(), GuardState.ARMED, None
    settings, state = guard_of(row)
    return settings, state, row[5]


def guard_of(row: Row, at: int = 0) -> tuple[GuardSettings, GuardState]:
    """The settings and the state from GUARD_COLUMNS, read from ``row`` at column ``at``."""
    on, percent, minimum, minutes, state = (row[at + i] for i in range(5))
    return GuardSettings(bool(on), float(percent), int(minimum), int(minutes)), GuardState(state)


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


async def token_name(tx: Tx, token_id: str | None) -> str:
    """The name of the SCIM token a held write came with ("" when unknown)."""
    if token_id is None:
        return ""
    name = await tx.fetchval("SELECT name FROM scim_tokens WHERE id = :id", {"id": token_id})
    return str(name or "")
