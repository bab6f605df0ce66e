"""docs/rules.md rules 1-4 as an admin console sees them through GraphQL."""

from __future__ import annotations

from app.domain.types import SourcePriority
from app.domain.users.provisioning import ProvisionedUser, provision_update_user
from tests.graphql.conftest import Api
from tests.graphql.helpers import (
    GET_USER,
    UPDATE_USER,
    gid,
    scim_create,
    set_priority,
    use_idp,
    user_error,
)
from tests.support import scim_actor

CAPS = (
    "authProvider viewerCanUpdate viewerCanDelete viewerCanChangeStatus viewerCannotUpdateReasons"
)


async def test_rule1_scim_create_owner_follows_authentication(api: Api, owner: str) -> None:
    local = await scim_create(api.db, "bob@example.com")
    await use_idp(api.db)
    okta = await scim_create(api.db, "ada@example.com", "00u1")
    query = (
        "query($a: ID!, $b: ID!) { a: user(id: $a) { "
        + CAPS
        + " } b: user(id: $b) { "
        + CAPS
        + " } }"
    )
    body = await api.run(query, owner, a=gid("User", local.id), b=gid("User", okta.id))
    assert body == {
        "data": {
            "a": {
                "authProvider": "LOCAL",
                "viewerCanUpdate": True,
                "viewerCanDelete": True,
                "viewerCanChangeStatus": True,
                "viewerCannotUpdateReasons": [],
            },
            "b": {
                "authProvider": "OKTA",
                "viewerCanUpdate": True,
                "viewerCanDelete": False,
                "viewerCanChangeStatus": True,
                "viewerCannotUpdateReasons": ["MANAGED_BY_IDP"],
            },
        }
    }


async def test_rule2_local_users_from_scim_are_editable_and_deletable(api: Api, owner: str) -> None:
    user = await scim_create(api.db, "c@example.com", title="x")
    uid = gid("User", user.id)
    body = await api.run(
        UPDATE_USER, owner, i={"id": uid, "loginId": "c2@example.com", "title": "Boss"}
    )
    assert body["data"]["updateUser"] == {
        "user": {
            "id": uid,
            "loginId": "c2@example.com",
            "authProvider": "LOCAL",
            "status": "ACTIVE",
            "version": 2,
            "firstName": None,
            "lastName": None,
            "title": "Boss",
            "department": None,
        },
        "userErrors": [],
    }
    delete = (
        "mutation($i: DeleteUserInput!) { deleteUser(input: $i) { user { deletedAt: deletedAt "
        "loginId } userErrors { code } } }"
    )
    body = await api.run(delete, owner, i={"id": uid})
    assert body["data"]["deleteUser"]["user"]["loginId"] == "c2@example.com"
    assert body["data"]["deleteUser"]["user"]["deletedAt"] is not None
    assert (await api.run(GET_USER, owner, id=uid)) == {"data": {"user": None}}


async def test_rule3_idp_fields_refuse_the_whole_edit_and_change_nothing(
    api: Api, owner: str
) -> None:
    await use_idp(api.db)
    await set_priority(api.db, "title", SourcePriority.INHERIT_FROM_LOCAL)
    user = await scim_create(api.db, "ada@example.com", "00u1", firstName="Ada", lastName="L")
    uid = gid("User", user.id)
    before = await api.run(GET_USER, owner, id=uid)
    edit = {
        "id": uid,
        "firstName": "Eve",
        "loginId": "eve@example.com",
        "title": "CTO",
        "lastName": "L",
    }
    body = await api.run(UPDATE_USER, owner, i=edit)
    message = "managed by OKTA: firstName, loginId cannot be changed here"
    assert body == {
        "data": {
            "updateUser": {
                "user": None,
                "userErrors": [user_error("MANAGED_BY_IDP", ["firstName", "loginId"], message)],
            }
        }
    }
    assert await api.run(GET_USER, owner, id=uid) == before
    ok = await api.run(UPDATE_USER, owner, i={"id": uid, "title": "CTO", "lastName": "L"})
    assert ok["data"]["updateUser"]["user"]["title"] == "CTO"
    assert ok["data"]["updateUser"]["user"]["version"] == 2


