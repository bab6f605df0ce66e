"""Issue 13 (rule 18) through GraphQL over HTTP, on each engine: an admin input that is omitted
keeps the stored value and null clears it, for settings as for profiles."""

from __future__ import annotations

from base64 import b64decode
from typing import Any

from app.domain.groups.provisioning import provision_create_group
from tests.graphql.conftest import Api
from tests.graphql.helpers import ERRORS, UPDATE_USER, gid, scim_create, use_idp, user_error
from tests.support import scim_actor

SETTINGS = "type displayName config secretNames"
CONFIGURE = (
    "mutation($i: ConfigureAuthenticationInput!) { configureAuthentication(input: $i) {"
    " authenticationSettings { " + SETTINGS + " } " + ERRORS + " } }"
)
UPDATE_ATTRIBUTE = (
    "mutation($i: UpdateProfileAttributeInput!) { updateProfileAttribute(input: $i) {"
    " profileAttribute { name displayName description sourcePriority status } " + ERRORS + " } }"
)
OKTA = {
    "type": "OKTA",
    "displayName": "Okta",
    "config": {"issuer": "https://o.example", "clientId": "0oa1"},
    "secrets": {"clientSecret": "s3"},
}


def _settings(body: Any) -> Any:
    payload = body["data"]["configureAuthentication"]
    assert payload["userErrors"] == []
    return payload["authenticationSettings"]


async def test_configure_without_config_keeps_the_stored_config_label_and_secrets(
    api: Api, owner: str
) -> None:
    await api.run(CONFIGURE, owner, i=OKTA)
    kept = _settings(await api.run(CONFIGURE, owner, i={"type": "OKTA"}))
    assert kept == {
        "type": "OKTA",
        "displayName": "Okta",
        "config": {"issuer": "https://o.example", "clientId": "0oa1"},
        "secretNames": ["clientSecret"],
    }
    read = await api.run("{ authenticationSettings { " + SETTINGS + " } }", owner)
    assert read == {"data": {"authenticationSettings": kept}}


async def test_configure_config_merges_a_given_key_and_null_removes_one(
    api: Api, owner: str
) -> None:
    await api.run(CONFIGURE, owner, i=OKTA)
    merged = _settings(
        await api.run(
            CONFIGURE,
            owner,
            i={"type": "OKTA", "config": {"clientId": "0oa2", "metadataUrl": "https://m"}},
        )
    )
    assert merged["config"] == {
        "issuer": "https://o.example",
        "clientId": "0oa2",
        "metadataUrl": "https://m",
    }
    removed = _settings(
        await api.run(
            CONFIGURE,
            owner,
            i={"type": "OKTA", "displayName": None, "config": {"issuer": None}},
        )
    )
    assert removed == {
        "type": "OKTA",
        "displayName": None,
        "config": {"clientId": "0oa2", "metadataUrl": "https://m"},
        "secretNames": ["clientSecret"],
    }


async def test_update_profile_attribute_absent_keeps_null_clears_description(
    api: Api, owner: str
) -> None:
    first = {"name": "title", "description": "Job title", "sourcePriority": "INHERIT_FROM_LOCAL"}
    await api.run(UPDATE_ATTRIBUTE, owner, i=first)
    kept = await api.run(UPDATE_ATTRIBUTE, owner, i={"name": "title", "displayName": "Role"})
    assert kept["data"]["updateProfileAttribute"] == {
        "profileAttribute": {
            "name": "title",
            "displayName": "Role",
            "description": "Job title",
            "sourcePriority": "INHERIT_FROM_LOCAL",
            "status": "VISIBLE",
        },
        "userErrors": [],
    }
    cleared = await api.run(UPDATE_ATTRIBUTE, owner, i={"name": "title", "description": None})
    assert cleared["data"]["updateProfileAttribute"]["profileAttribute"]["description"] == ""


