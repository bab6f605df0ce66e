"""docs/rules.md rules 11-13 through GraphQL: one IdP at a time, SCIM tokens, audited writes."""

from __future__ import annotations

from base64 import b64decode

from tests.graphql.conftest import Api
from tests.graphql.helpers import ERRORS, UPDATE_USER, scim_create, user_error

GRANT = "mutation($i: RolesInput!) { grantRoles(input: $i) { granted " + ERRORS + " } }"
REVOKE = "mutation($i: RolesInput!) { revokeRoles(input: $i) { revoked " + ERRORS + " } }"
STATUS = (
    "mutation($i: SetUserStatusInput!) { setUserStatus(input: $i) { user { status } "
    + ERRORS
    + " } }"
)


CONFIGURE = (
    "mutation($i: ConfigureAuthenticationInput!) { configureAuthentication(input: $i) {"
    " authenticationSettings { type displayName config secretNames hasSecret provider } "
    + ERRORS
    + " } }"
)


OKTA_CONFIGURED = {
    "data": {
        "configureAuthentication": {
            "authenticationSettings": {
                "type": "OKTA",
                "displayName": "Okta",
                "config": {"issuer": "https://o"},
                "secretNames": ["clientSecret"],
                "hasSecret": True,
                "provider": "OKTA",
            },
            "userErrors": [],
        }
    }
}


CONVERT_AUDITED = {
    "data": {
        "auditLog": {
            "nodes": [
                {
                    "targetLabel": "ada@example.com",
                    "changes": [{"field": "authProvider", "before": "OKTA", "after": "LOCAL"}],
                }
            ]
        }
    }
}


async def test_rule11_one_idp_at_a_time_until_converted(api: Api, owner: str) -> None:
    okta = {
        "type": "OKTA",
        "displayName": "Okta",
        "config": {"issuer": "https://o"},
        "secrets": {"clientSecret": "s3"},
    }
    body = await api.run(CONFIGURE, owner, i=okta)
    assert body == OKTA_CONFIGURED
    await scim_create(api.db, "ada@example.com", "00u1")
    body = await api.run(CONFIGURE, owner, i={"type": "ENTRA_ID"})
    message = (
        "1 user(s) and 0 group(s) are owned by OKTA: convert them to local (convertUsersToLocal)"
        " or delete them first"
    )
    assert body["data"]["configureAuthentication"] == {
        "authenticationSettings": None,
        "userErrors": [user_error("IDP_LOCKED", ["type"], message)],
    }
    convert = (
        "mutation { convertUsersToLocal(input: {}) { convertedUsers convertedGroups "
        + ERRORS
        + " } }"
    )
    assert await api.run(convert, owner) == {
        "data": {
            "convertUsersToLocal": {"convertedUsers": 1, "convertedGroups": 0, "userErrors": []}
        }
    }
    body = await api.run(CONFIGURE, owner, i={"type": "ENTRA_ID"})
    assert body["data"]["configureAuthentication"]["authenticationSettings"]["type"] == "ENTRA_ID"
    audit = (
        '{ auditLog(filter: {action: "user.convertToLocal"}) { nodes { targetLabel changes { '
        "field before after } } } }"
    )
    assert await api.run(audit, owner) == CONVERT_AUDITED


CREATE_TOKEN = (
    "mutation($n: String!) { createScimToken(input: {name: $n}) { secret scimToken { name "
    "state hint } " + ERRORS + " } }"
)


async def test_rule12_scim_tokens(api: Api, owner: str) -> None:
    body = await api.run(CREATE_TOKEN, owner, n="okta")
    disabled = user_error(
        "PROVISIONING_DISABLED", [], "enable provisioning before creating SCIM tokens"
    )
    assert body == {
        "data": {"createScimToken": {"secret": None, "scimToken": None, "userErrors": [disabled]}}
    }
    enable = (
        "mutation($e: Boolean!) { setProvisioningEnabled(input: {enabled: $e}) { enabled "
        + ERRORS
        + " } }"
    )
    assert await api.run(enable, owner, e=True) == {
        "data": {"setProvisioningEnabled": {"enabled": True, "userErrors": []}}
    }
    first = (await api.run(CREATE_TOKEN, owner, n="okta"))["data"]["createScimToken"]
    assert first["secret"].startswith("rsc_") and first["userErrors"] == []
    assert first["scimToken"] == {"name": "okta", "state": "ACTIVE", "hint": first["secret"][-4:]}
    await api.run(CREATE_TOKEN, owner, n="entra")
    third = await api.run(CREATE_TOKEN, owner, n="more")
    limit = user_error(
        "TOKEN_LIMIT_REACHED", [], "at most 2 active SCIM tokens may exist: revoke one first"
    )
    assert third == {
        "data": {"createScimToken": {"secret": None, "scimToken": None, "userErrors": [limit]}}
    }
    response = await api.post("{ viewer { loginId } }", first["secret"], {})
    assert response.status_code == 401
    await api.run(enable, owner, e=False)
    listing = "{ provisioning { enabled scimBaseUrl tokens { name state } } }"
    body = await api.run(listing, owner)
    assert body["data"]["provisioning"]["enabled"] is False
    assert body["data"]["provisioning"]["scimBaseUrl"].endswith("/scim/v2")
    assert sorted(t["state"] for t in body["data"]["provisioning"]["tokens"]) == [
        "REVOKED",
        "REVOKED",
    ]


UPDATE_AUDITED = {
    "data": {
        "auditLog": {
            "nodes": [
                {
                    "action": "user.update",
                    "actorLabel": "owner@example.com",
                    "changes": [{"field": "profile.firstName", "before": None, "after": "Vera"}],
                },
                {
                    "action": "user.create",
                    "actorLabel": "owner@example.com",
                    "changes": [
                        {"field": "authProvider", "before": None, "after": "LOCAL"},
                        {"field": "loginId", "before": None, "after": "v@example.com"},
                        {"field": "status", "before": None, "after": "ACTIVE"},
                    ],
                },
            ]
        },
        "user": {"version": 2, "firstName": "Vera", "email": None},
    }
}


async def test_rule13_each_write_bumps_version_and_is_audited_failed_ones_change_nothing(
    api: Api, owner: str
) -> None:
    created = await api.run(
        'mutation { createUser(input: {loginId: "v@example.com"}) { user { id version } } }', owner
    )
    uid = created["data"]["createUser"]["user"]["id"]
    body = await api.run(
        UPDATE_USER, owner, i={"id": uid, "firstName": "Vera", "expectedVersion": 1}
    )
    assert body["data"]["updateUser"]["user"]["version"] == 2
    stale = await api.run(UPDATE_USER, owner, i={"id": uid, "firstName": "X", "expectedVersion": 1})
    raw = b64decode(uid).decode().split(":", 1)[1]
    conflict = user_error(
        "VERSION_CONFLICT", ["expectedVersion"], f"user {raw} is at version 2, not 1"
    )
    assert stale == {"data": {"updateUser": {"user": None, "userErrors": [conflict]}}}
    bad = await api.run(UPDATE_USER, owner, i={"id": uid, "firstName": "Y", "email": "nope"})
    assert bad["data"]["updateUser"]["userErrors"] == [
        user_error("INVALID_VALUE", ["email"], "email is not a valid email address")
    ]
    audit = (
        "query($t: String!, $u: ID!) { auditLog(filter: {target: $t}) { nodes { action actorLabel"
        " changes { field before after } } } user(id: $u) { version firstName email } }"
    )
    assert await api.run(audit, owner, t=uid, u=uid) == UPDATE_AUDITED