async def test_rule3_profile_says_which_fields_are_locked(api: Api, owner: str) -> None:
    await use_idp(api.db)
    await set_priority(api.db, "title", SourcePriority.INHERIT_FROM_LOCAL)
    user = await scim_create(api.db, "ada@example.com", "00u1", firstName="Ada")
    query = (
        "query($id: ID!) { user(id: $id) { lockedFields profile { name value source editable } } }"
    )
    body = await api.run(query, owner, id=gid("User", user.id))
    profile = {p["name"]: p for p in body["data"]["user"]["profile"]}
    assert profile["loginId"] == {
        "name": "loginId",
        "value": "ada@example.com",
        "source": "IDP",
        "editable": False,
    }
    assert profile["firstName"] == {
        "name": "firstName",
        "value": "Ada",
        "source": "IDP",
        "editable": False,
    }
    assert profile["title"] == {"name": "title", "value": None, "source": "LOCAL", "editable": True}
    locked = body["data"]["user"]["lockedFields"]
    assert "title" not in locked and {"loginId", "externalId", "firstName"} <= set(locked)


async def test_rule3_status_is_an_emergency_lock_and_delete_belongs_to_the_idp(
    api: Api, owner: str
) -> None:
    await use_idp(api.db)
    user = await scim_create(api.db, "ada@example.com", "00u1")
    uid = gid("User", user.id)
    status = (
        "mutation($i: SetUserStatusInput!) { setUserStatus(input: $i) { user { status statusReason"
        " version } userErrors { code field fields message } } }"
    )
    body = await api.run(status, owner, i={"id": uid, "active": False, "reason": "lost laptop"})
    assert body == {
        "data": {
            "setUserStatus": {
                "user": {"status": "INACTIVE", "statusReason": "lost laptop", "version": 2},
                "userErrors": [],
            }
        }
    }
    body = await api.run(status, owner, i={"id": uid, "active": True, "reason": " "})
    assert body["data"]["setUserStatus"]["userErrors"] == [
        user_error("INVALID_VALUE", ["reason"], "a reason is required to change a user's status")
    ]
    delete = (
        "mutation($i: DeleteUserInput!) { deleteUser(input: $i) { user { id } userErrors { "
        "code field fields message } } }"
    )
    body = await api.run(delete, owner, i={"id": uid})
    message = "user is managed by OKTA: delete it in the identity provider"
    assert body == {
        "data": {
            "deleteUser": {
                "user": None,
                "userErrors": [user_error("MANAGED_BY_IDP", ["id"], message)],
            }
        }
    }


async def test_rule4_scim_update_of_local_account_keeps_it_local(api: Api, owner: str) -> None:
    created = await api.run(
        'mutation { createUser(input: {loginId: "Dana@example.com"}) { user { id databaseId } } }',
        owner,
    )
    user = created["data"]["createUser"]["user"]
    grant = "mutation($i: RolesInput!) { grantRoles(input: $i) { granted } }"
    await api.run(grant, owner, i={"roles": ["db-admin"], "userIds": [user["id"]]})
    await use_idp(api.db)
    async with api.db.transaction() as tx:
        await provision_update_user(
            tx,
            actor=scim_actor(),
            user_id=user["databaseId"],
            data=ProvisionedUser(login_id="dana@example.com", profile={"firstName": "Dana"}),
        )
    query = "query($id: ID!) { user(id: $id) { authProvider firstName roles viewerCanDelete } }"
    body = await api.run(query, owner, id=user["id"])
    assert body == {
        "data": {
            "user": {
                "authProvider": "LOCAL",
                "firstName": "Dana",
                "roles": ["db-admin"],
                "viewerCanDelete": True,
            }
        }
    }
    edited = await api.run(UPDATE_USER, owner, i={"id": user["id"], "firstName": "D."})
    assert edited["data"]["updateUser"]["userErrors"] == []
