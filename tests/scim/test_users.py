"""/Users over HTTP: resources, versions and the docs/rules.md rules (1, 4-8, 10, 13)."""

from __future__ import annotations

from typing import Any

from app.domain.access.roles import grant_roles
from app.domain.settings.attributes import update_profile_attribute
from app.domain.settings.authentication import configure_authentication
from app.domain.types import AuthType, SourcePriority
from app.domain.users.service import UserCreate, create_user
from tests.scim.conftest import BASE, ENT, USER, Scim, error, scrub
from tests.support import owner

ADA: dict[str, Any] = {
    "schemas": [USER, ENT],
    "userName": "ada@example.com",
    "externalId": "00u1",
    "name": {"givenName": "Ada", "familyName": "Lovelace", "formatted": "Ada Lovelace"},
    "displayName": "Ada L.",
    "emails": [{"value": "ada@example.com", "type": "work", "primary": True}],
    "phoneNumbers": [{"value": "+1 555", "type": "mobile"}],
    "addresses": [{"type": "work", "locality": "London", "country": "GB"}],
    "password": "hunter2",
    "active": True,
    ENT: {"department": "R&D", "manager": {"value": "boss-1", "displayName": "Boss"}},
}


def ada_resource(version: int = 1, **changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schemas": [USER, ENT],
        "id": "{ada}",
        "externalId": "00u1",
        "userName": "ada@example.com",
        "name": {"givenName": "Ada", "familyName": "Lovelace", "formatted": "Ada Lovelace"},
        "emails": [{"type": "work", "primary": True, "value": "ada@example.com"}],
        "displayName": "Ada L.",
        "phoneNumbers": [{"type": "mobile", "value": "+1 555"}],
        "addresses": [{"type": "work", "primary": True, "locality": "London", "country": "GB"}],
        ENT: {"department": "R&D", "manager": {"value": "boss-1", "displayName": "Boss"}},
        "active": True,
        "meta": {
            "resourceType": "User",
            "created": "<ts>",
            "lastModified": "<ts>",
            "location": f"{BASE}/Users/{{ada}}",
            "version": f'W/"{version}"',
        },
    }
    doc.update(changes)
    return doc


async def test_create_returns_201_location_etag_and_the_whole_resource(scim: Scim) -> None:
    response = await scim.post("/Users", ADA)
    assert response.status_code == 201
    ada = response.json()["id"]
    assert response.headers["location"] == f"{BASE}/Users/{ada}"
    assert response.headers["etag"] == 'W/"1"'
    assert response.headers["content-type"] == "application/scim+json"
    assert scrub(response.json(), ada=ada) == ada_resource()
    got = await scim.client.get(f"/Users/{ada}")
    assert scrub(got.json(), ada=ada) == ada_resource()


async def test_password_is_never_stored_or_returned(scim: Scim) -> None:
    ada = (await scim.create_user("p@x.com", password="hunter2"))["id"]
    dump = str(await scim.rows("SELECT * FROM users")) + str(
        await scim.rows("SELECT * FROM audit_entries")
    )
    assert "hunter2" not in dump
    assert "password" not in (await scim.client.get(f"/Users/{ada}")).text


async def test_every_write_records_an_event_and_an_audit_entry(scim: Scim) -> None:
    ada = (await scim.create_user("e@x.com"))["id"]
    await scim.patch(f"/Users/{ada}", [{"op": "replace", "path": "title", "value": "CTO"}])
    await scim.client.delete(f"/Users/{ada}")
    assert await scim.events() == [
        ("POST", "User", "SUCCESS", 201, None),
        ("PATCH", "User", "SUCCESS", 200, None),
        ("DELETE", "User", "SUCCESS", 204, None),
    ]
    audit = await scim.rows("SELECT action, actor_type, actor_label FROM audit_entries ORDER BY at")
    assert [(a["action"], a["actor_type"], a["actor_label"]) for a in audit[-3:]] == [
        ("user.create", "SCIM", "scim:okta"),
        ("user.update", "SCIM", "scim:okta"),
        ("user.delete", "SCIM", "scim:okta"),
    ]


