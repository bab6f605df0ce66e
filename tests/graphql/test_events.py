"""GraphQL `events` (rule 20): a Relay connection over the outbox, oldest first from a cursor,
filtered by type, with hidden attributes masked for VIEWERs; the enum matches the domain."""

from __future__ import annotations

from typing import Any

from app.domain.outbox.types import EVENT_TYPES
from app.graphql.types.enums import EventType
from tests.graphql.conftest import Api

EVENTS = """
query($after: String, $first: Int, $types: [EventType!]) {
  events(after: $after, first: $first, types: $types) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { sequence type actorType actorLabel resourceType changes { field after }
      resource { __typename ... on User { loginId status } } resourceData } }
  }
}
"""
CREATE = """
mutation($login: String!) {
  createUser(input: {loginId: $login}) { user { id } userErrors { code } }
}
"""
DEACTIVATE = """
mutation($id: ID!) {
  setUserStatus(input: {id: $id, active: false, reason: "left"}) { userErrors { code } }
}
"""


async def _run(api: Api, token: str, query: str, **variables: Any) -> Any:
    body = await api.run(query, token, **variables)
    assert "errors" not in body, body
    return body["data"]


def test_the_event_type_enum_is_the_domain_catalogue() -> None:
    assert {t.value for t in EventType} == set(EVENT_TYPES)


async def test_events_page_from_a_cursor_and_filter_by_type(api: Api, owner: str) -> None:
    start = (await _run(api, owner, EVENTS, first=100))["events"]["totalCount"]
    made = []
    for login in ("a@example.com", "b@example.com", "c@example.com"):
        made.append((await _run(api, owner, CREATE, login=login))["createUser"]["user"]["id"])
    await _run(api, owner, DEACTIVATE, id=made[0])

    page = (await _run(api, owner, EVENTS, after=str(start), first=2))["events"]
    assert page["totalCount"] == 4
    assert page["pageInfo"] == {
        "hasNextPage": True,
        "hasPreviousPage": start > 0,
        "startCursor": str(start + 1),
        "endCursor": str(start + 2),
    }
    first = page["edges"][0]
    assert first == {
        "cursor": str(start + 1),
        "node": {
            "sequence": str(start + 1),
            "type": "USER_CREATED",
            "actorType": "ADMIN",
            "actorLabel": "owner@example.com",
            "resourceType": "User",
            "changes": first["node"]["changes"],
            "resource": {"__typename": "User", "loginId": "a@example.com", "status": "INACTIVE"},
            "resourceData": first["node"]["resourceData"],
        },
    }
    assert first["node"]["resourceData"]["status"] == "ACTIVE"  # as it was then
    assert first["node"]["resourceData"]["loginId"] == "a@example.com"

    rest = (await _run(api, owner, EVENTS, after=page["pageInfo"]["endCursor"]))["events"]
    assert [e["node"]["type"] for e in rest["edges"]] == ["USER_CREATED", "USER_DEACTIVATED"]
    assert rest["pageInfo"]["hasNextPage"] is False

    only = await _run(api, owner, EVENTS, after=str(start), types=["USER_DEACTIVATED"])
    assert [(e["node"]["sequence"], e["node"]["changes"]) for e in only["events"]["edges"]] == [
        (str(start + 4), [{"field": "status", "after": "INACTIVE"}])
    ]
    assert only["events"]["totalCount"] == 1


async def test_a_bad_cursor_is_an_error_that_names_it(api: Api, owner: str) -> None:
    body = await api.run(EVENTS, owner, after="seven")
    assert body["data"] is None
    assert [e["message"] for e in body["errors"]] == [
        "after must be an event cursor (its sequence number), not 'seven'"
    ]
