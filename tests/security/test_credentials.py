"""Attacks on rules 15 and 16: credentials die with their user, and a SCIM create brings back
only what the same IdP deleted, never an admin-deleted user, its roles or its old token."""

from __future__ import annotations

from typing import Any

from app.db import Database
from app.graphql.ids import parse_global_id
from tests.e2e.conftest import Live
from tests.security.privilege_kit import (
    BULK_URN,
    DELETE_USER,
    GRANT,
    RESTORE_USER,
    STATUS,
    USER_URN,
    Attack,
    attack,
    gid,
)

ROLES = "query($l: String) { user(loginId: $l) { databaseId roles effectiveRoles notes title } }"


async def _revocations(db: Database, token_ids: list[str]) -> list[tuple[str, str]]:
    async with db.transaction() as tx:
        rows = await tx.fetch(
            "SELECT action, target_id FROM audit_entries WHERE action = 'apiToken.revoke'"
            " ORDER BY at, id"
        )
    return [(r["action"], r["target_id"]) for r in rows if r["target_id"] in token_ids]


def _tokens_of(a: Attack, user: str) -> list[dict[str, Any]]:
    rows = a.gql(a.owner, "{ apiTokens { id userId state } }")["data"]["apiTokens"]
    return [{"id": t["id"], "state": t["state"]} for t in rows if t["userId"] == gid("User", user)]


async def test_deleting_a_user_revokes_its_tokens_for_good(live: Live, clean_db: Database) -> None:
    with attack(live, clean_db) as a:
        dave = await a.token("dave@example.com", "admin")
        assert a.status_of(dave) == 200
        uid = a.user_id("dave@example.com")
        deleted = a.gql(a.owner, DELETE_USER, i={"id": gid("User", uid)})
        assert deleted["data"]["deleteUser"]["userErrors"] == []
        assert a.status_of(dave) == 401
        (token,) = _tokens_of(a, uid)
        assert token["state"] == "REVOKED"
        raw_token = parse_global_id(token["id"])[1]
        assert await _revocations(clean_db, [raw_token]) == [("apiToken.revoke", raw_token)]

        restored = a.gql(a.owner, RESTORE_USER, i={"id": gid("User", uid)})
        assert restored == {
            "data": {"restoreUser": {"user": {"databaseId": uid}, "userErrors": []}}
        }
        assert a.status_of(dave) == 401
        assert _tokens_of(a, uid) == [{"id": token["id"], "state": "REVOKED"}]


async def test_an_inactive_users_tokens_are_refused(live: Live, clean_db: Database) -> None:
    with attack(live, clean_db) as a:
        dave = await a.token("dave@example.com", "admin")
        target = gid("User", a.user_id("dave@example.com"))
        a.gql(a.owner, STATUS, i={"id": target, "active": False, "reason": "leave"})
        assert a.status_of(dave) == 401
        a.gql(a.owner, STATUS, i={"id": target, "active": True, "reason": "back"})
        assert a.status_of(dave) == 200


async def test_scim_does_not_bring_back_an_owner_an_admin_deleted(
    live: Live, clean_db: Database
) -> None:
    with attack(live, clean_db) as a:
        made = a.gql(
            a.owner,
            'mutation { createUser(input: {loginId: "erin@example.com", externalId: "okta-erin"})'
            " { user { databaseId } userErrors { code } } }",
        )
        erin = made["data"]["createUser"]["user"]["databaseId"]
        a.gql(a.owner, GRANT, i={"roles": ["OWNER"], "userIds": [gid("User", erin)]})
        secret = a.gql(
            a.owner,
            "mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { secret } }",
            i={"userId": gid("User", erin), "name": "erin", "ttlDays": 30},
        )["data"]["createApiToken"]["secret"]
        assert a.status_of(secret) == 200
        a.gql(a.owner, DELETE_USER, i={"id": gid("User", erin)})

        r = a.scim(
            "POST",
            "/Users",
            {"schemas": [USER_URN], "userName": "erin@example.com", "externalId": "okta-erin"},
        )
        assert r.status_code == 201, r.text
        fresh = r.json()["id"]
        assert fresh != erin
        assert a.gql(a.owner, ROLES, l="erin@example.com") == {
            "data": {
                "user": {
                    "databaseId": fresh,
                    "roles": [],
                    "effectiveRoles": [],
                    "notes": None,
                    "title": None,
                }
            }
        }
        assert a.status_of(secret) == 401
        async with clean_db.transaction() as tx:
            rows = await tx.fetch(
                "SELECT id, deleted_at IS NULL AS live FROM users WHERE external_id = 'okta-erin'"
            )
        assert sorted((r["id"], bool(r["live"])) for r in rows) == sorted(
            [(erin, False), (fresh, True)]
        )


