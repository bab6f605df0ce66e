"""A SCIM read runs in a read-only transaction: no write lock, no write of its own, except the
token's lastUsedAt once a minute, written afterwards in a transaction of its own.

On SQLite a read-write transaction begins with BEGIN IMMEDIATE, SQLite's one writer lock: a
read that took it waited for every write (and, with several workers, for the other workers'
reads). tests/e2e/test_concurrency.py shows a read answering while another connection holds
that lock; these tests show which statements a read runs, on both engines.
"""

from __future__ import annotations

import pytest

from tests.scim.conftest import Scim
from tests.support import counting


async def _last_used(scim: Scim) -> str | None:
    rows = await scim.rows("SELECT last_used_at FROM scim_tokens")
    assert len(rows) == 1
    value = rows[0]["last_used_at"]
    return None if value is None else str(value)


async def test_a_read_runs_its_two_reads_and_writes_last_used_once_a_minute_apart(
    scim: Scim, monkeypatch: pytest.MonkeyPatch
) -> None:
    uid = (await scim.create_user("ada@example.com"))["id"]
    await scim.rows("UPDATE scim_tokens SET last_used_at = NULL RETURNING id")
    with counting(monkeypatch) as seen:
        due = await scim.client.get(f"/Users/{uid}")
        first = list(seen)
        seen.clear()
        again = await scim.client.get(f"/Users/{uid}")
    monkeypatch.undo()
    assert (due.status_code, again.status_code) == (200, 200)
    assert due.json() == again.json()
    words = [[" ".join(sql.split()[:4]) for sql in batch] for batch in (first, seen)]
    # due: the token check, the user; then, in a write transaction of its own, lastUsedAt
    assert words[0] == [
        "SELECT t.id, t.name, t.token_hash,",
        words[0][1],
        "UPDATE scim_tokens SET last_used_at",
    ]
    assert "FROM users" in first[1]
    # the same minute: nothing written
    assert words[1] == words[0][:2]
    assert await _last_used(scim) is not None


async def test_a_write_still_notes_the_use_in_its_own_transaction(
    scim: Scim, monkeypatch: pytest.MonkeyPatch
) -> None:
    await scim.rows("UPDATE scim_tokens SET last_used_at = NULL RETURNING id")
    with counting(monkeypatch) as seen:
        await scim.create_user("bob@example.com")
    monkeypatch.undo()
    assert [" ".join(sql.split()[:3]) for sql in seen[:2]] == [
        "SELECT t.id, t.name,",
        "UPDATE scim_tokens SET",
    ]
    assert await _last_used(scim) is not None


async def test_a_failed_read_writes_nothing(scim: Scim, monkeypatch: pytest.MonkeyPatch) -> None:
    await scim.rows("UPDATE scim_tokens SET last_used_at = NULL RETURNING id")
    with counting(monkeypatch) as seen:
        missing = await scim.client.get("/Users/no-such-user")
    monkeypatch.undo()
    assert missing.status_code == 404
    assert not [sql for sql in seen if not sql.lstrip().upper().startswith("SELECT")]
    assert await _last_used(scim) is None
