"""Attacks on rule 14: OWNER is reached only by an OWNER, on every path.

Each test is the attacker's request sequence against a real server (both engines), with an
ADMIN, a VIEWER or the IdP's SCIM token, asserting the whole refusal and that nothing changed
(the users, grants, memberships, groups and tokens re-read from the database).
"""

from __future__ import annotations

from typing import Any

import httpx

from app.db import Database
from tests.e2e.conftest import Live
from tests.security.privilege_kit import (
    ADD_MEMBERS,
    BULK_URN,
    DELETE_GROUP,
    GRANT,
    GROUP_URN,
    PATCH_URN,
    REMOVE_MEMBERS,
    USER_URN,
    Attack,
    attack,
    gid,
    refused,
    scim_error,
)

MEMBERS_OF_OWNER_GROUP = "only an OWNER may change the members of a group that holds OWNER"
SCIM_MEMBERS = (
    "the group holds OWNER: SCIM cannot add or remove its members (an OWNER changes them in the"
    " admin API)"
)
SCIM_DELETE_GROUP = "the group holds OWNER: SCIM cannot delete it"
IDP_GROUP = "OWNER cannot be granted to a group whose membership the identity provider controls"


def _members(a: Attack, group: str) -> dict[str, Any]:
    q = "query($g: ID!) { group(id: $g) { memberCount roles members { nodes { loginId } } } }"
    return a.gql(a.owner, q, g=gid("Group", group))


async def test_an_admin_cannot_join_a_group_holding_owner(live: Live, clean_db: Database) -> None:
    with attack(live, clean_db) as a:
        admin = await a.token("mallory@example.com", "admin")
        group = a.owner_group("Owners", "owner@example.com")
        me = gid("User", a.user_id("mallory@example.com"))
        before = await a.state()

        body = a.gql(admin, ADD_MEMBERS, i={"groupId": gid("Group", group), "userIds": [me]})
        assert body == {
            "data": {
                "addGroupMembers": {
                    "group": None,
                    "userErrors": refused("FORBIDDEN", MEMBERS_OF_OWNER_GROUP),
                }
            }
        }
        # The step it would have opened: granting OWNER directly.
        body = a.gql(admin, GRANT, i={"roles": ["OWNER"], "userIds": [me]})
        assert body == {
            "data": {
                "grantRoles": {
                    "granted": 0,
                    "userErrors": refused("FORBIDDEN", "only an OWNER may grant the OWNER role"),
                }
            }
        }
        assert a.gql(admin, "{ viewer { roles isOwner } }") == {
            "data": {"viewer": {"roles": ["ADMIN"], "isOwner": False}}
        }
        assert await a.state() == before


async def test_an_admin_cannot_grant_owner_to_a_group_it_belongs_to(
    live: Live, clean_db: Database
) -> None:
    with attack(live, clean_db) as a:
        admin = await a.token("mallory@example.com", "admin")
        made = a.gql(
            admin, 'mutation { createGroup(input: {displayName: "Mine"}) { group { databaseId } } }'
        )
        group = gid("Group", made["data"]["createGroup"]["group"]["databaseId"])
        me = gid("User", a.user_id("mallory@example.com"))
        joined = a.gql(admin, ADD_MEMBERS, i={"groupId": group, "userIds": [me]})
        assert joined["data"]["addGroupMembers"] == {"group": {"memberCount": 1}, "userErrors": []}
        before = await a.state()

        body = a.gql(admin, GRANT, i={"roles": ["OWNER"], "groupIds": [group]})
        assert body == {
            "data": {
                "grantRoles": {
                    "granted": 0,
                    "userErrors": refused("FORBIDDEN", "only an OWNER may grant the OWNER role"),
                }
            }
        }
        assert await a.state() == before


async def test_an_admin_cannot_empty_or_delete_a_group_holding_owner(
    live: Live, clean_db: Database
) -> None:
    with attack(live, clean_db) as a:
        admin = await a.token("mallory@example.com", "admin")
        await a.token("owner2@example.com", "viewer")
        group = a.owner_group("Owners", "owner@example.com", "owner2@example.com")
        before = await a.state()

        two = gid("User", a.user_id("owner2@example.com"))
        body = a.gql(admin, REMOVE_MEMBERS, i={"groupId": gid("Group", group), "userIds": [two]})
        assert body == {
            "data": {
                "removeGroupMembers": {
                    "group": None,
                    "userErrors": refused("FORBIDDEN", MEMBERS_OF_OWNER_GROUP),
                }
            }
        }
        body = a.gql(admin, DELETE_GROUP, i={"id": gid("Group", group)})
        assert body == {
            "data": {
                "deleteGroup": {
                    "deletedGroupId": None,
                    "userErrors": refused(
                        "FORBIDDEN", "only an OWNER may delete a group that holds OWNER"
                    ),
                }
            }
        }
        assert await a.state() == before


