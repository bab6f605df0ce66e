"""Rule 19 (docs/rules.md) through the one app: SCIM holds (PATCH, PUT, DELETE, Bulk, group
member removal), the admin's review (release with a per-write failure, discard of selected
writes, settings), who may do it, and the audit entries; SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from app.domain.access.bootstrap import issue_scim_token
from app.domain.guard.leases import book_of
from tests.e2e.guard_support import DISCARD, GUARD, HELD, RELEASE, UPDATE, deactivate_body
from tests.graphql.conftest import Api
from tests.graphql.helpers import gid, use_idp

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


class Idp:
    """The IdP's SCIM client over the same app."""

    def __init__(self, api: Api, token: str) -> None:
        self.http = api.http
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}

    async def send(self, method: str, path: str, body: Any = None) -> httpx.Response:
        content = None if body is None else orjson.dumps(body)
        return await self.http.request(
            method, "/scim/v2" + path, content=content, headers=self.headers
        )

    async def user(self, login: str) -> str:
        body = {"schemas": [USER], "userName": login, "externalId": login, "active": True}
        created = await self.send("POST", "/Users", body)
        assert created.status_code == 201, created.text
        return str(created.json()["id"])


async def _setup(api: Api, owner: str, users: int) -> tuple[Idp, list[str]]:
    """An IdP with ``users`` users and a guard that allows one destructive write."""
    await use_idp(api.db)
    async with api.db.transaction() as tx:
        idp = Idp(api, await issue_scim_token(tx, name="okta", ttl_days=30, max_active=2))
    ids = [await idp.user(f"u{k}@example.com") for k in range(users)]
    settled = await api.run(UPDATE, owner, input={"minimum": 1, "percent": 1})
    assert settled["data"]["updateDeprovisioningGuard"]["userErrors"] == []
    return idp, ids


async def _held(api: Api, owner: str) -> list[dict[str, Any]]:
    body = await api.run(HELD, owner, after=None)
    return list(body["data"]["provisioning"]["heldWrites"]["nodes"])


async def _outcomes(api: Api) -> list[tuple[str, str, int]]:
    async with api.db.transaction() as tx:
        rows = await tx.fetch(
            "SELECT method, outcome, status_code FROM provisioning_events ORDER BY at, id"
        )
    return [(r[0], r[1], r[2]) for r in rows]


async def test_every_destructive_shape_is_held_and_answered_as_accepted(
    api: Api, owner: str
) -> None:
    idp, ids = await _setup(api, owner, 6)
    first = await idp.send("PATCH", f"/Users/{ids[0]}", deactivate_body("okta"))
    assert (first.status_code, first.json()["active"]) == (200, False)
    held = await idp.send("PATCH", f"/Users/{ids[1]}", deactivate_body("okta"))
    assert (held.status_code, held.json()["active"]) == (200, True)  # as stored
    put = {"schemas": [USER], "userName": "u2@example.com", "active": False}
    assert (await idp.send("PUT", f"/Users/{ids[2]}", put)).json()["active"] is True
    assert (await idp.send("DELETE", f"/Users/{ids[3]}")).status_code == 204
    assert (await idp.send("GET", f"/Users/{ids[3]}")).status_code == 200  # not applied
    bulk = await idp.send(
        "POST",
        "/Bulk",
        {
            "schemas": [BULK],
            "Operations": [
                {"method": "PATCH", "path": f"/Users/{ids[4]}", "data": deactivate_body("okta")},
                {"method": "DELETE", "path": f"/Users/{ids[5]}"},
            ],
        },
    )
    assert [o["status"] for o in bulk.json()["Operations"]] == ["200", "204"]
    # A non-destructive write goes on.
    renamed = await idp.send(
        "PATCH",
        f"/Users/{ids[1]}",
        {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "Dr"}]},
    )
    assert (renamed.status_code, renamed.json()["title"]) == (200, "Dr")
    assert [(h["kind"], h["method"], h["position"]) for h in await _held(api, owner)] == [
        ("DEACTIVATE_USER", "PATCH", 1),
        ("DEACTIVATE_USER", "PUT", 2),
        ("DELETE_USER", "DELETE", 3),
        ("DEACTIVATE_USER", "PATCH", 4),
        ("DELETE_USER", "DELETE", 5),
    ]
    assert (await _outcomes(api))[6:] == [
        ("PATCH", "SUCCESS", 200),
        ("PATCH", "HELD", 200),
        ("PUT", "HELD", 200),
        ("DELETE", "HELD", 204),
        ("PATCH", "HELD", 200),
        ("DELETE", "HELD", 204),
        ("PATCH", "SUCCESS", 200),
    ]


async def test_member_removal_from_a_group_that_grants_roles_is_held(api: Api, owner: str) -> None:
    idp, ids = await _setup(api, owner, 3)
    made = await idp.send(
        "POST",
        "/Groups",
        {"schemas": [GROUP], "displayName": "Admins", "members": [{"value": i} for i in ids]},
    )
    group = made.json()["id"]
    grant = await api.run(
        "mutation($i: RolesInput!) { grantRoles(input: $i) { userErrors { code } } }",
        owner,
        i={"groupIds": [gid("Group", group)], "roles": ["ADMIN"]},
    )
    assert grant == {"data": {"grantRoles": {"userErrors": []}}}

    def remove(uid: str) -> dict[str, Any]:
        op = {"op": "remove", "path": f'members[value eq "{uid}"]'}
        return {"schemas": [PATCH_OP], "Operations": [op]}

    assert (await idp.send("PATCH", f"/Groups/{group}", remove(ids[0]))).status_code == 204
    assert (await idp.send("PATCH", f"/Groups/{group}", remove(ids[1]))).status_code == 204
    members = (await idp.send("GET", f"/Groups/{group}")).json()["members"]
    assert sorted(m["value"] for m in members) == sorted(ids[1:])
    held = await _held(api, owner)
    assert [(h["kind"], h["resourceId"]) for h in held] == [("REMOVE_MEMBERS", group)]
    released = await api.run(RELEASE, owner, input=None)
    assert released["data"]["releaseHeldWrites"]["outcomes"] == [
        {"applied": True, "error": None, "heldWrite": {"position": 1, "resourceId": group}}
    ]
    members = (await idp.send("GET", f"/Groups/{group}")).json()["members"]
    assert [m["value"] for m in members] == [ids[2]]