async def test_update_profile_attribute_null_for_a_required_setting_is_refused(
    api: Api, owner: str
) -> None:
    body = await api.run(
        UPDATE_ATTRIBUTE, owner, i={"name": "title", "displayName": None, "status": None}
    )
    assert body["data"]["updateProfileAttribute"] == {
        "profileAttribute": None,
        "userErrors": [
            user_error(
                "INVALID_VALUE",
                ["displayName", "status"],
                "displayName, status cannot be cleared",
            )
        ],
    }


async def test_update_user_absent_keeps_null_clears(api: Api, owner: str) -> None:
    created = await api.run(
        'mutation { createUser(input: {loginId: "kim@example.com", firstName: "Kim",'
        ' title: "Eng", externalId: "e1", notes: "n"}) { user { id } ' + ERRORS + " } }",
        owner,
    )
    user_id = created["data"]["createUser"]["user"]["id"]
    body = await api.run(UPDATE_USER, owner, i={"id": user_id, "lastName": "Lee", "title": None})
    user = body["data"]["updateUser"]["user"]
    assert (user["firstName"], user["lastName"], user["title"]) == ("Kim", "Lee", None)
    read = await api.run(
        "query($id: ID!) { user(id: $id) { loginId externalId notes } }", owner, id=user_id
    )
    assert read == {
        "data": {"user": {"loginId": "kim@example.com", "externalId": "e1", "notes": "n"}}
    }


CONVERT = (
    "mutation($i: ConvertUsersToLocalInput!) { convertUsersToLocal(input: $i) {"
    " convertedUsers convertedGroups dryRun results { id type label previousAuthProvider"
    " converted error { code field message } conflictingId } " + ERRORS + " } }"
)


async def _collision(api: Api, owner: str) -> tuple[str, str, str]:
    """An Okta-owned ada whose externalId a LOCAL user holds, and an Okta-owned bob."""
    await use_idp(api.db)
    body = await api.run(
        'mutation { createUser(input: {loginId: "old-ada@example.com", externalId: "00u1"})'
        " { user { id } " + ERRORS + " } }",
        owner,
    )
    local = body["data"]["createUser"]["user"]["id"]
    ada = await scim_create(api.db, "ada@example.com", "00u1")
    bob = await scim_create(api.db, "bob@example.com", "00u2")
    return local, gid("User", ada.id), gid("User", bob.id)


def _report(local: str, ada: str, bob: str, *, dry_run: bool) -> dict[str, Any]:
    message = (
        "user 'ada@example.com' stays with its IdP: LOCAL user 'old-ada@example.com'"
        f" (id {b64decode(local).decode().split(':', 1)[1]}) already has externalId '00u1'"
    )
    return {
        "convertedUsers": 1,
        "convertedGroups": 0,
        "dryRun": dry_run,
        "results": [
            {
                "id": ada,
                "type": "User",
                "label": "ada@example.com",
                "previousAuthProvider": "OKTA",
                "converted": False,
                "error": {"code": "ALREADY_EXISTS", "field": "externalId", "message": message},
                "conflictingId": local,
            },
            {
                "id": bob,
                "type": "User",
                "label": "bob@example.com",
                "previousAuthProvider": "OKTA",
                "converted": True,
                "error": None,
                "conflictingId": None,
            },
        ],
        "userErrors": [],
    }


async def _providers(api: Api, owner: str, *ids: str) -> list[str]:
    query = "query($id: ID!) { user(id: $id) { authProvider } }"
    return [(await api.run(query, owner, id=i))["data"]["user"]["authProvider"] for i in ids]


async def test_convert_reports_a_collision_per_user_and_converts_the_others(
    api: Api, owner: str
) -> None:
    local, ada, bob = await _collision(api, owner)
    body = await api.run(CONVERT, owner, i={})
    assert body == {"data": {"convertUsersToLocal": _report(local, ada, bob, dry_run=False)}}
    assert await _providers(api, owner, ada, bob) == ["OKTA", "LOCAL"]
    audit = await api.run(
        '{ auditLog(filter: {action: "user.convertToLocal"}) { nodes { targetLabel } } }', owner
    )
    assert audit == {"data": {"auditLog": {"nodes": [{"targetLabel": "bob@example.com"}]}}}