async def test_owner_cannot_be_granted_to_a_group_the_idp_controls(
    live: Live, clean_db: Database
) -> None:
    with attack(live, clean_db) as a:
        # A group the IdP created while authentication is INTERNAL: LOCAL, but its
        # membership is the IdP's (rule 14).
        r = a.scim("POST", "/Groups", {"schemas": [GROUP_URN], "displayName": "Okta Admins"})
        assert r.status_code == 201, r.text
        scim_group = gid("Group", r.json()["id"])
        before = await a.state()
        body = a.gql(a.owner, GRANT, i={"roles": ["OWNER"], "groupIds": [scim_group]})
        assert body == {
            "data": {"grantRoles": {"granted": 0, "userErrors": refused("FORBIDDEN", IDP_GROUP)}}
        }
        assert await a.state() == before

        # A group owned by the IdP itself.
        configured = a.gql(
            a.owner,
            'mutation { configureAuthentication(input: {type: OKTA, displayName: "Okta"})'
            " { userErrors { code } } }",
        )
        assert configured == {"data": {"configureAuthentication": {"userErrors": []}}}
        r = a.scim("POST", "/Groups", {"schemas": [GROUP_URN], "displayName": "Okta Owners"})
        assert r.status_code == 201, r.text
        idp_group = gid("Group", r.json()["id"])
        before = await a.state()
        body = a.gql(a.owner, GRANT, i={"roles": ["OWNER"], "groupIds": [idp_group]})
        assert body == {
            "data": {"grantRoles": {"granted": 0, "userErrors": refused("FORBIDDEN", IDP_GROUP)}}
        }
        # Other roles still reach IdP groups (rule 9).
        body = a.gql(a.owner, GRANT, i={"roles": ["pager"], "groupIds": [idp_group]})
        assert body == {"data": {"grantRoles": {"granted": 1, "userErrors": []}}}


def _json(r: httpx.Response) -> Any:
    return r.json() if r.content else None


def _patch(op: str, value: Any = None, path: str = "members") -> dict[str, Any]:
    operation: dict[str, Any] = {"op": op, "path": path}
    if value is not None:
        operation["value"] = value
    return {"schemas": [PATCH_URN], "Operations": [operation]}


async def test_scim_cannot_change_who_is_in_a_group_holding_owner(
    live: Live, clean_db: Database
) -> None:
    with attack(live, clean_db) as a:
        await a.token("owner2@example.com", "viewer")
        group = a.owner_group("Owners", "owner@example.com", "owner2@example.com")
        r = a.scim("POST", "/Users", {"schemas": [USER_URN], "userName": "eve@example.com"})
        assert r.status_code == 201, r.text
        eve = r.json()["id"]
        two = a.user_id("owner2@example.com")
        members_before = _members(a, group)
        before = await a.state()
        refusal = scim_error(403, SCIM_MEMBERS)

        # Add the IdP's own user, remove an OWNER, replace the members, over PATCH and PUT.
        for method, body in (
            ("PATCH", _patch("add", [{"value": eve}])),
            ("PATCH", _patch("remove", path=f'members[value eq "{two}"]')),
            ("PATCH", _patch("replace", [{"value": eve}])),
            ("PUT", {"schemas": [GROUP_URN], "displayName": "Owners", "members": []}),
        ):
            r = a.scim(method, f"/Groups/{group}", body)
            assert (r.status_code, _json(r)) == (403, refusal), (method, body)
        # The same through Bulk: the operation is refused, nothing of it applied.
        r = a.scim(
            "POST",
            "/Bulk",
            {
                "schemas": [BULK_URN],
                "Operations": [
                    {
                        "method": "PATCH",
                        "path": f"/Groups/{group}",
                        "data": _patch("add", [{"value": eve}]),
                    }
                ],
            },
        )
        assert r.status_code == 200, r.text
        assert [(op["status"], op["response"]) for op in r.json()["Operations"]] == [
            ("403", refusal)
        ]
        # Nor can it delete the group (which would end its members' OWNER).
        r = a.scim("DELETE", f"/Groups/{group}")
        assert (r.status_code, _json(r)) == (403, scim_error(403, SCIM_DELETE_GROUP))
        # And the OWNER it could not remove, it cannot delete either (rule 10).
        r = a.scim("DELETE", f"/Users/{two}")
        assert (r.status_code, r.json()) == (
            403,
            scim_error(403, "SCIM cannot delete a user who holds OWNER"),
        )
        assert _members(a, group) == members_before
        assert await a.state() == before


async def test_scim_may_resync_a_group_holding_owner_but_not_rename_it(
    live: Live, clean_db: Database
) -> None:
    # Rule 14 refuses what would change who is an OWNER, not the IdP's resync of what is.
    # The rename is refused by rule 7: an admin made the group (OWNER never goes to the IdP's).
    with attack(live, clean_db) as a:
        await a.token("owner2@example.com", "viewer")
        group = a.owner_group("Owners", "owner@example.com", "owner2@example.com")
        ids = sorted([a.user_id("owner@example.com"), a.user_id("owner2@example.com")])
        members_before = _members(a, group)
        put = {
            "schemas": [GROUP_URN],
            "displayName": "Owners",
            "members": [{"value": i} for i in ids],
        }
        r = a.scim("PUT", f"/Groups/{group}", put)
        assert r.status_code == 200, r.text
        assert sorted(m["value"] for m in r.json()["members"]) == ids
        r = a.scim("PATCH", f"/Groups/{group}", _patch("replace", "Root", path="displayName"))
        assert (r.status_code, r.json()) == (
            400,
            scim_error(
                400,
                "displayName of a LOCAL group is owned by Roster and cannot be renamed over SCIM",
                "mutability",
            ),
        )
        after = _members(a, group)
        assert after["data"]["group"]["members"] == members_before["data"]["group"]["members"]
        assert after["data"]["group"]["roles"] == ["OWNER"]


async def test_scim_may_still_change_groups_without_owner(live: Live, clean_db: Database) -> None:
    with attack(live, clean_db) as a:
        r = a.scim("POST", "/Users", {"schemas": [USER_URN], "userName": "eve@example.com"})
        eve = r.json()["id"]
        r = a.scim("POST", "/Groups", {"schemas": [GROUP_URN], "displayName": "Staff"})
        group = r.json()["id"]
        a.gql(a.owner, GRANT, i={"roles": ["ADMIN"], "groupIds": [gid("Group", group)]})
        r = a.scim("PATCH", f"/Groups/{group}", _patch("add", [{"value": eve}]))
        assert r.status_code in (200, 204), r.text
        assert _members(a, group)["data"]["group"]["memberCount"] == 1
