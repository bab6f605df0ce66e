"""One rule, two doors: the same change tried over SCIM and over GraphQL, both over HTTP.

Each test makes one change through `/scim/v2` and through `/graphql` of the same app and
asserts both whole answers, and that they agree on the rule of docs/rules.md in question (the
rule lives once, in app.domain; an adapter that answered differently would be a bug).
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import orjson

from app.domain.access.bootstrap import issue_scim_token
from tests.graphql.conftest import Api
from tests.graphql.helpers import gid, user_error

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")

FIELDS = "loginId authProvider status firstName lastName"
UPDATE = (
    "mutation($i: UpdateUserInput!) { updateUser(input: $i) { user { "
    + FIELDS
    + " } userErrors { code field fields message } } }"
)
CREATE = (
    "mutation($i: CreateUserInput!) { createUser(input: $i) { user { "
    + FIELDS
    + " } userErrors { code field fields message } } }"
)
SET_STATUS = (
    "mutation($i: SetUserStatusInput!) { setUserStatus(input: $i) { user { "
    + FIELDS
    + " } userErrors { code field fields message } } }"
)
GET = "query($id: ID!) { user(id: $id) { " + FIELDS + " } }"


class ScimClient:
    """SCIM over the same app and HTTP client as the GraphQL calls."""

    def __init__(self, api: Api, token: str) -> None:
        self.http = api.http
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/scim+json",
        }

    async def send(self, method: str, path: str, body: Any = None) -> httpx.Response:
        """One request to /scim/v2``path``."""
        content = None if body is None else orjson.dumps(body)
        return await self.http.request(
            method, "/scim/v2" + path, content=content, headers=self.headers
        )

    async def patch(self, path: str, *ops: dict[str, Any]) -> httpx.Response:
        """A PatchOp request."""
        return await self.send("PATCH", path, {"schemas": [PATCH_OP], "Operations": list(ops)})


async def _scim(api: Api) -> ScimClient:
    async with api.db.transaction() as tx:
        token = await issue_scim_token(tx, name="okta", ttl_days=30, max_active=2)
    return ScimClient(api, token)


def _scrub(value: Any, **ids: str) -> Any:
    """``value`` with the given ids replaced by ``{name}`` and timestamps by ``<ts>``."""
    if isinstance(value, dict):
        return {k: _scrub(v, **ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, **ids) for v in value]
    if isinstance(value, str):
        if _TIMESTAMP.match(value):
            return "<ts>"
        for name, real in ids.items():
            value = value.replace(real, "{" + name + "}")
    return value


def _scim_error(status: int, scim_type: str | None, detail: str) -> dict[str, Any]:
    body: dict[str, Any] = {"schemas": [ERROR], "status": str(status)}
    if scim_type:
        body["scimType"] = scim_type
    body["detail"] = detail
    return body


async def _configure_okta(api: Api, owner: str) -> None:
    body = await api.run(
        'mutation { configureAuthentication(input: {type: OKTA, displayName: "Okta"}) {'
        " authenticationSettings { type provider } userErrors { code } } }",
        owner,
    )
    assert body == {
        "data": {
            "configureAuthentication": {
                "authenticationSettings": {"type": "OKTA", "provider": "OKTA"},
                "userErrors": [],
            }
        }
    }


def _scim_user(login: str, name: dict[str, str], version: int, **extra: Any) -> dict[str, Any]:
    """A SCIM User as Roster answers it, id and timestamps scrubbed (see `_scrub`)."""
    return {
        "schemas": [USER],
        "id": "{uid}",
        **extra,
        "userName": login,
        "name": name,
        "active": True,
        "meta": {
            "resourceType": "User",
            "created": "<ts>",
            "lastModified": "<ts>",
            "location": "http://roster.test/scim/v2/Users/{uid}",
            "version": f'W/"{version}"',
        },
    }


def _graphql_user(
    login: str, provider: str, first: str | None, last: str | None = None
) -> dict[str, Any]:
    """The FIELDS of a user as GraphQL answers them."""
    return {
        "loginId": login,
        "authProvider": provider,
        "status": "ACTIVE",
        "firstName": first,
        "lastName": last,
    }


def _payload(field: str, user: dict[str, Any] | None, *errors: dict[str, Any]) -> Any:
    """A whole mutation answer."""
    return {"data": {field: {"user": user, "userErrors": list(errors)}}}


async def _user_id(scim: ScimClient, login: str) -> str:
    found = await scim.send("GET", f'/Users?filter=userName eq "{login}"')
    assert found.status_code == 200, found.text
    return str(found.json()["Resources"][0]["id"])


async def test_idp_owned_first_name_changes_over_scim_only(api: Api, owner: str) -> None:
    """Rule 3: the IdP masters firstName of its users; an admin edit is refused whole."""
    await _configure_okta(api, owner)
    scim = await _scim(api)
    created = await scim.send(
        "POST",
        "/Users",
        {
            "schemas": [USER],
            "userName": "ada@example.com",
            "externalId": "00u1",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "active": True,
        },
    )
    assert created.status_code == 201, created.text
    uid = created.json()["id"]

    over_scim = await scim.patch(
        f"/Users/{uid}", {"op": "replace", "path": "name.givenName", "value": "Augusta"}
    )
    over_graphql = await api.run(UPDATE, owner, i={"id": gid("User", uid), "firstName": "Grace"})

    assert over_scim.status_code == 200
    assert _scrub(over_scim.json(), uid=uid) == _scim_user(
        "ada@example.com", {"givenName": "Augusta", "familyName": "Lovelace"}, 2, externalId="00u1"
    )
    refusal = "managed by OKTA: firstName cannot be changed here"
    assert over_graphql == _payload(
        "updateUser", None, user_error("MANAGED_BY_IDP", ["firstName"], refusal)
    )
    assert await api.run(GET, owner, id=gid("User", uid)) == {
        "data": {"user": _graphql_user("ada@example.com", "OKTA", "Augusta", "Lovelace")}
    }


async def test_local_user_is_renamed_over_graphql_only(api: Api, owner: str) -> None:
    """Rule 7: renaming a LOCAL user over SCIM answers 400 mutability; an admin may rename."""
    scim = await _scim(api)
    created = await api.run(CREATE, owner, i={"loginId": "grace@example.com", "firstName": "G"})
    assert created["data"]["createUser"]["userErrors"] == []
    uid = await _user_id(scim, "grace@example.com")

    over_scim = await scim.patch(
        f"/Users/{uid}", {"op": "replace", "path": "userName", "value": "hopper@example.com"}
    )
    over_graphql = await api.run(
        UPDATE, owner, i={"id": gid("User", uid), "loginId": "hopper@example.com"}
    )

    assert over_scim.status_code == 400
    assert over_scim.json() == _scim_error(
        400,
        "mutability",
        "userName of a LOCAL user is owned by Roster and cannot be renamed over SCIM",
    )
    assert over_graphql == _payload("updateUser", _graphql_user("hopper@example.com", "LOCAL", "G"))
    read = await scim.send("GET", f"/Users/{uid}")
    assert _scrub(read.json(), uid=uid) == _scim_user("hopper@example.com", {"givenName": "G"}, 2)


async def test_a_login_taken_in_another_case_is_refused_by_both(api: Api, owner: str) -> None:
    """Rule 6: loginId is unique case-insensitively (SCIM 409 uniqueness, ALREADY_EXISTS)."""
    scim = await _scim(api)
    created = await api.run(CREATE, owner, i={"loginId": "grace@example.com"})
    assert created["data"]["createUser"]["userErrors"] == []

    over_scim = await scim.send(
        "POST", "/Users", {"schemas": [USER], "userName": "GRACE@example.com", "active": True}
    )
    over_graphql = await api.run(CREATE, owner, i={"loginId": "Grace@Example.COM"})

    assert over_scim.status_code == 409
    assert over_scim.json() == _scim_error(
        409, "uniqueness", "userName: a user with loginId 'GRACE@example.com' already exists"
    )
    message = "a user with loginId 'Grace@Example.COM' already exists"
    assert over_graphql == _payload(
        "createUser", None, user_error("ALREADY_EXISTS", ["loginId"], message)
    )
    listed = await api.run("{ users(orderBy: {field: LOGIN_ID}) { nodes { loginId } } }", owner)
    assert listed == {
        "data": {
            "users": {"nodes": [{"loginId": "grace@example.com"}, {"loginId": "owner@example.com"}]}
        }
    }


async def test_the_last_owner_stays_active_through_both(api: Api, owner: str) -> None:
    """Rule 10: SCIM never deactivates an OWNER (403); an admin cannot lock out the last one."""
    scim = await _scim(api)
    uid = await _user_id(scim, "owner@example.com")

    over_scim = await scim.patch(
        f"/Users/{uid}", {"op": "replace", "path": "active", "value": False}
    )
    over_graphql = await api.run(
        SET_STATUS, owner, i={"id": gid("User", uid), "active": False, "reason": "leaving"}
    )

    assert over_scim.status_code == 403
    assert over_scim.json() == _scim_error(
        403, None, "SCIM cannot deactivate a user who holds OWNER"
    )
    assert over_graphql == _payload(
        "setUserStatus", None, user_error("LAST_OWNER", [], "at least one active OWNER must remain")
    )
    assert await api.run(GET, owner, id=gid("User", uid)) == {
        "data": {"user": _graphql_user("owner@example.com", "LOCAL", None)}
    }