async def test_convert_dry_run_reports_the_same_and_changes_nothing(api: Api, owner: str) -> None:
    local, ada, bob = await _collision(api, owner)
    body = await api.run(CONVERT, owner, i={"dryRun": True})
    assert body == {"data": {"convertUsersToLocal": _report(local, ada, bob, dry_run=True)}}
    assert await _providers(api, owner, ada, bob) == ["OKTA", "OKTA"]
    audit = await api.run(
        '{ auditLog(filter: {action: "user.convertToLocal"}) { nodes { targetLabel } } }', owner
    )
    assert audit == {"data": {"auditLog": {"nodes": []}}}


JOSE_NFC, JOSE_NFD = "Jos\u00e9@example.com", "Jose\u0301@example.com"


async def test_login_lookup_create_and_create_admin_compare_nfc_casefolded(
    api: Api, owner: str
) -> None:
    create = (
        "mutation($i: CreateUserInput!) { createUser(input: $i) { user { id loginId } "
        + ERRORS
        + " } }"
    )
    body = await api.run(create, owner, i={"loginId": JOSE_NFC})
    created = body["data"]["createUser"]["user"]
    clash = await api.run(create, owner, i={"loginId": JOSE_NFD.upper()})
    assert clash["data"]["createUser"] == {
        "user": None,
        "userErrors": [
            user_error(
                "ALREADY_EXISTS",
                ["loginId"],
                f"a user with loginId {JOSE_NFD.upper()!r} already exists",
            )
        ],
    }
    found = await api.run(
        "query($l: String!) { user(loginId: $l) { id loginId } }", owner, l=JOSE_NFD
    )
    assert found == {"data": {"user": created}}
    # `roster token create-admin --login` (the same domain call) finds the user, not a twin
    token = await api.token(JOSE_NFD, "viewer")
    me = await api.run("{ viewer { userId loginId } }", token)
    assert me == {"data": {"viewer": {"userId": created["id"], "loginId": JOSE_NFC}}}


HIDE = (
    "mutation($n: String!) { updateProfileAttribute(input: {name: $n, status: HIDDEN})"
    " { profileAttribute { status } " + ERRORS + " } }"
)
READ_TITLE = "query($id: ID!) { user(id: $id) { firstName title profile { name value visible } } }"


async def _hidden_title(api: Api, owner: str) -> str:
    """A user whose title is stored while the title attribute is HIDDEN."""
    body = await api.run(HIDE, owner, n="title")
    assert body["data"]["updateProfileAttribute"]["profileAttribute"] == {"status": "HIDDEN"}
    created = await api.run(
        'mutation { createUser(input: {loginId: "h@example.com", firstName: "Hana",'
        ' title: "Spy"}) { user { id title } ' + ERRORS + " } }",
        owner,
    )
    user = created["data"]["createUser"]["user"]
    assert user["title"] == "Spy"  # the writer sees what it wrote
    return str(user["id"])


def _title_of(body: Any) -> tuple[Any, Any, Any]:
    user = body["data"]["user"]
    entry = next(p for p in user["profile"] if p["name"] == "title")
    return user["firstName"], user["title"], (entry["value"], entry["visible"])


async def test_hidden_values_are_withheld_from_viewers_and_shown_to_admins(
    api: Api, owner: str
) -> None:
    user_id = await _hidden_title(api, owner)
    viewer = await api.token("viewer@example.com", "viewer")
    admin = await api.token("admin@example.com", "admin")
    seen = await api.run(READ_TITLE, viewer, id=user_id)
    assert _title_of(seen) == ("Hana", None, (None, False))
    for token in (owner, admin):
        full = await api.run(READ_TITLE, token, id=user_id)
        assert _title_of(full) == ("Hana", "Spy", ("Spy", False))