async def test_a_scim_restore_keeps_local_values_and_does_not_revive_tokens(
    live: Live, clean_db: Database
) -> None:
    with attack(live, clean_db) as a:
        configured = a.gql(
            a.owner,
            'mutation { configureAuthentication(input: {type: OKTA, displayName: "Okta"})'
            " { userErrors { code } } }",
        )
        assert configured == {"data": {"configureAuthentication": {"userErrors": []}}}
        local = a.gql(
            a.owner,
            'mutation { updateProfileAttribute(input: {name: "title",'
            " sourcePriority: INHERIT_FROM_LOCAL}) { userErrors { code } } }",
        )
        assert local == {"data": {"updateProfileAttribute": {"userErrors": []}}}
        created = {
            "schemas": [USER_URN],
            "userName": "gina@example.com",
            "externalId": "okta-gina",
            "title": "from the IdP",
        }
        r = a.scim("POST", "/Users", created)
        assert r.status_code == 201, r.text
        gina = r.json()["id"]
        edit = a.gql(
            a.owner,
            "mutation($i: UpdateUserInput!) { updateUser(input: $i) { userErrors { code } } }",
            i={"id": gid("User", gina), "title": "Pager lead", "notes": "on call"},
        )
        assert edit == {"data": {"updateUser": {"userErrors": []}}}
        a.gql(a.owner, GRANT, i={"roles": ["ADMIN", "pager"], "userIds": [gid("User", gina)]})
        secret = a.gql(
            a.owner,
            "mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { secret } }",
            i={"userId": gid("User", gina), "name": "gina", "ttlDays": 30},
        )["data"]["createApiToken"]["secret"]
        assert a.status_of(secret) == 200

        assert a.scim("DELETE", f"/Users/{gina}").status_code == 204
        assert a.status_of(secret) == 401
        r = a.scim("POST", "/Users", created)
        assert r.status_code == 201, r.text
        assert r.json()["id"] == gina
        assert a.gql(a.owner, ROLES, l="gina@example.com") == {
            "data": {
                "user": {
                    "databaseId": gina,
                    "roles": ["ADMIN", "pager"],
                    "effectiveRoles": ["ADMIN", "pager"],
                    "notes": "on call",
                    "title": "Pager lead",
                }
            }
        }
        assert a.status_of(secret) == 401


async def test_a_scim_bulk_create_does_not_bring_back_an_admin_deleted_user(
    live: Live, clean_db: Database
) -> None:
    with attack(live, clean_db) as a:
        r = a.scim(
            "POST",
            "/Users",
            {"schemas": [USER_URN], "userName": "hal@example.com", "externalId": "okta-hal"},
        )
        hal = r.json()["id"]
        a.gql(a.owner, GRANT, i={"roles": ["ADMIN"], "userIds": [gid("User", hal)]})
        deleted = a.gql(a.owner, DELETE_USER, i={"id": gid("User", hal)})
        assert deleted["data"]["deleteUser"]["userErrors"] == []

        create = {"schemas": [USER_URN], "userName": "hal@example.com", "externalId": "okta-hal"}
        r = a.scim(
            "POST",
            "/Bulk",
            {
                "schemas": [BULK_URN],
                "Operations": [{"method": "POST", "path": "/Users", "bulkId": "h", "data": create}],
            },
        )
        assert r.status_code == 200, r.text
        (op,) = r.json()["Operations"]
        assert op["status"] == "201"
        fresh = op["location"].rsplit("/", 1)[1]
        assert fresh != hal
        assert a.gql(a.owner, ROLES, l="hal@example.com") == {
            "data": {
                "user": {
                    "databaseId": fresh,
                    "roles": [],
                    "effectiveRoles": [],
                    "notes": None,
                    "title": None,
                }
            }
        }