async def test_a_resync_that_changes_nothing_keeps_the_version_and_is_not_audited(
    scim: Scim,
) -> None:
    ada = await scim.create_user("r@x.com", title="CTO")
    again = {"schemas": [USER], "userName": "r@x.com", "title": "CTO"}
    put = await scim.put(f"/Users/{ada['id']}", again)
    patch = await scim.patch(
        f"/Users/{ada['id']}", [{"op": "replace", "path": "title", "value": "CTO"}]
    )
    assert [r.status_code for r in (put, patch)] == [200, 200]
    assert [r.json()["meta"] for r in (put, patch)] == [ada["meta"], ada["meta"]]
    assert [r.headers["etag"] for r in (put, patch)] == ['W/"1"', 'W/"1"']
    row = (await scim.rows("SELECT created_at, last_provisioned_at FROM users"))[0]
    assert row["last_provisioned_at"] > row["created_at"]  # the sync itself is still recorded
    audit = await scim.rows(
        "SELECT action FROM audit_entries WHERE target_id = :u", {"u": ada["id"]}
    )
    assert [a["action"] for a in audit] == ["user.create"]
    assert [e[:2] for e in await scim.events()] == [
        ("POST", "User"),
        ("PUT", "User"),
        ("PATCH", "User"),
    ]
    changed = await scim.patch(
        f"/Users/{ada['id']}", [{"op": "replace", "path": "title", "value": "CEO"}]
    )
    assert changed.headers["etag"] == 'W/"2"'


async def test_put_replaces_clearing_what_is_not_sent(scim: Scim) -> None:
    ada = (await scim.post("/Users", ADA)).json()["id"]
    body = {"schemas": [USER], "id": "ignored", "userName": "ada@example.com", "groups": []}
    response = await scim.put(f"/Users/{ada}", {**body, "meta": {"resourceType": "User"}})
    assert response.status_code == 200, response.text
    assert scrub(response.json(), ada=ada) == {
        "schemas": [USER],
        "id": "{ada}",
        "userName": "ada@example.com",
        "active": True,
        "meta": ada_resource(2)["meta"],
    }


async def test_if_match_and_if_none_match(scim: Scim) -> None:
    ada = (await scim.create_user("v@x.com"))["id"]
    stale = await scim.put(
        f"/Users/{ada}", {"schemas": [USER], "userName": "v@x.com"}, headers={"If-Match": 'W/"7"'}
    )
    assert stale.status_code == 412
    assert stale.json() == error(412, f"user {ada} is at version 1, not 7")
    ok = await scim.patch(
        f"/Users/{ada}",
        [{"op": "replace", "path": "title", "value": "x"}],
        headers={"If-Match": 'W/"1"'},
    )
    assert (ok.status_code, ok.headers["etag"]) == (200, 'W/"2"')
    cached = await scim.client.get(f"/Users/{ada}", headers={"If-None-Match": 'W/"2"'})
    assert (cached.status_code, cached.content) == (304, b"")
    gone = await scim.client.delete(f"/Users/{ada}", headers={"If-Match": 'W/"1"'})
    assert gone.status_code == 412
    assert (await scim.client.get(f"/Users/{ada}")).status_code == 200


async def test_delete_is_204_then_404_and_restore_by_external_id(scim: Scim) -> None:
    ada = (await scim.post("/Users", ADA)).json()["id"]
    group = await scim.create_group("Eng", [ada])
    assert (await scim.client.delete(f"/Users/{ada}")).status_code == 204
    again = await scim.client.delete(f"/Users/{ada}")
    assert again.status_code == 404
    assert again.json() == error(404, f"no user with id {ada!r}")
    assert (await scim.client.get(f"/Users/{ada}")).status_code == 404
    members = await scim.client.get(f"/Groups/{group}")
    assert "members" not in members.json()
    restored = await scim.post("/Users", ADA)
    assert (restored.status_code, restored.json()["id"]) == (201, ada)


async def test_rule6_username_is_unique_case_insensitively(scim: Scim) -> None:
    await scim.create_user("Eve@X.com")
    response = await scim.post("/Users", {"schemas": [USER], "userName": "eve@x.COM"})
    assert response.status_code == 409
    assert response.json() == error(
        409, "userName: a user with loginId 'eve@x.COM' already exists", "uniqueness"
    )


async def test_rule6_external_id_is_unique_per_provider(scim: Scim) -> None:
    await scim.create_user("a@x.com", externalId="E1")
    response = await scim.post(
        "/Users", {"schemas": [USER], "userName": "b@x.com", "externalId": "E1"}
    )
    assert (response.status_code, response.json()["scimType"]) == (409, "uniqueness")


async def _okta(scim: Scim) -> None:
    async with scim.db.transaction() as tx:
        await configure_authentication(tx, actor=owner(), type=AuthType.OKTA, display_name="Okta")


async def test_rule1_owner_on_create(scim: Scim) -> None:
    local = (await scim.create_user("l@x.com"))["id"]
    await _okta(scim)
    idp = (await scim.create_user("i@x.com"))["id"]
    rows = await scim.rows("SELECT id, auth_provider FROM users ORDER BY login_id")
    assert {r["id"]: r["auth_provider"] for r in rows} == {idp: "OKTA", local: "LOCAL"}


