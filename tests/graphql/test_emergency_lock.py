"""Rule 17 (docs/rules.md): an admin's emergency lock of an IdP-owned user holds against SCIM.

Every step goes over HTTP to the one app: the admin through /graphql, the IdP through
/scim/v2 (PATCH, PUT, Bulk, DELETE + restore), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import orjson

from app.domain.access.bootstrap import issue_scim_token
from tests.graphql.conftest import Api
from tests.graphql.helpers import gid, use_idp, user_error

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")

LOCK = "emergencyLock { reason lockedAt lockedBy { loginId } idpActive }"
FIELDS = f"status statusReason {LOCK}"
SET_STATUS = (
    "mutation($i: SetUserStatusInput!) { setUserStatus(input: $i) { user { "
    + FIELDS
    + " } userErrors { code field fields message } } }"
)
UNLOCK = (
    "mutation($i: UnlockUserInput!) { unlockUser(input: $i) { user { "
    + FIELDS
    + " } userErrors { code field fields message } } }"
)
GET = "query($id: ID!) { user(id: $id) { " + FIELDS + " } }"


class Idp:
    """The IdP's SCIM client, over the same app and HTTP client as the admin's calls."""

    def __init__(self, api: Api, token: str) -> None:
        self.http = api.http
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}

    async def send(self, method: str, path: str, body: Any = None) -> httpx.Response:
        content = None if body is None else orjson.dumps(body)
        return await self.http.request(
            method, "/scim/v2" + path, content=content, headers=self.headers
        )

    async def active(self, uid: str) -> bool:
        """What a SCIM GET says of ``active``."""
        got = await self.send("GET", f"/Users/{uid}")
        assert got.status_code == 200, got.text
        return bool(got.json()["active"])

    async def patch_active(self, uid: str, value: bool) -> httpx.Response:
        ops = [{"op": "replace", "path": "active", "value": value}]
        return await self.send("PATCH", f"/Users/{uid}", {"schemas": [PATCH_OP], "Operations": ops})


async def _idp(api: Api) -> Idp:
    async with api.db.transaction() as tx:
        token = await issue_scim_token(tx, name="okta", ttl_days=30, max_active=2)
    return Idp(api, token)


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, str) and _TIMESTAMP.match(value):
        return "<ts>"
    return value


def _locked(reason: str, idp_active: bool, by: str | None = "owner@example.com") -> Any:
    return {
        "status": "INACTIVE",
        "statusReason": reason,
        "emergencyLock": {
            "reason": reason,
            "lockedAt": "<ts>",
            "lockedBy": None if by is None else {"loginId": by},
            "idpActive": idp_active,
        },
    }


def _unlocked(status: str, reason: str | None = None) -> Any:
    return {"status": status, "statusReason": reason, "emergencyLock": None}


async def _idp_user(api: Api, idp: Idp, login: str = "ada@example.com") -> str:
    body = {"schemas": [USER], "userName": login, "externalId": "00u1", "active": True}
    created = await idp.send("POST", "/Users", body)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def _lock(api: Api, token: str, uid: str, reason: str = "laptop stolen") -> Any:
    return await api.run(
        SET_STATUS, token, i={"id": gid("User", uid), "active": False, "reason": reason}
    )


async def test_a_locked_user_stays_inactive_whatever_patch_put_and_bulk_send(
    api: Api, owner: str
) -> None:
    await use_idp(api.db)
    idp = await _idp(api)
    uid = await _idp_user(api, idp)

    locked = await _lock(api, owner, uid)
    assert _scrub(locked) == {
        "data": {"setUserStatus": {"user": _locked("laptop stolen", True), "userErrors": []}}
    }
    # SCIM reads back what the IdP wants, so the IdP does not loop re-sending it.
    assert await idp.active(uid) is True

    patched = await idp.patch_active(uid, True)
    assert (patched.status_code, patched.json()["active"]) == (200, True)
    put = await idp.send(
        "PUT",
        f"/Users/{uid}",
        {"schemas": [USER], "userName": "ada@example.com", "externalId": "00u1", "active": False},
    )
    assert (put.status_code, put.json()["active"]) == (200, False)
    assert _scrub(await api.run(GET, owner, id=gid("User", uid))) == {
        "data": {"user": _locked("laptop stolen", False)}
    }
    bulk = await idp.send(
        "POST",
        "/Bulk",
        {
            "schemas": [BULK],
            "Operations": [
                {
                    "method": "PATCH",
                    "path": f"/Users/{uid}",
                    "data": {
                        "schemas": [PATCH_OP],
                        "Operations": [{"op": "replace", "path": "active", "value": True}],
                    },
                }
            ],
        },
    )
    assert bulk.status_code == 200, bulk.text
    assert bulk.json()["Operations"][0]["status"] == "200"
    assert await idp.active(uid) is True
    assert _scrub(await api.run(GET, owner, id=gid("User", uid))) == {
        "data": {"user": _locked("laptop stolen", True)}
    }


async def test_unlock_applies_what_the_idp_wants_and_clears_the_reason(
    api: Api, owner: str
) -> None:
    await use_idp(api.db)
    idp = await _idp(api)
    uid = await _idp_user(api, idp)
    await _lock(api, owner, uid)
    assert (await idp.patch_active(uid, True)).status_code == 200

    unlocked = await api.run(UNLOCK, owner, i={"id": gid("User", uid)})
    assert unlocked == {"data": {"unlockUser": {"user": _unlocked("ACTIVE"), "userErrors": []}}}
    assert await idp.active(uid) is True
    again = await api.run(UNLOCK, owner, i={"id": gid("User", uid)})
    assert again == {
        "data": {
            "unlockUser": {
                "user": None,
                "userErrors": [user_error("INVALID_VALUE", ["id"], "the user is not locked")],
            }
        }
    }
    # Unlocked, the IdP's writes apply again.
    assert (await idp.patch_active(uid, False)).status_code == 200
    assert await api.run(GET, owner, id=gid("User", uid)) == {
        "data": {"user": _unlocked("INACTIVE")}
    }
    audit = await api.run(
        '{ auditLog(filter: {action: "user.unlock"}) { nodes { action actorLabel targetLabel'
        " changes { field before after } } } }",
        owner,
    )
    assert audit == {
        "data": {
            "auditLog": {
                "nodes": [
                    {
                        "action": "user.unlock",
                        "actorLabel": "owner@example.com",
                        "targetLabel": "ada@example.com",
                        "changes": [
                            {"field": "emergencyLock", "before": "laptop stolen", "after": None},
                            {"field": "idpActive", "before": True, "after": None},
                            {"field": "status", "before": "INACTIVE", "after": "ACTIVE"},
                        ],
                    }
                ]
            }
        }
    }


async def test_unlock_keeps_the_user_inactive_when_the_idp_wants_it_so(
    api: Api, owner: str
) -> None:
    await use_idp(api.db)
    idp = await _idp(api)
    uid = await _idp_user(api, idp)
    await _lock(api, owner, uid)
    assert (await idp.patch_active(uid, False)).status_code == 200

    unlocked = await api.run(UNLOCK, owner, i={"id": gid("User", uid)})
    assert unlocked == {"data": {"unlockUser": {"user": _unlocked("INACTIVE"), "userErrors": []}}}
    assert await idp.active(uid) is False


async def test_reactivating_a_locked_user_lifts_the_lock(api: Api, owner: str) -> None:
    await use_idp(api.db)
    idp = await _idp(api)
    uid = await _idp_user(api, idp)
    await _lock(api, owner, uid)

    body = await api.run(
        SET_STATUS, owner, i={"id": gid("User", uid), "active": True, "reason": "laptop found"}
    )
    assert body == {
        "data": {"setUserStatus": {"user": _unlocked("ACTIVE", "laptop found"), "userErrors": []}}
    }
    assert (await idp.patch_active(uid, False)).status_code == 200
    assert await api.run(GET, owner, id=gid("User", uid)) == {
        "data": {"user": _unlocked("INACTIVE")}
    }


async def test_a_lock_survives_an_idp_delete_and_restore(api: Api, owner: str) -> None:
    await use_idp(api.db)
    idp = await _idp(api)
    uid = await _idp_user(api, idp)
    await _lock(api, owner, uid)

    assert (await idp.send("DELETE", f"/Users/{uid}")).status_code == 204
    body = {"schemas": [USER], "userName": "ada@example.com", "externalId": "00u1", "active": True}
    restored = await idp.send("POST", "/Users", body)
    assert restored.status_code == 201, restored.text
    assert (restored.json()["id"], restored.json()["active"]) == (uid, True)
    assert _scrub(await api.run(GET, owner, id=gid("User", uid))) == {
        "data": {"user": _locked("laptop stolen", True)}
    }


async def test_locked_by_is_null_once_that_admin_is_gone(api: Api, owner: str) -> None:
    await use_idp(api.db)
    idp = await _idp(api)
    uid = await _idp_user(api, idp)
    admin = await api.token("admin@example.com", "admin")
    await _lock(api, admin, uid)
    admin_id = await api.run('{ user(loginId: "admin@example.com") { id } }', owner)
    deleted = await api.run(
        "mutation($i: DeleteUserInput!) { deleteUser(input: $i) { userErrors { code } } }",
        owner,
        i={"id": admin_id["data"]["user"]["id"]},
    )
    assert deleted == {"data": {"deleteUser": {"userErrors": []}}}
    assert _scrub(await api.run(GET, owner, id=gid("User", uid))) == {
        "data": {"user": _locked("laptop stolen", True, by=None)}
    }


async def test_unlocking_needs_the_rights_of_deactivating(api: Api, owner: str) -> None:
    """Rule 14: only an OWNER unlocks a user holding OWNER; a VIEWER unlocks nobody."""
    await use_idp(api.db)
    idp = await _idp(api)
    uid = await _idp_user(api, idp)
    await _lock(api, owner, uid)
    grant = await api.run(
        "mutation($i: RolesInput!) { grantRoles(input: $i) { userErrors { code } } }",
        owner,
        i={"userIds": [gid("User", uid)], "roles": ["OWNER"]},
    )
    assert grant == {"data": {"grantRoles": {"userErrors": []}}}
    admin = await api.token("admin@example.com", "admin")
    viewer = await api.token("viewer@example.com", "viewer")

    by_admin = await api.run(UNLOCK, admin, i={"id": gid("User", uid)})
    by_viewer = await api.run(UNLOCK, viewer, i={"id": gid("User", uid)})

    only_owner = "only an OWNER may change the status of a user who holds OWNER"
    assert by_admin == {
        "data": {
            "unlockUser": {"user": None, "userErrors": [user_error("FORBIDDEN", [], only_owner)]}
        }
    }
    read_only = "this token is read-only (VIEWER): mutations are not allowed"
    assert by_viewer == {
        "data": {
            "unlockUser": {"user": None, "userErrors": [user_error("FORBIDDEN", [], read_only)]}
        }
    }
    assert _scrub(await api.run(GET, owner, id=gid("User", uid))) == {
        "data": {"user": _locked("laptop stolen", True)}
    }


async def test_a_status_reason_is_cleared_when_the_idp_changes_the_status_back(
    api: Api, owner: str
) -> None:
    """A LOCAL user matched by the IdP (rule 4): an admin's deactivation is no lock, and once
    the IdP reactivates the user the admin's reason no longer explains anything."""
    idp = await _idp(api)
    created = await api.run(
        'mutation { createUser(input: {loginId: "grace@example.com"}) { user { id } } }', owner
    )
    uid_global = created["data"]["createUser"]["user"]["id"]
    await api.run(SET_STATUS, owner, i={"id": uid_global, "active": False, "reason": "on leave"})
    found = await idp.send("GET", '/Users?filter=userName eq "grace@example.com"')
    uid = found.json()["Resources"][0]["id"]

    assert (await idp.patch_active(uid, True)).status_code == 200

    assert await api.run(GET, owner, id=uid_global) == {"data": {"user": _unlocked("ACTIVE")}}
