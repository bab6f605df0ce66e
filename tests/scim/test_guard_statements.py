"""What the deprovisioning guard (rule 19) costs a destructive write below its threshold, in
statements, through the real SCIM endpoint on both engines, and how its window forgets.

PostgreSQL, far below the threshold: one call of `roster_guard_count`, which counts the write
on its connection's shard; near it, the guard's full lock. SQLite: a read of the guard and two
writes (the write transaction already holds SQLite's one writer lock). A switched-off guard
costs one statement on both. Listed whole, so that a new statement cannot slip in unnoticed.
"""

from __future__ import annotations

import time

import pytest

from app.domain.clock import now_iso
from app.domain.guard.counts import LIVE_IDP, Far
from tests.scim.conftest import PATCH_OP, Scim
from tests.support import counting

_GUARD_TABLES = (
    "deprovisioning_guard",
    "guard_counted",
    "guard_held",
    "guard_shards",
    "guard_count(",
)
DEACTIVATE = [{"op": "replace", "path": "active", "value": False}]
FAR = "SELECT roster_guard_count(:id, :at,"
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"


def _guard_statements(seen: list[str]) -> list[str]:
    """The statements that touch the guard's tables, by their first three words."""
    return [" ".join(s.split()[:3]) for s in seen if any(t in s for t in _GUARD_TABLES)]


async def _deactivate(scim: Scim, uid: str, mp: pytest.MonkeyPatch) -> list[str]:
    with counting(mp) as seen:
        response = await scim.patch(f"/Users/{uid}", DEACTIVATE)
    mp.undo()
    assert response.status_code == 200, response.text
    assert response.json()["active"] is False
    return _guard_statements(seen)


def _far_path_only(scim: Scim) -> None:
    """Skip on SQLite: the far path is PostgreSQL's (SQLite has one writer at a time)."""
    if scim.db.kind != "postgresql":
        pytest.skip("the far path is PostgreSQL's (SQLite has one writer at a time)")


async def _counted(scim: Scim) -> tuple[int, int]:
    """(the shards' count, the rows counted), after checking that each shard's counters are
    its rows."""
    rows = await scim.rows(
        "SELECT s.id, s.window_count AS c, s.window_deletes AS d,"
        " (SELECT COUNT(*) FROM guard_counted k WHERE k.shard = s.id) AS n,"
        " (SELECT COUNT(*) FROM guard_counted k WHERE k.shard = s.id"
        " AND k.kind = 'DELETE_USER') AS nd FROM guard_shards s ORDER BY s.id"
    )
    assert len(rows) == 17
    assert [(r["c"], r["d"]) for r in rows] == [(r["n"], r["nd"]) for r in rows]
    total = sum(r["c"] for r in rows)
    return total, sum(r["n"] for r in rows)


