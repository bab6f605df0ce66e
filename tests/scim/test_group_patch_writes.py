"""A member PATCH writes the group row once and does not read the group again (issue 14, item 5).

Each case counts the statements that read or write the ``groups`` row of the patched group,
through the real SCIM endpoint on both engines, and checks the whole result. A change also
yields its downstream event (rule 20), whose insert reads the group as it now is, at commit,
in the same statement; it is counted as "outbox".
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.scim.conftest import GROUP, Scim
from tests.support import counting


def _group_statements(seen: list[str]) -> list[str]:
    """The first two words of each statement that reads or writes a group row by its id (the
    rename's uniqueness check reads other rows, by name, and is not counted)."""
    on_row = [
        sql for sql in seen if sql.startswith("UPDATE groups") or "FROM groups WHERE id" in sql
    ]
    return [
        "outbox" if "INTO outbox_events" in sql else " ".join(sql.split()[:2]) for sql in on_row
    ]


async def _patch(scim: Scim, g: str, ops: list[dict[str, Any]], mp: pytest.MonkeyPatch) -> Any:
    with counting(mp) as seen:
        response = await scim.patch(f"/Groups/{g}", ops)
    mp.undo()
    assert response.status_code == 204, response.text
    return response.headers["etag"], _group_statements(seen)


async def _state(scim: Scim, g: str) -> tuple[int, int, list[str]]:
    group = (await scim.client.get(f"/Groups/{g}")).json()
    assert group["schemas"] == [GROUP]
    rows = await scim.rows("SELECT version, member_count FROM groups WHERE id = :g", {"g": g})
    return rows[0]["version"], rows[0]["member_count"], sorted(m["value"] for m in group["members"])


async def test_replace_remove_and_add_write_the_group_row_once(
    scim: Scim, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada, bob, cy, dee = [(await scim.create_user(f"{n}@x.com"))["id"] for n in "abcd"]
    g = await scim.create_group("Eng", [ada, bob])
    ops: list[dict[str, Any]] = [
        {"op": "replace", "path": "members", "value": [{"value": bob}, {"value": cy}]},
        {"op": "remove", "path": f'members[value eq "{bob}"]'},
        {"op": "add", "path": "members", "value": [{"value": dee}]},
        {"op": "replace", "path": "displayName", "value": "Engineering"},
    ]
    start, _, _ = await _state(scim, g)
    etag, statements = await _patch(scim, g, ops, monkeypatch)
    # one read of the row (locked), one write: version, name, member count, lastProvisionedAt;
    # then, at commit, the event, with the group as it now is
    assert statements == ["SELECT id,", "UPDATE groups", "outbox"]
    assert etag == f'W/"{start + 1}"'
    assert await _state(scim, g) == (start + 1, 2, sorted([cy, dee]))
    audit = await scim.rows(
        "SELECT action, changes FROM audit_entries WHERE target_id = :g ORDER BY at", {"g": g}
    )
    assert [a["action"] for a in audit] == ["group.create", "group.update"]


async def test_a_member_add_alone_writes_once_and_a_resync_only_marks_the_sync(
    scim: Scim, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada, bob = [(await scim.create_user(f"{n}@x.com"))["id"] for n in "ab"]
    g = await scim.create_group("Eng", [ada])
    add = [{"op": "add", "path": "members", "value": [{"value": bob}]}]
    start, _, _ = await _state(scim, g)
    etag, statements = await _patch(scim, g, add, monkeypatch)
    assert statements == ["SELECT id,", "UPDATE groups", "outbox"]
    assert etag == f'W/"{start + 1}"'
    assert await _state(scim, g) == (start + 1, 2, sorted([ada, bob]))
    # the same add again changes nothing: lastProvisionedAt moves, the version does not, and
    # no event is written (nothing is audited)
    etag, statements = await _patch(scim, g, add, monkeypatch)
    assert statements == ["SELECT id,", "UPDATE groups"]
    assert etag == f'W/"{start + 1}"'
    assert await _state(scim, g) == (start + 1, 2, sorted([ada, bob]))
