"""docs/rules.md rules 5-8 as an admin console sees them through GraphQL."""

from __future__ import annotations

from app.domain.users.provisioning import (
    ProvisionedUser,
    provision_delete_user,
    provision_update_user,
)
from app.errors import Mutability
from tests.graphql.conftest import Api
from tests.graphql.helpers import (
    GET_USER,
    UPDATE_USER,
    gid,
    scim_create,
    use_idp,
    user_error,
)
from tests.support import scim_actor

CAPS = (
    "authProvider viewerCanUpdate viewerCanDelete viewerCanChangeStatus viewerCannotUpdateReasons"
)


async def test_rule5_scim_values_of_local_sourced_attributes_are_ignored(
    api: Api, owner: str
) -> None:
    await use_idp(api.db)
    priority = (
        'mutation { updateProfileAttribute(input: {name: "department",'
        " sourcePriority: INHERIT_FROM_LOCAL}) { profileAttribute { name sourcePriority }"
        " userErrors { code } } }"
    )
    body = await api.run(priority, owner)
    assert body == {
        "data": {
            "updateProfileAttribute": {
                "profileAttribute": {"name": "department", "sourcePriority": "INHERIT_FROM_LOCAL"},
                "userErrors": [],
            }
        }
    }
    user = await scim_create(api.db, "ada@example.com", "00u1", firstName="Ada")
    uid = gid("User", user.id)
    await api.run(UPDATE_USER, owner, i={"id": uid, "department": "R&D"})
    async with api.db.transaction() as tx:
        await provision_update_user(
            tx,
            actor=scim_actor(),
            user_id=user.id,
            data=ProvisionedUser(
                profile={"department": "Sales", "firstName": "Augusta"}, touch=frozenset()
            ),
        )
    body = await api.run(
        "query($id: ID!) { user(id: $id) { firstName department } }", owner, id=uid
    )
    assert body == {"data": {"user": {"firstName": "Augusta", "department": "R&D"}}}


async def test_rule6_login_and_group_names_are_unique_case_insensitively(
    api: Api, owner: str
) -> None:
    create = (
        "mutation($i: CreateUserInput!) { createUser(input: $i) { user { id } userErrors { "
        "code field fields message } } }"
    )
    body = await api.run(create, owner, i={"loginId": "OWNER@example.COM"})
    message = "a user with loginId 'OWNER@example.COM' already exists"
    assert body == {
        "data": {
            "createUser": {
                "user": None,
                "userErrors": [user_error("ALREADY_EXISTS", ["loginId"], message)],
            }
        }
    }
    group = (
        "mutation($n: String!) { createGroup(input: {displayName: $n}) { group { displayName "
        "} userErrors { code field fields message } } }"
    )
    assert (await api.run(group, owner, n="Eng"))["data"]["createGroup"]["userErrors"] == []
    body = await api.run(group, owner, n="ENG")
    assert body == {
        "data": {
            "createGroup": {
                "group": None,
                "userErrors": [
                    user_error(
                        "ALREADY_EXISTS", ["displayName"], "a group named 'ENG' already exists"
                    )
                ],
            }
        }
    }


async def test_rule7_idp_renames_its_users_but_not_local_ones(api: Api, owner: str) -> None:
    local = await scim_create(api.db, "l@example.com")
    await use_idp(api.db)
    idp = await scim_create(api.db, "ada@example.com", "00u1")
    async with api.db.transaction() as tx:
        await provision_update_user(
            tx,
            actor=scim_actor(),
            user_id=idp.id,
            data=ProvisionedUser(login_id="ada.l@example.com"),
        )
    try:
        async with api.db.transaction() as tx:
            await provision_update_user(
                tx,
                actor=scim_actor(),
                user_id=local.id,
                data=ProvisionedUser(login_id="x@example.com"),
            )
    except Mutability:
        pass
    query = "query($a: ID!, $b: ID!) { a: user(id: $a) { loginId } b: user(id: $b) { loginId } }"
    body = await api.run(query, owner, a=gid("User", idp.id), b=gid("User", local.id))
    assert body == {
        "data": {"a": {"loginId": "ada.l@example.com"}, "b": {"loginId": "l@example.com"}}
    }


AFTER_DELETE = (
    "query($g: ID!) { users { totalCount } deleted: users(filter: {includeDeleted: true,"
    ' authProvider: [OKTA]}) { nodes { loginId } } byLogin: user(loginId: "ada@example.com")'
    ' { id } group(id: $g) { memberCount } auditLog(filter: {action: "user.delete"})'
    " { nodes { targetLabel actorLabel } } }"
)


async def test_rule8_deactivate_delete_and_restore(api: Api, owner: str) -> None:
    await use_idp(api.db)
    user = await scim_create(api.db, "ada@example.com", "00u1")
    uid = gid("User", user.id)
    group = await api.run(
        'mutation { createGroup(input: {displayName: "Eng"}) { group { id } } }', owner
    )
    group_id = group["data"]["createGroup"]["group"]["id"]
    add = (
        "mutation($i: GroupMembersInput!) { addGroupMembers(input: $i) { group { memberCount } } }"
    )
    body = await api.run(add, owner, i={"groupId": group_id, "userIds": [uid]})
    assert body == {"data": {"addGroupMembers": {"group": {"memberCount": 1}}}}
    async with api.db.transaction() as tx:
        await provision_update_user(
            tx,
            actor=scim_actor(),
            user_id=user.id,
            data=ProvisionedUser(active=False, touch=frozenset({"active"})),
        )
    listing = "{ users(filter: {status: [INACTIVE]}) { nodes { loginId status } } }"
    assert await api.run(listing, owner) == {
        "data": {"users": {"nodes": [{"loginId": "ada@example.com", "status": "INACTIVE"}]}}
    }
    async with api.db.transaction() as tx:
        await provision_delete_user(tx, actor=scim_actor(), user_id=user.id)
    assert await api.run(AFTER_DELETE, owner, g=group_id) == {
        "data": {
            "users": {"totalCount": 1},
            "deleted": {"nodes": [{"loginId": "ada@example.com"}]},
            "byLogin": None,
            "group": {"memberCount": 0},
            "auditLog": {"nodes": [{"targetLabel": "ada@example.com", "actorLabel": "scim:okta"}]},
        }
    }
    again = await scim_create(api.db, "ada@example.com", "00u1")
    assert again.id == user.id
    assert await api.run(GET_USER, owner, id=uid) != {"data": {"user": None}}
