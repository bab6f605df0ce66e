"""No N+1: a page of users with groups, roles and profile costs a fixed number of statements."""

from __future__ import annotations

from typing import Any

import pytest

from app.db import Database
from app.domain.access.roles import grant_roles
from app.domain.groups.members import add_members
from app.domain.groups.service import create_group
from app.domain.users.service import UserCreate, create_user
from tests.graphql.conftest import Api
from tests.support import counting
from tests.support import owner as owner_actor

PAGE = (
    "query($n: Int!) { users(first: $n, orderBy: {field: LOGIN_ID}) { totalCount"
    " pageInfo { hasNextPage endCursor } edges { cursor node {"
    " id loginId externalId authProvider status createdAt updatedAt version firstName lastName"
    " email displayName title department city countryCode employeeNumber manager"
    " roles effectiveRoles groups { totalCount nodes { displayName roles } }"
    " profile { name value source editable } viewerCanUpdate viewerCanDelete lockedFields"
    " } } } }"
)


async def _directory(api: Api, users: int) -> None:
    actor = owner_actor()
    async with api.db.transaction() as tx:
        groups = [await create_group(tx, actor=actor, display_name=f"g{i}") for i in range(3)]
        ids = []
        for i in range(users):
            user = await create_user(
                tx,
                actor=actor,
                data=UserCreate(login_id=f"u{i:03}@example.com", profile={"firstName": f"F{i}"}),
            )
            ids.append(user.id)
        for group in groups:
            await add_members(tx, group_id=group.id, user_ids=ids)
        await grant_roles(tx, actor=actor, roles=["app"], group_ids=[groups[0].id])
        await grant_roles(tx, actor=actor, roles=["direct"], user_ids=ids)


async def _statements(api: Api, token: str, size: int, monkeypatch: pytest.MonkeyPatch) -> int:
    with counting(monkeypatch) as seen:
        body = await api.run(PAGE, token, n=size)
    assert "errors" not in body
    nodes = body["data"]["users"]["edges"]
    assert len(nodes) == size
    assert nodes[-1]["node"]["groups"]["totalCount"] == 3
    assert nodes[-1]["node"]["effectiveRoles"] == ["app", "direct"]
    monkeypatch.undo()
    # lastUsedAt is written when the clock minute changes, which may fall between two runs
    return len([sql for sql in seen if not sql.startswith("UPDATE api_tokens SET last_used_at")])


async def test_a_page_costs_the_same_statements_at_10_and_100(
    api: Api, owner: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _directory(api, 110)
    await api.run(PAGE, owner, n=1)  # warm: lastUsedAt written, catalogue memoised
    await api.settled()
    small = await _statements(api, owner, 10, monkeypatch)
    large = await _statements(api, owner, 100, monkeypatch)
    # auth (token, roles) + catalogue version + page + count + user roles + user groups
    # + roles of those groups: fixed, whatever the page size.
    assert small == large == 8


async def test_a_query_takes_no_write_transaction_except_for_last_used_once_a_minute(
    api: Api, owner: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The token check runs read-only (on SQLite: no writer lock); lastUsedAt, when due, is
    written in a write transaction of its own, which runs only the conditional UPDATE."""
    kinds: list[bool] = []
    original = Database.transaction

    def recorded(self: Database, *, write: bool = True) -> Any:
        kinds.append(write)
        return original(self, write=write)

    async def due() -> None:
        async with api.db.transaction() as tx:
            await tx.execute("UPDATE api_tokens SET last_used_at = NULL")

    query = "{ viewer { loginId } }"
    await due()
    monkeypatch.setattr(Database, "transaction", recorded)
    with counting(monkeypatch) as seen:
        first = await api.run(query, owner)
        first_kinds, first_writes = list(kinds), [s for s in seen if s.startswith("UPDATE")]
        kinds.clear()
        seen.clear()
        again = await api.run(query, owner)
    monkeypatch.undo()
    assert first == again == {"data": {"viewer": {"loginId": "owner@example.com"}}}
    assert first_kinds == [False, True, False]  # check, lastUsedAt, the query
    assert [" ".join(s.split()[:4]) for s in first_writes] == ["UPDATE api_tokens SET last_used_at"]
    assert kinds == [False, False]  # the same minute: nothing to write
    assert not [s for s in seen if s.startswith("UPDATE")]