async def test_rule7_rename_of_a_local_user_is_a_mutability_error(scim: Scim) -> None:
    local = (await scim.create_user("l@x.com"))["id"]
    response = await scim.patch(
        f"/Users/{local}", [{"op": "Replace", "path": "userName", "value": "z@x.com"}]
    )
    assert response.status_code == 400
    assert response.json()["scimType"] == "mutability"
    await _okta(scim)
    idp = (await scim.create_user("i@x.com"))["id"]
    renamed = await scim.patch(
        f"/Users/{idp}", [{"op": "replace", "value": {"userName": "j@x.com"}}]
    )
    assert (renamed.status_code, renamed.json()["userName"]) == (200, "j@x.com")


async def test_rule4_same_login_local_account_stays_local_with_its_roles(scim: Scim) -> None:
    async with scim.db.transaction() as tx:
        local = await create_user(tx, actor=owner(), data=UserCreate(login_id="dana@x.com"))
        await grant_roles(tx, actor=owner(), roles=["db-admin"], user_ids=[local.id])
    await _okta(scim)
    found = await scim.client.get("/Users", params={"filter": 'userName eq "DANA@x.com"'})
    assert [r["id"] for r in found.json()["Resources"]] == [local.id]
    body = {"schemas": [USER], "userName": "dana@x.com", "name": {"givenName": "Dana"}}
    assert (await scim.put(f"/Users/{local.id}", body)).status_code == 200
    rows = await scim.rows("SELECT auth_provider, profile FROM users")
    assert rows[0]["auth_provider"] == "LOCAL"
    assert await scim.rows("SELECT role_name FROM role_grants") == [{"role_name": "db-admin"}]


async def test_rule5_local_sourced_attributes_are_ignored_for_idp_users(scim: Scim) -> None:
    await _okta(scim)
    async with scim.db.transaction() as tx:
        await update_profile_attribute(
            tx, actor=owner(), name="title", source_priority=SourcePriority.INHERIT_FROM_LOCAL
        )
    ada = await scim.create_user("a@x.com", title="CEO", nickName="A")
    assert (ada.get("title"), ada["nickName"]) == (None, "A")


async def test_rule10_owner_cannot_be_deactivated_or_deleted(scim: Scim) -> None:
    root = (await scim.create_user("root@x.com"))["id"]
    async with scim.db.transaction() as tx:
        await grant_roles(tx, actor=owner(), roles=["OWNER"], user_ids=[root])
    off = await scim.patch(f"/Users/{root}", [{"op": "replace", "value": {"active": False}}])
    assert off.json() == error(403, "SCIM cannot deactivate a user who holds OWNER")
    gone = await scim.client.delete(f"/Users/{root}")
    assert gone.json() == error(403, "SCIM cannot delete a user who holds OWNER")
    assert (await scim.client.get(f"/Users/{root}")).json()["active"] is True
    assert [e[2:4] for e in await scim.events()][-2:] == [("ERROR", 403), ("ERROR", 403)]


async def test_custom_attributes_use_the_roster_extension(scim: Scim) -> None:
    from app.domain.settings.attributes import create_custom_attribute
    from app.domain.types import Datatype

    async with scim.db.transaction() as tx:
        await create_custom_attribute(
            tx, actor=owner(), variable_name="badge", display_name="Badge", datatype=Datatype.NUMBER
        )
    roster = "urn:ietf:params:scim:schemas:extension:roster:2.0:User"
    ada = await scim.create_user("c@x.com", schemas=[USER, roster], **{roster: {"badge": 7}})
    assert (ada["schemas"], ada[roster]) == ([USER, roster], {"badge": 7})
    patched = await scim.patch(
        f"/Users/{ada['id']}", [{"op": "replace", "path": f"{roster}:badge", "value": 8}]
    )
    assert patched.json()[roster] == {"badge": 8}


async def test_patch_with_an_extension_urn_as_path(scim: Scim) -> None:
    ada = (await scim.create_user("u@x.com"))["id"]
    added = await scim.patch(
        f"/Users/{ada}", [{"op": "add", "path": ENT, "value": {"department": "R&D"}}]
    )
    assert added.json()[ENT] == {"department": "R&D"}
    removed = await scim.patch(f"/Users/{ada}", [{"op": "remove", "path": ENT}])
    assert ENT not in removed.json()


async def test_trailing_and_double_slashes_reach_the_resource(scim: Scim) -> None:
    created = await scim.post("/Users/", {"schemas": [USER], "userName": "slash@x.com"})
    assert created.status_code == 201
    listed = await scim.client.get('/Users/?filter=userName eq "slash@x.com"')
    assert (listed.status_code, listed.json()["totalResults"]) == (200, 1)
