"""Connections: keyset pages both ways, filters, provisioning counters and the event log."""

from __future__ import annotations

from typing import Any

from app.domain.provisioning.events import record_provisioning_event
from tests.graphql.conftest import Api
from tests.graphql.helpers import scim_create, use_idp

PAGE = (
    "query($f: Int, $a: String, $l: Int, $b: String) { users(first: $f, after: $a, last: $l,"
    " before: $b, orderBy: {field: LOGIN_ID}) { totalCount nodes { loginId }"
    " pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"
)


async def _users(api: Api, token: str, n: int) -> None:
    for i in range(n):
        await api.run(
            "mutation($i: CreateUserInput!) { createUser(input: $i) { userErrors { code } } }",
            token,
            i={"loginId": f"u{i}@example.com", "department": "R&D" if i % 2 else "Sales"},
        )


def _logins(body: dict[str, Any]) -> list[str]:
    return [n["loginId"] for n in body["data"]["users"]["nodes"]]


async def test_keyset_pages_forward_and_backward(api: Api, owner: str) -> None:
    await _users(api, owner, 5)
    first = await api.run(PAGE, owner, f=2)
    assert _logins(first) == ["owner@example.com", "u0@example.com"]
    info = first["data"]["users"]["pageInfo"]
    assert (info["hasNextPage"], info["hasPreviousPage"], first["data"]["users"]["totalCount"]) == (
        True,
        False,
        6,
    )
    second = await api.run(PAGE, owner, f=2, a=info["endCursor"])
    assert _logins(second) == ["u1@example.com", "u2@example.com"]
    back = await api.run(PAGE, owner, l=2, b=second["data"]["users"]["pageInfo"]["startCursor"])
    assert _logins(back) == ["owner@example.com", "u0@example.com"]
    assert back["data"]["users"]["pageInfo"]["hasPreviousPage"] is False
    last = await api.run(PAGE, owner, l=2)
    assert _logins(last) == ["u3@example.com", "u4@example.com"]
    bad = await api.run(PAGE, owner, f=2, a="bm90LWEtY3Vyc29y")
    assert bad["errors"][0]["message"] == "after is not a valid cursor"


async def test_user_filters(api: Api, owner: str) -> None:
    await _users(api, owner, 4)
    await use_idp(api.db)
    await scim_create(api.db, "ada@example.com", "00u1", firstName="Ada", lastName="Lovelace")
    query = (
        "query($f: UserFilter!) { users(filter: $f, orderBy: {field: LOGIN_ID, direction: DESC})"
        " { nodes { loginId } } }"
    )
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"search": "LOVE"}, ["ada@example.com"]),
        ({"search": "u1"}, ["u1@example.com"]),
        ({"authProvider": ["OKTA"]}, ["ada@example.com"]),
        (
            {"attribute": {"name": "department", "value": "R&D"}},
            ["u3@example.com", "u1@example.com"],
        ),
        ({"role": "OWNER"}, ["owner@example.com"]),
        ({"status": ["INACTIVE"]}, []),
        ({"createdAfter": "2000-01-01T00:00:00Z", "search": "u0"}, ["u0@example.com"]),
        ({"createdBefore": "2000-01-01T00:00:00Z"}, []),
    ]
    for condition, expected in cases:
        body = await api.run(query, owner, f=condition)
        assert (condition, _logins(body)) == (condition, expected)


async def test_groups_list_and_group_filter(api: Api, owner: str) -> None:
    me = (await api.run("{ viewer { userId } }", owner))["data"]["viewer"]["userId"]
    for name in ("Zeta", "alpha", "Mid"):
        await api.run(
            "mutation($n: String!) { createGroup(input: {displayName: $n}) { group { id } } }",
            owner,
            n=name,
        )
    groups = await api.run("{ groups { totalCount nodes { id displayName } } }", owner)
    assert [g["displayName"] for g in groups["data"]["groups"]["nodes"]] == ["alpha", "Mid", "Zeta"]
    mid = groups["data"]["groups"]["nodes"][1]["id"]
    await api.run(
        "mutation($g: ID!, $u: ID!) { addGroupMembers(input: {groupId: $g, userIds: [$u]}) { "
        "userErrors { code } } }",
        owner,
        g=mid,
        u=me,
    )
    body = await api.run(
        "query($g: ID!, $u: ID!) { users(filter: {groupId: $g}) { nodes { loginId } }"
        "groups(filter: {memberId: $u}) { nodes { displayName } } node(id: $g) { id ... on "
        "Group { memberCount } } }",
        owner,
        g=mid,
        u=me,
    )
    assert body == {
        "data": {
            "users": {"nodes": [{"loginId": "owner@example.com"}]},
            "groups": {"nodes": [{"displayName": "Mid"}]},
            "node": {"id": mid, "memberCount": 1},
        }
    }


STATS = (
    "{ provisioning { stats { usersByProvider { authProvider count } groupsByProvider { count }"
    ' requestsLast24h errorsLast24h } events(filter: {outcome: ["ERROR"]}) { nodes { outcome'
    " statusCode errorDetail } pageInfo { hasNextPage } } all: events(first: 1) { nodes { "
    "outcome } pageInfo { hasNextPage } } } }"
)


async def test_provisioning_stats_and_events(api: Api, owner: str) -> None:
    await use_idp(api.db)
    user = await scim_create(api.db, "ada@example.com", "00u1")
    async with api.db.transaction() as tx:
        for outcome, code in (("SUCCESS", 201), ("ERROR", 409)):
            await record_provisioning_event(
                tx,
                token_id=None,
                method="POST",
                resource_type="User",
                resource_id=user.id if code == 201 else None,
                external_id="00u1",
                outcome=outcome,
                status_code=code,
                error_detail=None if code == 201 else "uniqueness",
                duration_ms=2.0,
                request_id=None,
            )
    body = await api.run(STATS, owner)
    assert body == {
        "data": {
            "provisioning": {
                "stats": {
                    "usersByProvider": [
                        {"authProvider": "LOCAL", "count": 1},
                        {"authProvider": "OKTA", "count": 1},
                    ],
                    "groupsByProvider": [],
                    "requestsLast24h": 2,
                    "errorsLast24h": 1,
                },
                "events": {
                    "nodes": [{"outcome": "ERROR", "statusCode": 409, "errorDetail": "uniqueness"}],
                    "pageInfo": {"hasNextPage": False},
                },
                "all": {"nodes": [{"outcome": "ERROR"}], "pageInfo": {"hasNextPage": True}},
            }
        }
    }
