"""A SCIM read runs in a read-only transaction: no write lock, no write of its own, except the
token's lastUsedAt once a minute, written afterwards in a transaction of its own.

On SQLite a read-write transaction begins with BEGIN IMMEDIATE, SQLite's one writer lock: a
read that took it waited for every write (and, with several workers, for the other workers'
reads). tests/e2e/test_concurrency.py shows a read answering while another connection holds
that lock; these tests show which statements a read runs, on both engines.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from app.db import drivers
from app.db.drivers import NeedsSnapshot
from app.domain.settings.catalogue import CATALOGUE
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


@contextmanager
def _in_transaction(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, bool]]]:
    """Record (the statement's first words, whether it ran inside a transaction)."""
    seen: list[tuple[str, bool]] = []
    pg_call, sqlite_run = drivers.PgTx._call, drivers.SqliteTx._run

    async def pg(self: Any, method: str, sql: str, params: Any) -> Any:
        result = await pg_call(self, method, sql, params)  # a refused one is not recorded
        seen.append((" ".join(sql.split()[:3]), self._conn.is_in_transaction()))
        return result

    def lite(self: Any, sql: str, params: Any) -> Any:
        seen.append((" ".join(sql.split()[:3]), self._conn.in_transaction))
        return sqlite_run(self, sql, params)

    monkeypatch.setattr(drivers.PgTx, "_call", pg)
    monkeypatch.setattr(drivers.SqliteTx, "_run", lite)
    yield seen
    monkeypatch.undo()


TOKEN = "SELECT t.id, t.name,"


async def test_on_postgresql_a_one_statement_read_runs_without_begin_and_commit(
    scim: Scim, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user by id and a filtered list are the token check and one statement: on PostgreSQL
    they run outside a transaction (two round trips fewer); a list without a filter, which also
    reads the directory's counter, runs in one. SQLite begins its transaction in process."""
    user = await scim.create_user("ada@example.com")
    outside = scim.db.kind == "postgresql"
    with _in_transaction(monkeypatch) as seen:
        by_id = await scim.client.get(f"/Users/{user['id']}")
        by_filter = await scim.client.get(
            "/Users", params={"filter": 'userName eq "ada@example.com"'}
        )
        page = await scim.client.get("/Users")
    assert (by_id.status_code, by_filter.status_code, page.status_code) == (200, 200, 200)
    assert by_id.json() == user
    assert by_filter.json()["Resources"] == [user]
    assert page.json()["Resources"] == [user]
    assert [t for _, t in seen[:4]] == [not outside] * 4
    assert [sql for sql, _ in seen[:4]] == [TOKEN, seen[1][0], TOKEN, seen[3][0]]
    assert all(t for _, t in seen[4:]) and len(seen) > 5
    assert seen[4][0] == TOKEN


async def test_a_read_that_needs_more_statements_runs_again_in_a_transaction(
    scim: Scim, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the catalogue dropped from the process cache, a user by id needs a third statement
    (the catalogue): on PostgreSQL the read stops before it and runs again, whole, in a
    transaction, and answers exactly as it would have."""
    user = await scim.create_user("bob@example.com")
    scim.db.cache.pop(CATALOGUE)
    with _in_transaction(monkeypatch) as seen:
        again = await scim.client.get(f"/Users/{user['id']}")
    assert again.status_code == 200
    assert again.json() == user
    if scim.db.kind == "sqlite":
        assert [t for _, t in seen] == [True, True, True]
        return
    # the token check and the catalogue outside; then the whole read inside a transaction
    assert seen[0] == (TOKEN, False)
    assert seen[1] == ("SELECT name, display_name,", False)  # the catalogue's attributes
    assert seen[2:] == [(TOKEN, True), (seen[3][0], True), (seen[4][0], True)]


@pytest.mark.parametrize(
    "statements",
    [
        ["SELECT 1", "SELECT 2", "SELECT 3"],
        ["UPDATE scim_tokens SET name = name"],
        ["SELECT 1", "LOCK"],
    ],
    ids=["a third statement", "a write", "a lock"],
)
async def test_outside_a_transaction_only_the_allowed_selects_run(
    scim: Scim, statements: list[str]
) -> None:
    if scim.db.kind == "sqlite":
        pytest.skip("SQLite ignores `statements`: its reads begin a transaction in process")
    ran: list[str] = []
    with pytest.raises(NeedsSnapshot):
        async with scim.db.transaction(write=False, statements=2) as tx:
            for sql in statements:
                if sql == "LOCK":
                    await tx.lock("test")
                elif sql.startswith("SELECT"):
                    await tx.fetchval(sql)
                else:
                    await tx.execute(sql)
                ran.append(sql)
    assert ran == statements[:-1]
    with pytest.raises(NeedsSnapshot):
        async with scim.db.transaction(write=False, statements=2) as tx, tx.savepoint():
            pass
