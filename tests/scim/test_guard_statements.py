"""What the deprovisioning guard (rule 19) costs a destructive write below its threshold, in
statements, through the real SCIM endpoint on both engines; how its leases settle and fold;
and how its window forgets.

Far below the threshold a write spends a lease its process holds, with no statement; the
write that takes the lease pays for the full lock. Leases are taken on PostgreSQL, and on
SQLite by a process that is the database's only writer (one worker: the `leases_on` fixture
declares it, as the server's lifespan does). SQLite with several workers: a read of the guard
and two writes per write, under the one writer lock. A switched-off guard costs one statement.
Listed whole, so that a new statement cannot slip in unnoticed.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from app.domain.clock import iso_in
from app.domain.guard import counts, leases
from app.domain.guard.leases import GRACE_SECONDS, LEASE_MAX, book_of, lease_size
from app.guard_task import settle_due
from tests.scim.conftest import PATCH_OP, Scim
from tests.support import counting

_GUARD_TABLES = (
    "deprovisioning_guard",
    "guard_counted",
    "guard_held",
    "guard_window",
    "guard_leases",
)
DEACTIVATE = [{"op": "replace", "path": "active", "value": False}]
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
OFF_CHECK = "SELECT enabled FROM"  # deprovisioning_guard, no lock
FULL_LOCK = [
    OFF_CHECK,
    "SELECT enabled, percent,",  # the guard row, FOR UPDATE
    "DELETE FROM guard_leases",  # fold the settled and dead leases
    "SELECT w.window_count, w.window_deletes,",
]
READ_SQLITE = "SELECT w.window_count, w.window_deletes,"  # and the guard, in one
# a write judged under the writer lock by SQLite with several workers
LOCKED_SQLITE = [READ_SQLITE, "INSERT INTO guard_counted", "UPDATE guard_window SET"]


@pytest.fixture
def long_leases(monkeypatch: pytest.MonkeyPatch) -> None:
    """Leases that last a minute: a slow machine cannot make a lease run low on time (and ask
    for the next one) between two statements the test lists whole."""
    monkeypatch.setattr(leases, "LEASE_SECONDS", 60.0)
    monkeypatch.setattr(counts, "LEASE_SECONDS", 60.0)


@pytest.fixture
def leases_on(scim: Scim) -> None:
    """Leases on both engines: on SQLite this process is declared the only writer."""
    book_of(scim.db.cache)


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


def _pg_only(scim: Scim) -> None:
    """Skip on SQLite: its only writer never waits for another process's lease."""
    if scim.db.kind != "postgresql":
        pytest.skip("SQLite's only writer never waits for another process's lease")


def _sqlite_only(scim: Scim) -> None:
    """Skip on PostgreSQL: it always takes leases (these tests play several SQLite workers)."""
    if scim.db.kind != "sqlite":
        pytest.skip("PostgreSQL always takes leases")


async def _minimum(scim: Scim, minimum: int) -> None:
    await scim.rows(
        "UPDATE deprovisioning_guard SET minimum = :m WHERE id = 1 RETURNING id", {"m": minimum}
    )


async def _users(scim: Scim, prefix: str, n: int) -> list[str]:
    return [(await scim.create_user(f"{prefix}{i}@example.com"))["id"] for i in range(n)]


async def _lease(
    scim: Scim,
    lease_id: str,
    granted: int,
    at: str,
    expires_at: str,
    *,
    used: int = 0,
    settled: bool = False,
) -> None:
    """A lease row as another worker (or an earlier run) left it."""
    await scim.rows(
        "INSERT INTO guard_leases (id, granted, used, deletes, settled, at, expires_at)"
        " VALUES (:id, :g, :u, 0, :s, :at, :exp) RETURNING id",
        {"id": lease_id, "g": granted, "u": used, "s": settled, "at": at, "exp": expires_at},
    )


async def _window(scim: Scim) -> dict[str, Any]:
    """The counters, the counted rows and the leases, after checking that the counters are
    the rows' weights."""
    window = (await scim.rows("SELECT window_count AS c, window_deletes AS d FROM guard_window"))[0]
    counted = await scim.rows("SELECT kind, weight FROM guard_counted ORDER BY at, id")
    assert window["c"] == sum(r["weight"] for r in counted)
    assert window["d"] == sum(r["weight"] for r in counted if r["kind"] == "DELETE_USER")
    leases = await scim.rows(
        "SELECT granted, used, deletes, settled FROM guard_leases ORDER BY at, id"
    )
    return {
        "counted": [(r["kind"], r["weight"]) for r in counted],
        "leases": [(r["granted"], r["used"], r["deletes"], bool(r["settled"])) for r in leases],
    }


