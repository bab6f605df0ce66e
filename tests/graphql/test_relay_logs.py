"""Issue 14 item 4: the logs as Relay connections of Nodes, typed enums, object links, payloads;
and every renamed or retyped field still answering, deprecated, as it did (one release).

Over HTTP to the whole app (GraphQL and SCIM mounted as app.main mounts them), on each engine.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from graphql import GraphQLEnumType

from app.domain.access.bootstrap import issue_scim_token
from app.graphql.ids import to_global_id
from app.graphql.schema import build_schema
from app.graphql.types.enums import AuditAction
from tests.graphql.conftest import Api
from tests.support import counting

SCIM_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
APP = Path(__file__).resolve().parents[2] / "app"


async def _scim_user(api: Api, login: str) -> tuple[str, str]:
    """(raw token id, raw user id) of a user an IdP creates over SCIM."""
    async with api.db.transaction() as tx:
        secret = await issue_scim_token(tx, name="okta", ttl_days=30, max_active=5)
    response = await api.http.post(
        "/scim/v2/Users",
        content=orjson.dumps({"schemas": [SCIM_USER], "userName": login}),
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/scim+json"},
    )
    assert response.status_code == 201, response.text
    async with api.db.transaction() as tx:
        token = await tx.fetchval("SELECT id FROM scim_tokens WHERE name = 'okta'")
    return str(token), str(response.json()["id"])


async def _owner_id(api: Api, owner: str) -> str:
    body = await api.run("{ viewer { userId } }", owner)
    return str(body["data"]["viewer"]["userId"])


async def test_old_names_answer_as_before(api: Api, owner: str) -> None:
    token, user = await _scim_user(api, "ada@example.com")
    owner_id = await _owner_id(api, owner)
    created = await api.run(
        'mutation { createGroup(input: {displayName: "Eng"}) { group { id databaseId } } }', owner
    )
    group = created["data"]["createGroup"]["group"]
    old = await api.run(
        "{ provisioning { events { cursors edges { cursor } nodes {"
        " tokenId resourceType resourceId resourceNodeId outcome method } } }"
        " auditLog(first: 1) { cursors edges { cursor } nodes { actorId action targetId } }"
        " apiTokens { userId user { id loginId } } }",
        owner,
    )
    assert "errors" not in old, old
    events = old["data"]["provisioning"]["events"]
    assert events["cursors"] == [e["cursor"] for e in events["edges"]]
    assert events["nodes"] == [
        {
            "tokenId": to_global_id("ScimToken", token),
            "resourceType": "User",
            "resourceId": user,
            "resourceNodeId": to_global_id("User", user),
            "outcome": "SUCCESS",
            "method": "POST",
        }
    ]
    audit = old["data"]["auditLog"]
    assert audit["cursors"] == [e["cursor"] for e in audit["edges"]]
    query = f'{{ node(id: "{owner_id}") {{ ... on User {{ databaseId }} }} }}'
    raw_owner = (await api.run(query, owner))["data"]["node"]["databaseId"]
    assert audit["nodes"] == [
        {"actorId": raw_owner, "action": "group.create", "targetId": group["databaseId"]}
    ]
    assert old["data"]["apiTokens"] == [
        {"userId": owner_id, "user": {"id": owner_id, "loginId": "owner@example.com"}}
    ]

    deleted = await api.run(
        "mutation($id: ID!) { deleteGroup(input: {id: $id}) { deletedGroupId"
        " group { id displayName } userErrors { code } } }",
        owner,
        id=group["id"],
    )
    assert deleted["data"]["deleteGroup"] == {
        "deletedGroupId": group["id"],
        "group": {"id": group["id"], "displayName": "Eng"},
        "userErrors": [],
    }
    uid = to_global_id("User", user)
    for verb, count in (("grantRoles", "granted"), ("revokeRoles", "revoked")):
        body = await api.run(
            f'mutation($u: ID!) {{ {verb}(input: {{roles: ["app"], userIds: [$u]}}) {{'
            f" {count} users {{ id roles }} groups {{ id }} userErrors {{ code }} }} }}",
            owner,
            u=uid,
        )
        roles = ["app"] if verb == "grantRoles" else []
        assert body["data"][verb] == {
            count: 1,
            "users": [{"id": uid, "roles": roles}],
            "groups": [],
            "userErrors": [],
        }


LOGS = """
query($first: Int) {
  provisioning { events(first: $first) { totalCount pageInfo { hasNextPage }
    edges { cursor node { __typename id databaseId method outcome resourceKind
      token { __typename name } resource { __typename ... on User { loginId } } } } } }
  auditLog(first: $first) { totalCount edges { node { __typename id databaseId kind actorType
    actor { __typename ... on User { loginId } ... on ScimToken { name }
            ... on SystemActor { label } }
    target { __typename ... on User { loginId } ... on Group { displayName } } } } }
}
"""


async def test_logs_are_relay_connections_of_typed_nodes_with_links(api: Api, owner: str) -> None:
    await _scim_user(api, "ada@example.com")
    await api.run('mutation { createGroup(input: {displayName: "Eng"}) { group { id } } }', owner)
    body = await api.run(LOGS, owner, first=10)
    assert "errors" not in body, body
    events = body["data"]["provisioning"]["events"]
    event = events["edges"][0]["node"]
    assert events["totalCount"] == 1
    assert event == {
        "__typename": "ProvisioningEvent",
        "id": to_global_id("ProvisioningEvent", event["databaseId"]),
        "databaseId": event["databaseId"],
        "method": "POST",
        "outcome": "SUCCESS",
        "resourceKind": "USER",
        "token": {"__typename": "ScimToken", "name": "okta"},
        "resource": {"__typename": "User", "loginId": "ada@example.com"},
    }
    entries = [e["node"] for e in body["data"]["auditLog"]["edges"]]
    for entry in entries:
        assert entry["id"] == to_global_id("AuditEntry", entry.pop("databaseId"))
        del entry["id"]
    assert body["data"]["auditLog"]["totalCount"] == len(entries)
    # newest first: the admin's group, the IdP's user, the system's SCIM token (bootstrap)
    assert entries == [
        {
            "__typename": "AuditEntry",
            "kind": "GROUP_CREATE",
            "actorType": "ADMIN",
            "actor": {"__typename": "User", "loginId": "owner@example.com"},
            "target": {"__typename": "Group", "displayName": "Eng"},
        },
        {
            "__typename": "AuditEntry",
            "kind": "USER_CREATE",
            "actorType": "SCIM",
            "actor": {"__typename": "ScimToken", "name": "okta"},
            "target": {"__typename": "User", "loginId": "ada@example.com"},
        },
        *entries[2:],
    ]
    assert all(e["actorType"] == "SYSTEM" for e in entries[2:])
    assert all(e["actor"]["__typename"] == "SystemActor" for e in entries[2:])
    # node(id:) resolves both kinds of log entry
    found = await api.run(f'{{ node(id: "{event["id"]}") {{ __typename id }} }}', owner)
    assert found["data"]["node"] == {"__typename": "ProvisioningEvent", "id": event["id"]}
    log = await api.run("{ auditLog(first: 1) { nodes { id kind } } }", owner)
    first = log["data"]["auditLog"]["nodes"][0]
    query = f'{{ node(id: "{first["id"]}") {{ ... on AuditEntry {{ id kind }} }} }}'
    assert (await api.run(query, owner))["data"]["node"] == first


async def test_links_of_a_log_page_cost_the_same_statements_for_3_and_12_entries(
    api: Api, owner: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _scim_user(api, "ada@example.com")
    for i in range(12):
        await api.run(
            f'mutation {{ createGroup(input: {{displayName: "g{i}"}}) {{ group {{ id }} }} }}',
            owner,
        )
    await api.settled()

    async def statements(first: int) -> int:
        with counting(monkeypatch) as seen:
            body = await api.run(LOGS, owner, first=first)
        monkeypatch.undo()
        assert "errors" not in body, body
        assert len(body["data"]["auditLog"]["edges"]) == first
        return len([s for s in seen if not s.startswith("UPDATE api_tokens SET last_used_at")])

    assert await statements(3) == await statements(12)


def test_every_enum_value_is_described() -> None:
    schema = build_schema()._schema
    enums = [t for n, t in schema.type_map.items() if isinstance(t, GraphQLEnumType)]
    assert {"AuditAction", "ActorType", "ProvisioningOutcome", "ScimMethod"} <= {
        e.name for e in enums
    }
    undescribed = [
        f"{e.name}.{v}"
        for e in enums
        if not e.name.startswith("__")
        for v, value in e.values.items()
        if not value.description
    ]
    assert undescribed == []


def test_audit_action_names_every_action_the_app_writes() -> None:
    written: set[str] = set()
    pattern = re.compile(r'action="([a-zA-Z.]+)"(?: if \w+ else "([a-zA-Z.]+)")?')
    for path in APP.rglob("*.py"):
        for match in pattern.finditer(path.read_text()):
            written.update(a for a in match.groups() if a)
    written -= {"store_true", "store_false", "version", "count", "append"}  # argparse actions
    assert written, "the scan found no action"
    assert sorted(written - {a.value for a in AuditAction}) == []


def test_deprecated_fields_say_what_replaces_them() -> None:
    schema = build_schema()._schema
    deprecated: dict[str, Any] = {}
    for name, graphql_type in schema.type_map.items():
        for field, definition in getattr(graphql_type, "fields", {}).items():
            if getattr(definition, "deprecation_reason", None):
                deprecated[f"{name}.{field}"] = definition.deprecation_reason
    assert sorted(deprecated) == [
        "ApiToken.userId",
        "AuditEntry.action",
        "AuditEntry.actorId",
        "AuditEntryConnection.cursors",
        "DeleteGroupPayload.deletedGroupId",
        "GrantRolesPayload.granted",
        "ProvisioningEvent.resourceNodeId",
        "ProvisioningEvent.resourceType",
        "ProvisioningEvent.tokenId",
        "ProvisioningEventConnection.cursors",
        "RevokeRolesPayload.revoked",
    ]
    assert all(
        r.startswith("Use ") and r.endswith("Kept for one release.") for r in deprecated.values()
    )
