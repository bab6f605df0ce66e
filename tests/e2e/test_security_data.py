"""Data-side security over a real server on each engine (docs/security.md): authentication
secrets are write-only, injection through filters, sortBy, search text and attribute names is
inert, and the audit log has no API that changes it. Tokens and roles: test_security.py.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from app.db import Database
from tests.e2e.conftest import Live
from tests.e2e.test_security import USER, rows, state

SECRET = "s3cr3t-Value-that-must-never-come-back"


async def _graphql(live: Live, query: str, **variables: Any) -> str:
    async with httpx.AsyncClient(base_url=live.base, timeout=30) as http:
        response = await http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {live.admin}"},
        )
    assert response.status_code == 200, response.text
    return response.text


async def test_authentication_secrets_are_write_only(live: Live, clean_db: Database) -> None:
    configure = (
        "mutation($i: ConfigureAuthenticationInput!) { configureAuthentication(input: $i) {"
        " authenticationSettings { type displayName config secretNames hasSecret provider"
        " version updatedAt } userErrors { code message } } }"
    )
    answer = await _graphql(
        live,
        configure,
        i={
            "type": "OIDC",
            "config": {"issuer": "https://idp"},
            "secrets": {"clientSecret": SECRET},
        },
    )
    settings = json.loads(answer)["data"]["configureAuthentication"]
    assert settings["userErrors"] == []
    assert settings["authenticationSettings"]["secretNames"] == ["clientSecret"]
    everything = (
        "{ authenticationSettings { type displayName config secretNames hasSecret provider"
        " version updatedAt } auditLog(first: 100) { nodes { id at actorType actorId actorLabel"
        " action targetType targetId targetLabel changes { field before after } reason"
        " requestId } } }"
    )
    answers = [answer, await _graphql(live, everything)]
    (entry,) = [
        e
        for e in json.loads(answers[1])["data"]["auditLog"]["nodes"]
        if e["action"] == "authentication.configure"
    ]
    assert {"field": "secrets.clientSecret", "before": "<hidden>", "after": "<changed>"} in entry[
        "changes"
    ]
    for text in answers:
        assert SECRET not in text
    audit = await rows(clean_db, "SELECT * FROM audit_entries")
    assert audit and SECRET not in repr(audit)
    # Stored as given (docs/security.md: protect the database and its backups).
    assert SECRET in repr(await rows(clean_db, "SELECT secrets FROM auth_settings"))


INJECTIONS = [
    ({"filter": 'userName eq "x\\" or 1=1 --"'}, 200),
    ({"filter": 'userName eq "x" or 1=1'}, 400),
    ({"filter": "userName eq \"x' OR '1'='1\""}, 200),
    ({"filter": 'userName sw "%"'}, 200),
    ({"filter": "userName' OR '1'='1 eq \"x\""}, 400),
    ({"filter": 'name.givenName eq "a\\"); DROP TABLE users; --"'}, 200),
    ({"sortBy": "id; DROP TABLE users"}, 400),
    ({"sortBy": "userName desc, (SELECT 1)"}, 400),
    ({"attributes": "userName,id);DROP TABLE users;--"}, 200),
    ({"excludedAttributes": "emails' OR 1=1"}, 200),
]


async def test_injection_attempts_are_inert(live: Live, clean_db: Database) -> None:
    async with httpx.AsyncClient(base_url=live.base, timeout=30) as http:
        for k in range(3):
            body = {"schemas": [USER], "userName": f"u{k}@x.com", "name": {"givenName": "a"}}
            created = await http.post("/scim/v2/Users", json=body, headers=live.scim_headers())
            assert created.status_code == 201
        before = await state(clean_db)
        scim_answers = []
        for params, status in INJECTIONS:
            response = await http.get("/scim/v2/Users", params=params, headers=live.scim_headers())
            assert response.status_code == status, (params, response.text)
            if status == 200 and "filter" in params:
                scim_answers.append(response.json()["totalResults"])
        uid = created.json()["id"]
        patch = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "title; DROP TABLE users", "value": "x"}],
        }
        bad_path = await http.patch(
            f"/scim/v2/Users/{uid}", json=patch, headers=live.scim_headers()
        )
    assert scim_answers == [0, 0, 0, 0]
    assert bad_path.json()["scimType"] == "invalidPath"
    search = "query($s: String!) { users(filter: {search: $s}) { totalCount } }"
    for text in ("'; DROP TABLE users; --", "%", "_", "\\", "a' OR '1'='1"):
        assert json.loads(await _graphql(live, search, s=text)) == {
            "data": {"users": {"totalCount": 0}}
        }
    attribute = (
        'query($n: String!) { users(filter: {attribute: {name: $n, value: "a"}}) { totalCount } }'
    )
    answer = json.loads(await _graphql(live, attribute, n="firstName') OR 1=1 --"))
    assert answer["errors"][0]["extensions"]["code"] == "INVALID_VALUE"
    lookup = "query($l: String!) { user(loginId: $l) { id } }"
    assert json.loads(await _graphql(live, lookup, l="' OR 1=1 --")) == {"data": {"user": None}}
    # Nothing changed but the failed PATCH's provisioning event; every table is still there.
    after = await state(clean_db)
    assert after[:4] == before[:4] and after[5:] == before[5:]
    assert after[4] == [(before[4][0][0] + 1,)]


async def test_the_audit_log_cannot_be_changed_through_any_api(
    live: Live, clean_db: Database
) -> None:
    introspect = (
        "{ __schema { mutationType { fields { name args { type { name ofType { name } } }"
        " type { name } } } subscriptionType { fields { name } } } }"
    )
    schema = json.loads(await _graphql(live, introspect))["data"]["__schema"]
    names = [f["name"] for f in schema["mutationType"]["fields"]]
    inputs = [
        (a["type"]["name"] or a["type"]["ofType"]["name"])
        for f in schema["mutationType"]["fields"]
        for a in f["args"]
    ]
    assert len(names) > 10
    assert not [n for n in names + inputs if "audit" in n.lower()]
    async with httpx.AsyncClient(base_url=live.base, timeout=30) as http:
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            response = await http.request(
                method, "/scim/v2/AuditEntries", headers=live.scim_headers()
            )
            assert response.status_code in (404, 405)
        created = await http.post(
            "/scim/v2/Users",
            json={"schemas": [USER], "userName": "gone@x.com"},
            headers=live.scim_headers(),
        )
        before = await rows(clean_db, "SELECT id, action FROM audit_entries ORDER BY id")
        gone = await http.delete(
            f"/scim/v2/Users/{created.json()['id']}", headers=live.scim_headers()
        )
    assert gone.status_code == 204
    after = await rows(clean_db, "SELECT id, action FROM audit_entries ORDER BY id")
    assert after[: len(before)] == before and [a for _, a in after[len(before) :]] == [
        "user.delete"
    ]
