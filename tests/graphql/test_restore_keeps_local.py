"""Rule 16 (docs/rules.md): a SCIM restore (the IdP's DELETE, then a POST with the same
externalId) keeps every locally mastered value: INHERIT_FROM_LOCAL attributes, notes, roles.

The admin works over /graphql, the IdP over /scim/v2 of the same app, on both engines.
"""

from __future__ import annotations

import orjson

from app.domain.access.bootstrap import issue_scim_token
from tests.graphql.conftest import Api
from tests.graphql.helpers import gid, use_idp

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
FIELDS = "loginId status title department notes roles"


async def test_a_scim_restore_keeps_local_values_notes_and_roles(api: Api, owner: str) -> None:
    await use_idp(api.db)
    async with api.db.transaction() as tx:
        token = await issue_scim_token(tx, name="okta", ttl_days=30, max_active=2)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
    priority = await api.run(
        'mutation { updateProfileAttribute(input: {name: "department",'
        " sourcePriority: INHERIT_FROM_LOCAL}) { userErrors { code } } }",
        owner,
    )
    assert priority == {"data": {"updateProfileAttribute": {"userErrors": []}}}
    body = {
        "schemas": [USER, ENT],
        "userName": "ada@example.com",
        "externalId": "00u1",
        "title": "Engineer",
        ENT: {"department": "Sales"},
    }
    created = await api.http.post("/scim/v2/Users", content=orjson.dumps(body), headers=headers)
    assert created.status_code == 201, created.text
    uid = gid("User", created.json()["id"])
    edit = await api.run(
        "mutation($i: UpdateUserInput!) { updateUser(input: $i) { userErrors { code } } }",
        owner,
        i={"id": uid, "department": "R&D", "notes": "badge 42"},
    )
    assert edit == {"data": {"updateUser": {"userErrors": []}}}
    grant = await api.run(
        "mutation($i: RolesInput!) { grantRoles(input: $i) { userErrors { code } } }",
        owner,
        i={"userIds": [uid], "roles": ["ADMIN"]},
    )
    assert grant == {"data": {"grantRoles": {"userErrors": []}}}

    deleted = await api.http.delete(f"/scim/v2/Users/{created.json()['id']}", headers=headers)
    assert deleted.status_code == 204
    body["title"] = "Principal Engineer"
    restored = await api.http.post("/scim/v2/Users", content=orjson.dumps(body), headers=headers)

    assert restored.status_code == 201, restored.text
    assert restored.json()["id"] == created.json()["id"]
    assert restored.json()[ENT] == {"department": "R&D"}
    after = await api.run("query($id: ID!) { user(id: $id) { " + FIELDS + " } }", owner, id=uid)
    assert after == {
        "data": {
            "user": {
                "loginId": "ada@example.com",
                "status": "ACTIVE",
                "title": "Principal Engineer",
                "department": "R&D",
                "notes": "badge 42",
                "roles": ["ADMIN"],
            }
        }
    }
