"""Bad input: each a clear error, and nothing changed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.graphql.conftest import Api
from tests.graphql.helpers import CREATE_USER, UPDATE_USER, gid, user_error

GROUP_ID = gid("Group", "01890000-0000-7000-8000-000000000001")
UNKNOWN_USER = gid("User", "01890000-0000-7000-8000-000000000009")


def _query_error(message: str, path: str, fields: list[str], column: int) -> dict[str, Any]:
    return {
        "message": message,
        "locations": [{"line": 1, "column": column}],
        "path": [path],
        "extensions": {"code": "INVALID_VALUE", "fields": fields},
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("!!!not-base64", "id: '!!!not-base64' is not a valid global id"),
        (gid("Nope", "x"), f"id: '{gid('Nope', 'x')}' is not a valid global id"),
        (gid("User", "not-a-uuid"), f"id: '{gid('User', 'not-a-uuid')}' is not a valid global id"),
        (GROUP_ID, "id: expected a User id, got a Group id"),
    ],
)
async def test_bad_ids_in_queries(api: Api, owner: str, value: str, message: str) -> None:
    body = await api.run("query($id: ID!) { user(id: $id) { id } }", owner, id=value)
    assert body == {"data": {"user": None}, "errors": [_query_error(message, "user", ["id"], 19)]}


async def test_unknown_ids(api: Api, owner: str) -> None:
    body = await api.run(
        "query($id: ID!) { user(id: $id) { id } node(id: $id) { id } }", owner, id=UNKNOWN_USER
    )
    assert body == {"data": {"user": None, "node": None}}
    body = await api.run(UPDATE_USER, owner, i={"id": UNKNOWN_USER, "firstName": "X"})
    raw = "01890000-0000-7000-8000-000000000009"
    assert body == {
        "data": {
            "updateUser": {
                "user": None,
                "userErrors": [user_error("NOT_FOUND", ["id"], f"no user with id '{raw}'")],
            }
        }
    }
    body = await api.run(UPDATE_USER, owner, i={"id": GROUP_ID, "firstName": "X"})
    wrong = user_error("INVALID_VALUE", ["id"], "id: expected a User id, got a Group id")
    assert body == {"data": {"updateUser": {"user": None, "userErrors": [wrong]}}}


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"email": "not-an-email"}, ("email", "email is not a valid email address")),
        ({"loginId": "x" * 256}, ("loginId", "loginId is longer than 255 characters")),
        ({"title": "t" * 2049}, ("title", "title is longer than 2048 characters")),
        (
            {"customAttributes": [{"name": "favouriteColour", "value": "blue"}]},
            ("favouriteColour", "unknown profile attribute(s): favouriteColour"),
        ),
    ],
)
async def test_invalid_values_change_nothing(
    api: Api, owner: str, fields: dict[str, Any], error: tuple[str, str]
) -> None:
    data = {"loginId": "new@example.com", "firstName": "N", **fields}
    body = await api.run(CREATE_USER, owner, i=data)
    assert body == {
        "data": {
            "createUser": {
                "user": None,
                "userErrors": [user_error("INVALID_VALUE", [error[0]], error[1])],
            }
        }
    }
    assert await api.run(
        "{ users { totalCount } auditLog(first: 5) { nodes { action } } }", owner
    ) == {
        "data": {
            "users": {"totalCount": 1},
            "auditLog": {
                "nodes": [
                    {"action": "apiToken.create"},
                    {"action": "role.grant"},
                    {"action": "user.create"},
                ]
            },
        }
    }


async def test_custom_attribute_values_are_typed(api: Api, owner: str) -> None:
    create = (
        'mutation { createCustomAttribute(input: {variableName: "costCode", displayName: '
        '"Cost code",'
        " datatype: NUMBER}) { profileAttribute { name datatype scimPath } userErrors { code } } }"
    )
    assert await api.run(create, owner) == {
        "data": {
            "createCustomAttribute": {
                "profileAttribute": {
                    "name": "costCode",
                    "datatype": "NUMBER",
                    "scimPath": "urn:ietf:params:scim:schemas:extension:roster:2.0:User:costCode",
                },
                "userErrors": [],
            }
        }
    }
    me = (await api.run("{ viewer { userId } }", owner))["data"]["viewer"]["userId"]
    wrong = await api.run(
        UPDATE_USER, owner, i={"id": me, "customAttributes": [{"name": "costCode", "value": "abc"}]}
    )
    assert wrong["data"]["updateUser"]["userErrors"] == [
        user_error("INVALID_VALUE", ["costCode"], "costCode must be a number")
    ]
    right = await api.run(
        UPDATE_USER, owner, i={"id": me, "customAttributes": [{"name": "costCode", "value": 4711}]}
    )
    assert right["data"]["updateUser"]["userErrors"] == []
    query = (
        "query($id: ID!) { user(id: $id) { version profile { name value } } users(filter: "
        '{attribute: {name: "costCode", value: "4711"}}) { totalCount } }'
    )
    body = await api.run(query, owner, id=me)
    values = {p["name"]: p["value"] for p in body["data"]["user"]["profile"]}
    assert (values["costCode"], body["data"]["user"]["version"]) == (4711, 2)
    assert body["data"]["users"] == {"totalCount": 1}


async def test_page_size_over_the_cap(api: Api, owner: str) -> None:
    body = await api.run("{ users(first: 101) { totalCount } }", owner)
    message = "first must be between 0 and 100 (the page-size cap)"
    assert body == {"data": None, "errors": [_query_error(message, "users", ["first"], 3)]}


async def test_query_over_the_depth_limit(api: Api, owner: str) -> None:
    deep = (
        "{ users { nodes { "
        + "groups { nodes { members { nodes { " * 4
        + "id"
        + " } } } }" * 4
        + " } } }"
    )
    response = await api.post(deep, owner, {})
    body = response.json()
    assert body == {
        "data": None,
        "errors": [
            {
                "message": "'anonymous' exceeds maximum operation depth of 12",
                "locations": body["errors"][0]["locations"],
            }
        ],
    }


async def test_too_many_aliases(api: Api, owner: str) -> None:
    query = "{ " + " ".join(f"a{i}: viewer {{ loginId }}" for i in range(31)) + " }"
    response = await api.post(query, owner, {})
    assert response.json()["errors"][0]["message"] == "31 aliases found. Allowed: 30"
