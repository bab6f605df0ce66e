"""What the deprovisioning guard (rule 19) costs a destructive write below its threshold, in
statements, through the real SCIM endpoint on both engines.

PostgreSQL: one statement counts the write and locks the guard's row until the commit (the
lock that shares the count between workers); SQLite: a read of the guard and two writes (the
write transaction already holds SQLite's one writer lock). A switched-off guard costs one
read on both. Listed whole, so that a new statement cannot slip in unnoticed.
"""

from __future__ import annotations

import pytest

from tests.scim.conftest import Scim
from tests.support import counting

_GUARD_TABLES = ("deprovisioning_guard", "guard_counted", "guard_held")
DEACTIVATE = [{"op": "replace", "path": "active", "value": False}]


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


async def _counted(scim: Scim) -> tuple[int, int]:
    rows = await scim.rows(
        "SELECT window_count, (SELECT COUNT(*) FROM guard_counted) AS n"
        " FROM deprovisioning_guard WHERE id = 1"
    )
    return rows[0]["window_count"], rows[0]["n"]


async def test_a_deactivation_below_the_threshold_costs_one_statement_on_postgres_three_on_sqlite(
    scim: Scim, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [(await scim.create_user(f"u{i}@example.com"))["id"] for i in range(3)]
    await _deactivate(scim, ids[0], monkeypatch)  # the live count is read once per change
    statements = await _deactivate(scim, ids[1], monkeypatch)
    if scim.db.kind == "postgresql":
        assert statements == ["WITH counted AS"]
    else:
        assert statements == [
            "SELECT g.enabled, g.percent,",
            "INSERT INTO guard_counted",
            "UPDATE deprovisioning_guard SET",
        ]
    assert await _counted(scim) == (2, 2)
    assert [e[2] for e in await scim.events()][-2:] == ["SUCCESS", "SUCCESS"]

    await scim.rows("UPDATE deprovisioning_guard SET enabled = false WHERE id = 1 RETURNING id")
    off = await _deactivate(scim, ids[2], monkeypatch)
    assert off == (
        ["WITH counted AS"] if scim.db.kind == "postgresql" else ["SELECT g.enabled, g.percent,"]
    )
    assert await _counted(scim) == (2, 2)  # switched off: not counted


async def test_a_write_older_than_the_window_stops_counting(
    scim: Scim, monkeypatch: pytest.MonkeyPatch
) -> None:
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
    kinds = await scim.rows("SELECT kind FROM guard_counted WHERE at < '2001-01-01'")
    assert kinds == []