async def test_release_reports_a_write_that_no_longer_applies_and_discard_selects(
    api: Api, owner: str
) -> None:
    idp, ids = await _setup(api, owner, 5)
    for uid in ids[:4]:
        assert (await idp.send("PATCH", f"/Users/{uid}", deactivate_body("okta"))).is_success
    held = await _held(api, owner)
    assert len(held) == 3
    # Meanwhile, with the guard off, the IdP deletes the second held write's user.
    off = await api.run(UPDATE, owner, input={"enabled": False})
    assert off["data"]["updateDeprovisioningGuard"]["guard"]["state"] == "OFF"
    assert (await idp.send("DELETE", f"/Users/{ids[2]}")).status_code == 204
    await api.run(UPDATE, owner, input={"enabled": True})

    discarded = await api.run(DISCARD, owner, input={"ids": [held[2]["id"]]})
    assert discarded["data"]["discardHeldWrites"] == {
        "discarded": [{"position": 3}],
        "guard": {"state": "TRIPPED", "heldCount": 2},
        "userErrors": [],
    }
    released = await api.run(RELEASE, owner, input=None)
    assert released["data"]["releaseHeldWrites"] == {
        "outcomes": [
            {"applied": True, "error": None, "heldWrite": {"position": 1, "resourceId": ids[1]}},
            {
                "applied": False,
                "error": f"no user with id {ids[2]!r}",
                "heldWrite": {"position": 2, "resourceId": ids[2]},
            },
        ],
        "guard": {"state": "ARMED", "heldCount": 0},
        "userErrors": [],
    }
    assert (await idp.send("GET", f"/Users/{ids[3]}")).json()["active"] is True  # discarded
    async with api.db.transaction() as tx:
        actions = [
            r[0]
            for r in await tx.fetch(
                "SELECT action FROM audit_entries WHERE action LIKE 'guard.%' ORDER BY at, id"
            )
        ]
    assert actions == ["guard.update"] * 3 + ["guard.discard", "guard.release"]


async def test_only_owner_or_admin_may_review_and_settings_validate(api: Api, owner: str) -> None:
    viewer = await api.token("viewer@example.com", "viewer")
    admin = await api.token("admin@example.com", "admin")
    refused = await api.run(RELEASE, viewer, input=None)
    message = "this token is read-only (VIEWER): mutations are not allowed"
    assert refused["data"]["releaseHeldWrites"]["userErrors"] == [
        {"code": "FORBIDDEN", "message": message}
    ]
    assert (await api.run(DISCARD, admin, input=None))["data"]["discardHeldWrites"][
        "userErrors"
    ] == []
    bad = await api.run(UPDATE, owner, input={"percent": 0})
    assert bad["data"]["updateDeprovisioningGuard"]["userErrors"] == [
        {
            "code": "INVALID_VALUE",
            "field": "percent",
            "message": "percent must be above 0 and at most 100",
        }
    ]
    await api.run(UPDATE, owner, input={"percent": 10, "minimum": 3, "window": 15})
    reset = await api.run(UPDATE, owner, input={"percent": None, "window": None})
    assert reset["data"]["updateDeprovisioningGuard"]["guard"] == {
        "state": "ARMED",
        "enabled": True,
        "percent": 5.0,
        "minimum": 3,
        "window": 60,
        "threshold": 3,
    }
    assert (await api.run(GUARD, viewer))["data"]["provisioning"]["guard"]["heldCount"] == 0


async def test_new_settings_wait_for_open_leases_so_none_is_spent_past_them(
    api: Api, owner: str
) -> None:
    # Far below a threshold of 1,000, the first deactivation leases 64 writes to this process
    # (on SQLite declared the only writer, as the one-worker server's lifespan does). Lowering
    # the threshold to 1 settles that lease first: it counts as the 2 writes spent, and the
    # next deactivation is held instead of spending the lease.
    book_of(api.db.cache)
    await use_idp(api.db)
    async with api.db.transaction() as tx:
        idp = Idp(api, await issue_scim_token(tx, name="okta", ttl_days=30, max_active=2))
    ids = [await idp.user(f"l{k}@example.com") for k in range(3)]
    assert (await api.run(UPDATE, owner, input={"minimum": 1000}))["data"][
        "updateDeprovisioningGuard"
    ]["userErrors"] == []
    for uid in ids[:2]:
        done = await idp.send("PATCH", f"/Users/{uid}", deactivate_body("okta"))
        assert (done.status_code, done.json()["active"]) == (200, False)
    lowered = await api.run(UPDATE, owner, input={"minimum": 1, "percent": 1})
    assert lowered["data"]["updateDeprovisioningGuard"]["guard"]["threshold"] == 1
    guard = (await api.run(GUARD, owner))["data"]["provisioning"]["guard"]
    assert (guard["state"], guard["counted"], guard["threshold"]) == ("ARMED", 2, 1)
    held = await idp.send("PATCH", f"/Users/{ids[2]}", deactivate_body("okta"))
    assert (held.status_code, held.json()["active"]) == (200, True)
    assert [(h["kind"], h["position"]) for h in await _held(api, owner)] == [("DEACTIVATE_USER", 1)]