@pytest.mark.usefixtures("long_leases", "leases_on")
async def test_far_below_the_threshold_a_write_spends_a_lease_with_no_statement(
    scim: Scim, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _minimum(scim, 10_000)
    ids = await _users(scim, "u", 4)
    assert await _deactivate(scim, ids[0], monkeypatch) == [*FULL_LOCK, "INSERT INTO guard_leases"]
    assert await _deactivate(scim, ids[1], monkeypatch) == []  # spends the lease
    # open: the lease counts as every write it grants
    assert await _window(scim) == {"counted": [], "leases": [(LEASE_MAX, 0, 0, False)]}
    assert [e[2] for e in await scim.events()][-2:] == ["SUCCESS", "SUCCESS"]

    book_of(scim.db.cache).close_all()  # the lease stops: the next write asks the database
    await scim.rows("UPDATE deprovisioning_guard SET enabled = false WHERE id = 1 RETURNING id")
    assert await _deactivate(scim, ids[2], monkeypatch) == [OFF_CHECK]
    await settle_due(scim.db)  # what the worker's background loop does
    assert await _window(scim) == {"counted": [], "leases": [(LEASE_MAX, 2, 0, True)]}


async def test_sqlite_with_several_workers_judges_each_write_under_the_writer_lock(
    scim: Scim, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sqlite_only(scim)
    await _minimum(scim, 10_000)
    ids = await _users(scim, "m", 3)
    assert await _deactivate(scim, ids[0], monkeypatch) == LOCKED_SQLITE
    assert await _deactivate(scim, ids[1], monkeypatch) == LOCKED_SQLITE
    assert await _window(scim) == {"counted": [("DEACTIVATE_USER", 1)] * 2, "leases": []}
    await scim.rows("UPDATE deprovisioning_guard SET enabled = false WHERE id = 1 RETURNING id")
    assert await _deactivate(scim, ids[2], monkeypatch) == [READ_SQLITE]


async def test_sqlite_with_several_workers_folds_leases_left_from_one_worker(
    scim: Scim, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Served with one worker, then with several: the leases left behind still count (a
    # settled one as what it spent, one never settled as all it granted) and are folded
    # into the window by the next write, which then reads the guard in one statement again.
    _sqlite_only(scim)
    await _minimum(scim, 10_000)
    ids = await _users(scim, "f", 2)
    expired = iso_in(-(GRACE_SECONDS + 1) / 86400)
    await _lease(scim, "done", 64, expired, expired, used=3, settled=True)
    await _lease(scim, "dead", 40, expired, expired)
    statements = await _deactivate(scim, ids[0], monkeypatch)
    assert statements[:2] == [READ_SQLITE, "DELETE FROM guard_leases"]
    assert await _window(scim) == {
        "counted": [("LEASED", 40), ("LEASED", 3), ("DEACTIVATE_USER", 1)],
        "leases": [],
    }
    assert await _deactivate(scim, ids[1], monkeypatch) == LOCKED_SQLITE


@pytest.mark.usefixtures("long_leases", "leases_on")
async def test_when_its_leases_run_low_one_write_takes_the_next_lease(
    scim: Scim, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A threshold of 48: the first write leases a quarter, 12. The write that leaves 3 of
    # them (a quarter) also takes the next lease, while the other writes go on spending: so
    # the process's writes do not all queue on the full lock when the first lease runs out.
    await _minimum(scim, 48)
    ids = await _users(scim, "r", 11)
    seen = [await _deactivate(scim, uid, monkeypatch) for uid in ids]
    assert seen[0] == [*FULL_LOCK, "INSERT INTO guard_leases"]
    assert seen[1:8] == [[]] * 7
    assert seen[8] == [*FULL_LOCK[1:], "INSERT INTO guard_leases"]  # no off check: spent
    assert seen[9:] == [[]] * 2
    # the next lease: a quarter of 48 - 12 (the first lease counts in full while open)
    assert lease_size(12, 48) == 9
    assert await _window(scim) == {
        "counted": [],
        "leases": [(12, 0, 0, False), (9, 0, 0, False)],
    }


@pytest.mark.usefixtures("long_leases", "leases_on")
async def test_a_settled_lease_folds_into_the_window_as_what_it_spent(
    scim: Scim, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _minimum(scim, 10_000)
    ids = await _users(scim, "s", 5)
    for uid in ids[:3]:
        await _deactivate(scim, uid, monkeypatch)
    delete = await scim.client.delete(f"/Users/{ids[3]}")
    assert delete.status_code == 204
    book = book_of(scim.db.cache)
    book.close_all()
    # The next write settles this process's lease in its own transaction, folds it (three
    # deactivations and a delete, one row each kind), and takes a new lease.
    statements = await _deactivate(scim, ids[4], monkeypatch)
    assert statements == [
        OFF_CHECK,
        "SELECT enabled, percent,",
        "UPDATE guard_leases SET",  # settle
        "DELETE FROM guard_leases",  # fold: the settled lease becomes counted rows
        "INSERT INTO guard_counted",
        "INSERT INTO guard_counted",
        "UPDATE guard_window SET",
        "SELECT w.window_count, w.window_deletes,",
        "INSERT INTO guard_leases",
    ]
    assert await _window(scim) == {
        "counted": [("LEASED", 3), ("DELETE_USER", 1)],
        "leases": [(lease_size(4, 10_000), 0, 0, False)],
    }
    assert book.due() == []  # the settled lease is forgotten once its settlement committed


async def test_a_write_at_the_threshold_waits_for_open_leases_to_settle(
    scim: Scim, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another worker holds a lease of 40 writes (open: it counts as 40) and has spent 5: a
    # threshold of 40 is reached only if that lease's unspent writes count, so the write waits
    # until the other worker settles it, then is applied; nothing trips.
    _pg_only(scim)
    await _minimum(scim, 40)
    uid = (await _users(scim, "t", 1))[0]
    # Its life (2 s) outlasts any stall of a busy machine before the settlement at 0.1 s: a
    # lease that expired first would be folded as dead instead (a loaded run saw that at 0.25 s).
    await _lease(scim, "other", 40, iso_in(0), iso_in(2 / 86400))

    async def other_worker_settles() -> None:
        await asyncio.sleep(0.1)
        await scim.rows(
            "UPDATE guard_leases SET settled = true, used = 5, at = :at WHERE id = 'other'"
            " RETURNING id",
            {"at": iso_in(0)},
        )

    settling = asyncio.create_task(other_worker_settles())
    statements = await _deactivate(scim, uid, monkeypatch)
    await settling
    assert statements[:4] == FULL_LOCK
    assert statements.count("DELETE FROM guard_leases") > 1  # looked again while it waited
    assert [e[2] for e in await scim.events()][-1] == "SUCCESS"
    state = await scim.rows("SELECT state FROM deprovisioning_guard")
    assert state == [{"state": "ARMED"}]
    # 5 spent and this write: 34 left, a quarter of it leased
    assert await _window(scim) == {
        "counted": [("LEASED", 5)],
        "leases": [(lease_size(5, 40), 0, 0, False)],
    }


@pytest.mark.usefixtures("leases_on")
async def test_a_dead_workers_lease_counts_as_every_write_it_granted(
    scim: Scim, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A lease open past its expiry and the grace period: its worker died (kill -9) and will
    # never say what it spent, so it counts as all 40, and the next write trips the guard.
    await _minimum(scim, 40)
    uid = (await _users(scim, "d", 1))[0]
    expired = iso_in(-(GRACE_SECONDS + 1) / 86400)
    await _lease(scim, "dead", 40, expired, expired)
    response = await scim.patch(f"/Users/{uid}", DEACTIVATE)
    assert response.status_code == 200 and response.json()["active"] is True  # held
    event = (await scim.events())[-1]
    assert event[2] == "HELD" and (event[4] or "").startswith("deprovisioning guard tripped")
    assert await _window(scim) == {"counted": [("LEASED", 40)], "leases": []}


@pytest.mark.usefixtures("long_leases", "leases_on")
async def test_a_bulk_request_spends_leases_but_takes_none(
    scim: Scim, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A lease taken inside a Bulk transaction could be spent only after its commit, and a
    # later write of the same request would wait for it: Bulk writes spend the leases the
    # process holds and are otherwise judged one by one under the full lock.
    await _minimum(scim, 10_000)
    ids = await _users(scim, "b", 7)
    await scim.patch(f"/Users/{ids[0]}", DEACTIVATE)  # takes a lease

    async def bulk(uids: list[str]) -> None:
        operations = [
            {
                "method": "PATCH",
                "path": f"/Users/{uid}",
                "bulkId": f"b{i}",
                "data": {"schemas": [PATCH_OP], "Operations": DEACTIVATE},
            }
            for i, uid in enumerate(uids)
        ]
        response = await scim.post("/Bulk", {"schemas": [BULK], "Operations": operations})
        assert response.status_code == 200, response.text
        assert [r["status"] for r in response.json()["Operations"]] == ["200"] * len(uids)

    await bulk(ids[1:4])  # spends the lease
    book_of(scim.db.cache).close_all()
    await bulk(ids[4:7])  # no lease left: one by one under the full lock
    assert await _window(scim) == {
        "counted": [("LEASED", 4), *[("DEACTIVATE_USER", 1)] * 3],
        "leases": [],
    }


async def test_under_the_full_lock_a_write_older_than_the_window_stops_counting(
    scim: Scim, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _minimum(scim, 3)  # a threshold of 3: no lease, every write under the full lock
    ids = await _users(scim, "w", 3)
    await _deactivate(scim, ids[0], monkeypatch)
    await _deactivate(scim, ids[1], monkeypatch)
    # the first write moves two hours back: past the 60-minute window
    await scim.rows(
        "UPDATE guard_counted SET at = '2000-01-01T00:00:00.000000Z'"
        " WHERE at = (SELECT MIN(at) FROM guard_counted) RETURNING id"
    )
    await _deactivate(scim, ids[2], monkeypatch)
    assert await _window(scim) == {"counted": [("DEACTIVATE_USER", 1)] * 2, "leases": []}
    assert await scim.rows("SELECT kind FROM guard_counted WHERE at < '2001-01-01'") == []