async def test_a_deactivation_far_below_the_threshold_costs_one_statement_on_pg_three_on_sqlite(
    scim: Scim, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [(await scim.create_user(f"u{i}@example.com"))["id"] for i in range(3)]
    await _deactivate(scim, ids[0], monkeypatch)  # the live count is read once per change
    statements = await _deactivate(scim, ids[1], monkeypatch)
    if scim.db.kind == "postgresql":
        assert statements == [FAR]
    else:
        assert statements == [
            "SELECT g.enabled, g.percent,",
            "INSERT INTO guard_counted",
            "UPDATE guard_shards SET",
        ]
    assert await _counted(scim) == (2, 2)
    assert [e[2] for e in await scim.events()][-2:] == ["SUCCESS", "SUCCESS"]

    await scim.rows("UPDATE deprovisioning_guard SET enabled = false WHERE id = 1 RETURNING id")
    off = await _deactivate(scim, ids[2], monkeypatch)
    assert off == ([FAR] if scim.db.kind == "postgresql" else ["SELECT g.enabled, g.percent,"])
    assert await _counted(scim) == (2, 2)  # switched off: not counted


async def test_the_far_path_uses_the_cached_live_count_however_old_while_current(
    scim: Scim, monkeypatch: pytest.MonkeyPatch
) -> None:
    _far_path_only(scim)
    ids = [(await scim.create_user(f"o{i}@example.com"))["id"] for i in range(3)]
    await _deactivate(scim, ids[0], monkeypatch)  # full lock: counts the live users, caches them
    cached = scim.db.cache.get(LIVE_IDP)
    assert cached is not None
    version, _, live = cached
    scim.db.cache.put(LIVE_IDP, (version, time.monotonic() - 3600, live))  # an hour old
    assert await _deactivate(scim, ids[1], monkeypatch) == [FAR]  # no recount, no full lock
    await scim.create_user("o-new@example.com")  # the live set changes: its version moves on
    statements = await _deactivate(scim, ids[2], monkeypatch)
    assert statements[0] == FAR and len(statements) > 1  # asked under the full lock
    assert scim.db.cache.get(LIVE_IDP) is not None
    assert await _counted(scim) == (3, 3)


async def test_under_the_full_lock_a_write_older_than_the_window_stops_counting(
    scim: Scim, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a threshold of 3: within the far path's margin, so PostgreSQL takes the full lock too
    await scim.rows("UPDATE deprovisioning_guard SET minimum = 3 WHERE id = 1 RETURNING id")
    ids = [(await scim.create_user(f"w{i}@example.com"))["id"] for i in range(3)]
    await _deactivate(scim, ids[0], monkeypatch)
    await _deactivate(scim, ids[1], monkeypatch)
    # the first write moves two hours back: past the 60-minute window
    await scim.rows(
        "UPDATE guard_counted SET at = '2000-01-01T00:00:00.000000Z'"
        " WHERE at = (SELECT MIN(at) FROM guard_counted) RETURNING id"
    )
    assert await _counted(scim) == (2, 2)
    await _deactivate(scim, ids[2], monkeypatch)
    assert await _counted(scim) == (2, 2)  # one expired, one added
    assert await scim.rows("SELECT kind FROM guard_counted WHERE at < '2001-01-01'") == []
    assert await scim.rows("SELECT DISTINCT shard FROM guard_counted") == [{"shard": 0}]


async def test_the_far_path_forgets_its_own_shards_old_writes(
    scim: Scim, monkeypatch: pytest.MonkeyPatch
) -> None:
    _far_path_only(scim)
    ids = [(await scim.create_user(f"f{i}@example.com"))["id"] for i in range(4)]
    for uid in ids[:3]:
        await _deactivate(scim, uid, monkeypatch)
    await scim.rows("UPDATE guard_counted SET at = '2000-01-01T00:00:00.000000Z' RETURNING id")
    await _deactivate(scim, ids[3], monkeypatch)
    new = await scim.rows("SELECT shard FROM guard_counted WHERE at > '2001-01-01'")
    assert len(new) == 1 and new[0]["shard"] >= 1
    mine = await scim.rows(
        "SELECT id FROM guard_counted WHERE shard = :s AND at < '2001-01-01'",
        {"s": new[0]["shard"]},
    )
    assert mine == []  # its own shard's old writes are gone, and its counters with them
    others = await scim.rows("SELECT COUNT(*) AS n FROM guard_counted WHERE at < '2001-01-01'")
    assert await _counted(scim) == (others[0]["n"] + 1, others[0]["n"] + 1)


async def _far(scim: Scim, row_id: str, live: int | None, version: int | None = None) -> int:
    """One call of the far path's function, in a transaction of its own."""
    if version is None:
        rows = await scim.rows("SELECT live_version AS v FROM service_state WHERE id = 1")
        version = rows[0]["v"]
    params = {"id": row_id, "at": now_iso(), "v": version, "live": live}
    got = await scim.rows(
        "SELECT roster_guard_count(:id, :at, 'DEACTIVATE_USER', :v, :live) AS far", params
    )
    return int(got[0]["far"])


async def test_near_the_threshold_the_far_path_asks_and_leaves_nothing_behind(
    scim: Scim,
) -> None:
    _far_path_only(scim)
    await scim.rows("UPDATE deprovisioning_guard SET minimum = 16 WHERE id = 1 RETURNING id")
    # threshold 16 (no live users): 1 counted + 15 others in flight fits; 2 + 15 does not
    assert await _far(scim, "a", live=0) == Far.COUNTED
    assert await _counted(scim) == (1, 1)
    assert await _far(scim, "b", live=0) == Far.ASK
    assert await _far(scim, "c", live=40) == Far.ASK  # 5 % of 40 is 2: the minimum holds
    assert await _far(scim, "d", live=400) == Far.COUNTED  # 5 % of 400 is 20: 2 + 15 fits
    assert await _far(scim, "e", live=None) == Far.ASK  # no cached live count
    assert await _far(scim, "f", live=400, version=-1) == Far.ASK  # the live set changed since
    assert await _counted(scim) == (2, 2)
    ids = await scim.rows("SELECT id, shard FROM guard_counted ORDER BY id")
    assert [r["id"] for r in ids] == ["a", "d"] and all(r["shard"] >= 1 for r in ids)
    await scim.rows("UPDATE deprovisioning_guard SET state = 'TRIPPED' WHERE id = 1 RETURNING id")
    assert await _far(scim, "g", live=400) == Far.ASK
    await scim.rows("UPDATE deprovisioning_guard SET enabled = false WHERE id = 1 RETURNING id")
    assert await _far(scim, "h", live=400) == Far.OFF
    assert await _counted(scim) == (2, 2)


async def test_a_bulk_request_is_judged_under_the_full_lock(scim: Scim) -> None:
    # Several destructive writes in one transaction: none may hold a shard while a later one
    # waits for the full lock (which waits for every shard), so Bulk never takes the far path.
    ids = [(await scim.create_user(f"b{i}@example.com"))["id"] for i in range(5)]
    await scim.patch(f"/Users/{ids[0]}", DEACTIVATE)  # full lock: fills the live count's cache
    await scim.patch(f"/Users/{ids[1]}", DEACTIVATE)  # far (on PostgreSQL)
    operations = [
        {
            "method": "PATCH",
            "path": f"/Users/{uid}",
            "bulkId": f"b{i}",
            "data": {"schemas": [PATCH_OP], "Operations": DEACTIVATE},
        }
        for i, uid in enumerate(ids[2:])
    ]
    response = await scim.post("/Bulk", {"schemas": [BULK], "Operations": operations})
    assert response.status_code == 200, response.text
    assert [r["status"] for r in response.json()["Operations"]] == ["200"] * 3
    shards = await scim.rows("SELECT shard, COUNT(*) AS n FROM guard_counted GROUP BY shard")
    if scim.db.kind == "postgresql":  # the second single PATCH counted far, on a shard
        assert sorted((r["shard"] > 0, r["n"]) for r in shards) == [(False, 4), (True, 1)]
    else:
        assert shards == [{"shard": 0, "n": 5}]
    assert await _counted(scim) == (5, 5)
