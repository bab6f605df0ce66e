"""Authentication, roles, GraphiQL and the HTTP surface."""

from __future__ import annotations

import httpx
import pytest

from app.domain.access.bootstrap import issue_scim_token
from app.main import create_app
from app.settings import Settings
from tests.graphql.conftest import Api
from tests.graphql.helpers import CREATE_USER, user_error

UNAUTHENTICATED = {
    "errors": [
        {
            "message": "an admin API token is required (Bearer)",
            "extensions": {"code": "UNAUTHENTICATED"},
        }
    ]
}


async def test_no_token_is_401(api: Api) -> None:
    response = await api.post("{ viewer { loginId } }", None, {})
    assert (response.status_code, response.json()) == (401, UNAUTHENTICATED)
    assert response.headers["www-authenticate"] == 'Bearer realm="roster-admin"'


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("rad_not-a-real-token", "invalid admin API token"),
        ("garbage", "not an admin API token"),
    ],
)
async def test_bad_token_is_401(api: Api, token: str, message: str) -> None:
    response = await api.post("{ viewer { loginId } }", token, {})
    assert response.status_code == 401
    assert response.json() == {
        "errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]
    }


async def test_a_scim_token_is_refused_at_graphql(api: Api) -> None:
    async with api.db.transaction() as tx:
        scim = await issue_scim_token(tx, name="okta", ttl_days=365, max_active=2)
    response = await api.post("{ viewer { loginId } }", scim, {})
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "not an admin API token"


async def test_revoked_token_is_401(api: Api, owner: str) -> None:
    body = await api.run("{ apiTokens { id } }", owner)
    token_id = body["data"]["apiTokens"][0]["id"]
    revoke = (
        "mutation($i: RevokeApiTokenInput!) { revokeApiToken(input: $i) { apiToken { state } } }"
    )
    body = await api.run(revoke, owner, i={"id": token_id})
    assert body == {"data": {"revokeApiToken": {"apiToken": {"state": "REVOKED"}}}}
    response = await api.post("{ viewer { loginId } }", owner, {})
    assert response.status_code == 401


VIEWER_READS = {
    "data": {
        "viewer": {
            "loginId": "analyst@example.com",
            "roles": ["VIEWER"],
            "canWrite": False,
            "isOwner": False,
        },
        "users": {"totalCount": 2},
    }
}


async def test_viewer_may_query_but_every_mutation_is_forbidden(api: Api, owner: str) -> None:
    viewer = await api.token("analyst@example.com", "viewer")
    body = await api.run(
        "{ viewer { loginId roles canWrite isOwner } users { totalCount } }", viewer
    )
    assert body == VIEWER_READS
    body = await api.run(CREATE_USER, viewer, i={"loginId": "x@example.com"})
    forbidden = user_error(
        "FORBIDDEN", [], "this token is read-only (VIEWER): mutations are not allowed"
    )
    assert body == {"data": {"createUser": {"user": None, "userErrors": [forbidden]}}}
    body = await api.run(
        'mutation { createGroup(input: {displayName: "Eng"}) { group { id } userErrors { code } }'
        " setProvisioningEnabled(input: {enabled: true}) { enabled userErrors { code } } }",
        viewer,
    )
    assert body == {
        "data": {
            "createGroup": {"group": None, "userErrors": [{"code": "FORBIDDEN"}]},
            "setProvisioningEnabled": {"enabled": None, "userErrors": [{"code": "FORBIDDEN"}]},
        }
    }
    after = await api.run(
        "{ users { totalCount } groups { totalCount } provisioning { enabled } }", owner
    )
    assert after == {
        "data": {
            "users": {"totalCount": 2},
            "groups": {"totalCount": 0},
            "provisioning": {"enabled": False},
        }
    }


async def test_viewer_sees_capabilities_as_false(api: Api, owner: str) -> None:
    viewer = await api.token("analyst@example.com", "viewer")
    body = await api.run(
        '{ user(loginId: "owner@example.com") { viewerCanUpdate viewerCanDelete'
        " viewerCannotUpdateReasons profile { name editable } } }",
        viewer,
    )
    user = body["data"]["user"]
    assert (user["viewerCanUpdate"], user["viewerCanDelete"]) == (False, False)
    assert user["viewerCannotUpdateReasons"] == ["INSUFFICIENT_ROLE"]
    assert {p["editable"] for p in user["profile"]} == {False}


async def test_admin_cannot_grant_owner(api: Api, owner: str) -> None:
    admin = await api.token("admin@example.com", "admin")
    body = await api.run('{ user(loginId: "admin@example.com") { id } }', admin)
    admin_id = body["data"]["user"]["id"]
    grant = (
        "mutation($i: RolesInput!) { grantRoles(input: $i) { granted "
        + "userErrors { code field fields message } } }"
    )
    body = await api.run(grant, admin, i={"roles": ["OWNER"], "userIds": [admin_id]})
    assert body == {
        "data": {
            "grantRoles": {
                "granted": 0,
                "userErrors": [
                    user_error("FORBIDDEN", [], "only an OWNER may grant the OWNER role")
                ],
            }
        }
    }
    body = await api.run(grant, admin, i={"roles": ["db-admin"], "userIds": [admin_id]})
    assert body == {"data": {"grantRoles": {"granted": 1, "userErrors": []}}}


async def test_graphiql_loads_for_a_browser(api: Api) -> None:
    response = await api.http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


async def test_get_queries_work(api: Api, owner: str) -> None:
    response = await api.http.get(
        "/graphql",
        params={"query": "{ viewer { loginId } }"},
        headers={"Authorization": f"Bearer {owner}", "Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": {"loginId": "owner@example.com"}}}


async def test_graphiql_and_introspection_can_be_switched_off(
    settings: Settings, api: Api, owner: str
) -> None:
    locked = settings.model_copy(update={"graphql_graphiql": False, "graphql_introspection": False})
    app = create_app(locked)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            page = await http.get("/graphql", headers={"Accept": "text/html"})
            assert page.status_code == 404
            response = await http.post(
                "/graphql",
                json={"query": "{ __schema { queryType { name } } }"},
                headers={"Authorization": f"Bearer {owner}"},
            )
    message = "GraphQL introspection has been disabled, but the requested query contained"
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": f"{message} the field '__schema'.",
                "locations": [{"line": 1, "column": 3}],
            },
            {
                "message": f"{message} the field 'queryType'.",
                "locations": [{"line": 1, "column": 14}],
            },
        ],
    }
