"""docs/rules.md rules 9-10 through GraphQL: groups and the protection of admins."""

from __future__ import annotations

from base64 import b64decode

import pytest

from app.domain.groups.provisioning import provision_create_group
from app.domain.users.provisioning import ProvisionedUser, provision_update_user
from app.errors import ProtectedAdmin
from tests.graphql.conftest import Api
from tests.graphql.helpers import ERRORS, gid, scim_create, use_idp, user_error
from tests.support import scim_actor

GRANT = "mutation($i: RolesInput!) { grantRoles(input: $i) { granted " + ERRORS + " } }"
REVOKE = "mutation($i: RolesInput!) { revokeRoles(input: $i) { revoked " + ERRORS + " } }"
STATUS = (
    "mutation($i: SetUserStatusInput!) { setUserStatus(input: $i) { user { status } "
    + ERRORS
    + " } }"
)


async def _owner_id(api: Api, token: str) -> str:
    body = await api.run("{ viewer { userId } }", token)
    return str(body["data"]["viewer"]["userId"])


async def test_rule9_idp_groups_are_read_only_but_take_roles(api: Api, owner: str) -> None:
    await use_idp(api.db)
    user = await scim_create(api.db, "ada@example.com", "00u1")
    async with api.db.transaction() as tx:
        group, _ = await provision_create_group(
            tx, actor=scim_actor(), display_name="Okta Eng", external_id="g1", members=[user.id]
        )
    g = gid("Group", group.id)
    rename = (
        "mutation($i: UpdateGroupInput!) { updateGroup(input: $i) { group { id } " + ERRORS + " } }"
    )
    body = await api.run(rename, owner, i={"id": g, "displayName": "Mine"})
    message = "group is managed by OKTA: rename it in the identity provider"
    assert body == {
        "data": {
            "updateGroup": {
                "group": None,
                "userErrors": [user_error("MANAGED_BY_IDP", ["displayName", "members"], message)],
            }
        }
    }
    body = await api.run(GRANT, owner, i={"roles": ["vpn"], "groupIds": [g]})
    assert body == {"data": {"grantRoles": {"granted": 1, "userErrors": []}}}
    query = (
        "query($g: ID!) { group(id: $g) { displayName authProvider roles memberCount"
        " viewerCanUpdate viewerCanGrantRoles members { nodes { loginId effectiveRoles } } } }"
    )
    assert await api.run(query, owner, g=g) == {
        "data": {
            "group": {
                "displayName": "Okta Eng",
                "authProvider": "OKTA",
                "roles": ["vpn"],
                "memberCount": 1,
                "viewerCanUpdate": False,
                "viewerCanGrantRoles": True,
                "members": {"nodes": [{"loginId": "ada@example.com", "effectiveRoles": ["vpn"]}]},
            }
        }
    }


async def test_rule9_idp_users_join_local_groups_and_delete_revokes_group_roles(
    api: Api, owner: str
) -> None:
    await use_idp(api.db)
    user = await scim_create(api.db, "ada@example.com", "00u1")
    uid = gid("User", user.id)
    created = await api.run(
        'mutation { createGroup(input: {displayName: "Ops"}) { group { id } } }', owner
    )
    g = created["data"]["createGroup"]["group"]["id"]
    add = (
        "mutation($i: GroupMembersInput!) { addGroupMembers(input: $i) { group { memberCount } "
        + ERRORS
        + " } }"
    )
    body = await api.run(add, owner, i={"groupId": g, "userIds": [uid]})
    assert body == {"data": {"addGroupMembers": {"group": {"memberCount": 1}, "userErrors": []}}}
    await api.run(GRANT, owner, i={"roles": ["pager"], "groupIds": [g]})
    roles = (
        "query($u: ID!) { user(id: $u) { roles effectiveRoles groups { nodes { displayName } } } }"
    )
    assert await api.run(roles, owner, u=uid) == {
        "data": {
            "user": {
                "roles": [],
                "effectiveRoles": ["pager"],
                "groups": {"nodes": [{"displayName": "Ops"}]},
            }
        }
    }
    delete = (
        "mutation($i: DeleteGroupInput!) { deleteGroup(input: $i) { deletedGroupId "
        + ERRORS
        + " } }"
    )
    body = await api.run(delete, owner, i={"id": g})
    assert body == {"data": {"deleteGroup": {"deletedGroupId": g, "userErrors": []}}}
    assert await api.run(roles, owner, u=uid) == {
        "data": {"user": {"roles": [], "effectiveRoles": [], "groups": {"nodes": []}}}
    }


async def test_rule10_last_owner_and_scim_cannot_touch_owners(api: Api, owner: str) -> None:
    owner_id = await _owner_id(api, owner)
    body = await api.run(STATUS, owner, i={"id": owner_id, "active": False, "reason": "bye"})
    last = user_error("LAST_OWNER", [], "at least one active OWNER must remain")
    assert body == {"data": {"setUserStatus": {"user": None, "userErrors": [last]}}}
    body = await api.run(REVOKE, owner, i={"roles": ["OWNER"], "userIds": [owner_id]})
    assert body == {"data": {"revokeRoles": {"revoked": 0, "userErrors": [last]}}}
    raw = b64decode(owner_id).decode().split(":", 1)[1]
    with pytest.raises(ProtectedAdmin):
        async with api.db.transaction() as tx:
            await provision_update_user(
                tx,
                actor=scim_actor(),
                user_id=raw,
                data=ProvisionedUser(active=False, touch=frozenset({"active"})),
            )
    body = await api.run("{ viewer { roles } users { nodes { status } } }", owner)
    assert body == {
        "data": {"viewer": {"roles": ["OWNER"]}, "users": {"nodes": [{"status": "ACTIVE"}]}}
    }
