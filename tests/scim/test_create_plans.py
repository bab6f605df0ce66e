"""Every look-up of users a SCIM create runs is an index probe, whatever the directory's size.

A create with an externalId first looks for a user the same IdP deleted (rule 16). That
look-up had no index of its own: SQLite searched the `auth_provider` index, which holds every
user of the IdP, and sorted the result, so each create read the whole IdP's part of the
directory (0.97 ms of SQL at 2,000 users, growing with the directory). Migration 0010a
indexes deleted users for it. The test captures the statements of a real create and asks
SQLite for the plan of each; PostgreSQL, whose planner picks by statistics that a small test
table does not have, is checked for the index itself.
"""

from __future__ import annotations

import re

import pytest

from tests.scim.conftest import Scim
from tests.support import counting


async def test_each_user_lookup_of_a_create_is_an_index_probe(
    scim: Scim, monkeypatch: pytest.MonkeyPatch
) -> None:
    ghost = await scim.create_user("ghost@x.com", externalId="ext-ghost")
    assert (await scim.client.delete(f"/Users/{ghost['id']}")).status_code == 204
    with counting(monkeypatch) as seen:
        user = await scim.create_user("new@x.com", externalId="ext-new")
    monkeypatch.undo()
    assert user["userName"] == "new@x.com"
    lookups = [sql for sql in seen if sql.startswith("SELECT") and " FROM users WHERE " in sql]
    # the login, the live externalId, the IdP's deleted user with that externalId
    assert len(lookups) == 3, lookups
    assert any("deleted_at IS NOT NULL" in sql for sql in lookups)
    async with scim.db.transaction() as tx:
        if tx.dialect.name != "sqlite":
            rows = await tx.fetch(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_users_deleted_twin'"
            )
            assert [str(r[0]).split(" ON ")[1] for r in rows] == [
                "public.users USING btree (auth_provider, external_id, deleted_at, id)"
                " WHERE (deleted_at IS NOT NULL)"
            ]
            return
        plans = {}
        for sql in lookups:
            names = dict.fromkeys(re.findall(r":(\w+)", sql), "x")
            plan = await tx.fetch(f"EXPLAIN QUERY PLAN {sql}", names)
            plans[sql.split(" WHERE ", 1)[1]] = [str(r[-1]) for r in plan]
    for where, steps in plans.items():
        assert len(steps) == 1, (where, steps)  # no temporary B-tree for ORDER BY
        assert steps[0].startswith("SEARCH users USING "), (where, steps)
        assert "ix_users_auth_provider" not in steps[0], (where, steps)
    twin = next(steps for where, steps in plans.items() if "IS NOT NULL" in where)
    assert twin == [
        "SEARCH users USING INDEX ix_users_deleted_twin"
        " (auth_provider=? AND external_id=? AND deleted_at>?)"
    ]