async def test_viewers_cannot_probe_hidden_values_by_filter_search_or_audit(
    api: Api, owner: str
) -> None:
    user_id = await _hidden_title(api, owner)
    viewer = await api.token("viewer@example.com", "viewer")
    probe = "query($f: UserFilter) { users(filter: $f) { totalCount nodes { loginId } } }"
    by_value = {"attribute": {"name": "title", "value": "Spy"}}
    refused = await api.run(probe, viewer, f=by_value)
    assert refused["data"] is None
    assert refused["errors"][0]["message"] == "profile attribute 'title' is hidden"
    allowed = await api.run(probe, owner, f=by_value)
    assert allowed["data"]["users"]["totalCount"] == 1
    await api.run(HIDE, owner, n="firstName")
    searched = await api.run(probe, viewer, f={"search": "hana"})
    assert searched["data"]["users"] == {"totalCount": 0, "nodes": []}
    log = (
        'query($id: String) { auditLog(filter: {target: $id, action: "user.create"}) { nodes {'
        " action"
        " changes { field before after } } } }"
    )
    entry = (await api.run(log, viewer, id=user_id))["data"]["auditLog"]["nodes"][0]
    title = next(c for c in entry["changes"] if c["field"] == "profile.title")
    assert title == {"field": "profile.title", "before": "<hidden>", "after": "<hidden>"}
    full = (await api.run(log, owner, id=user_id))["data"]["auditLog"]["nodes"][0]
    assert {"field": "profile.title", "before": None, "after": "Spy"} in full["changes"]


async def test_login_email_and_display_name_can_never_be_hidden(api: Api, owner: str) -> None:
    for name in ("loginId", "email", "displayName"):
        body = await api.run(HIDE, owner, n=name)
        assert body["data"]["updateProfileAttribute"] == {
            "profileAttribute": None,
            "userErrors": [
                user_error(
                    "INVALID_VALUE",
                    ["status"],
                    f"{name} is managed by the system and is always visible",
                )
            ],
        }


async def test_convert_reports_a_group_collision_and_converts_the_other_group(
    api: Api, owner: str
) -> None:
    await use_idp(api.db)
    body = await api.run(
        'mutation { createGroup(input: {displayName: "Old eng", externalId: "g1"})'
        " { group { id } " + ERRORS + " } }",
        owner,
    )
    local = body["data"]["createGroup"]["group"]["id"]
    async with api.db.transaction() as tx:
        eng, _ = await provision_create_group(
            tx, actor=scim_actor(), display_name="Eng", external_id="g1"
        )
        ops, _ = await provision_create_group(
            tx, actor=scim_actor(), display_name="Ops", external_id="g2"
        )
    report = (await api.run(CONVERT, owner, i={}))["data"]["convertUsersToLocal"]
    assert (report["convertedUsers"], report["convertedGroups"]) == (0, 1)
    assert [(r["label"], r["converted"], r["conflictingId"]) for r in report["results"]] == [
        ("Eng", False, local),
        ("Ops", True, None),
    ]
    message = report["results"][0]["error"]["message"]
    assert message == (
        f"group 'Eng' stays with its IdP: LOCAL group 'Old eng' (id {_raw(local)})"
        " already has externalId 'g1'"
    )
    groups = await api.run(
        "query($a: ID!, $b: ID!) { a: group(id: $a) { authProvider } b: group(id: $b)"
        " { authProvider } }",
        owner,
        a=gid("Group", eng.id),
        b=gid("Group", ops.id),
    )
    assert groups == {"data": {"a": {"authProvider": "OKTA"}, "b": {"authProvider": "LOCAL"}}}


def _raw(global_id: str) -> str:
    return b64decode(global_id).decode().split(":", 1)[1]
