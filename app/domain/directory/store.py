"""The directory's SQL statements: every SELECT the engine runs is assembled here.

Conditions and orders arrive compiled (`compiler`, `pager`); this module puts them into
statements and runs them: keyset pages, offset pages with their count, the trigger-kept live
count, and the unfiltered page walked from per-process checkpoints.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.db import CacheKey, Row, Tx

Where = tuple[str, Mapping[str, Any]]


async def select_keyset(
    tx: Tx, source: tuple[str, str], where: Where, *, key: str | None, order: str, limit: int
) -> list[Row]:
    """Up to ``limit`` rows of ``source`` (FROM text, columns) in ``order``, each with its sort
    key as ``seek_key`` when there is one."""
    table, columns = source
    selected = f"{columns}, {key} AS seek_key" if key else columns
    params = {**where[1], "seek_n": limit}
    return await tx.fetch(
        f"SELECT {selected} FROM {table} WHERE {where[0]} ORDER BY {order} LIMIT :seek_n", params
    )


async def select_offset(
    tx: Tx,
    source: tuple[str, str],
    where: Where,
    *,
    order: str,
    offset: int,
    limit: int,
    with_total: bool,
) -> tuple[int | None, list[Row]]:
    """(count of all matches when ``with_total``, the page of ``limit`` rows after ``offset``)."""
    table, columns = source
    base = f"FROM {table} WHERE {where[0]}"
    rows: list[Row] = []
    if limit:
        ordered = f" ORDER BY {order}" if order else ""
        rows = await tx.fetch(
            f"SELECT {columns} {base}{ordered} LIMIT :q_limit OFFSET :q_offset",
            {**where[1], "q_limit": limit, "q_offset": offset},
        )
    if not with_total:
        return None, rows
    if offset == 0 and len(rows) < limit:
        # A first page that is not full is the whole result: no count query needed
        # (the common case of filters such as userName eq "...").
        return len(rows), rows
    return int(await tx.fetchval(f"SELECT count(*) {base}", where[1])), rows


async def count(tx: Tx, table: str, where: Where) -> int:
    """How many rows of ``table`` match."""
    return int(await tx.fetchval(f"SELECT COUNT(*) FROM {table} WHERE {where[0]}", where[1]))


# The trigger-kept count of live users and its version: sums over the shards (migration 0010b).
LIVE_STATE = "SELECT SUM(live_users) AS live_users, SUM(live_version) AS live_version"
LIVE_VERSION = "(SELECT SUM(live_version) FROM live_user_counts)"


async def live_users(tx: Tx) -> int:
    """The trigger-kept count of users not deleted."""
    return int(await tx.fetchval("SELECT SUM(live_users) FROM live_user_counts"))


async def whole_directory_page(
    tx: Tx, offset: int, limit: int, with_total: bool, columns: str
) -> tuple[int | None, list[Row]]:
    """An unfiltered page in id order: the total from the trigger-kept counter, and the page
    found by walking the partial index of live ids (no table rows read before the page).
    """
    state = await tx.fetchrow(f"{LIVE_STATE} FROM live_user_counts")
    assert state is not None
    total = int(state["live_users"]) if with_total else None
    if limit == 0:
        return total, []
    start, skip = await _checkpoint(tx, int(state["live_version"]), offset)
    rows = await tx.fetch(
        f"SELECT {columns} FROM users WHERE id IN (SELECT id FROM users"
        " WHERE deleted_at IS NULL AND id >= :start ORDER BY id LIMIT :l OFFSET :o) ORDER BY id",
        {"start": start, "l": limit, "o": skip},
    )
    return total, rows


CHECKPOINT_EVERY = 1000
CHECKPOINTS: CacheKey[tuple[int, list[str]]] = CacheKey("directory.live_checkpoints")


async def _checkpoint(tx: Tx, version: int, offset: int) -> tuple[str, int]:
    """(id to start from, rows to skip after it) for a 0-based offset in id order.

    Every 1000th live id is remembered per process, keyed by ``live_version`` (which the
    triggers bump whenever the live set changes), so a page deep in the directory skips at most
    999 index entries instead of all before it; after a change the marks are rebuilt once.
    """
    if offset < CHECKPOINT_EVERY:
        return "", offset
    cached = tx.cache.get(CHECKPOINTS)
    if cached is None or cached[0] != version:
        rows = await tx.fetch(
            "SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM users"
            " WHERE deleted_at IS NULL) AS ranked WHERE (n - 1) % :every = 0 ORDER BY id",
            {"every": CHECKPOINT_EVERY},
        )
        marks = cached = (version, [str(r[0]) for r in rows])
        tx.after_commit(lambda: tx.cache.put(CHECKPOINTS, marks))
    index = min(offset // CHECKPOINT_EVERY, len(cached[1]) - 1)
    if index < 0:
        return "", offset
    return cached[1][index], offset - index * CHECKPOINT_EVERY
