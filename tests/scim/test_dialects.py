"""One replay test per IdP dialect of idp-wire-shapes.md (normalised by app/scim/dialects.py)."""

from __future__ import annotations

from typing import Any

import orjson

from tests.scim.conftest import ENT, GROUP, PATCH_OP, USER, Scim

MS_GROUP = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"


async def _members(scim: Scim, group: str) -> list[str]:
    doc = (await scim.client.get(f"/Groups/{group}")).json()
    return sorted(m["value"] for m in doc.get("members", []))


async def _users(scim: Scim, n: int) -> list[str]:
    return [(await scim.create_user(f"u{i}@x.com"))["id"] for i in range(n)]


async def test_entra_capitalised_ops_and_string_booleans(scim: Scim) -> None:
    ada = (await scim.create_user("a@x.com"))["id"]
    response = await scim.patch(
        f"/Users/{ada}",
        [
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Add", "path": "nickName", "value": "Babs"},
        ],
    )
    assert (response.json()["active"], response.json()["nickName"]) == (False, "Babs")
    back = await scim.patch(f"/Users/{ada}", [{"op": "replace", "path": "active", "value": "True"}])
    assert back.json()["active"] is True


async def test_entra_no_path_value_with_dotted_and_urn_keys(scim: Scim) -> None:
    ada = (await scim.create_user("a@x.com"))["id"]
    value = {
        "displayName": "Bjfe",
        "name.givenName": "Kkom",
        "name.familyName": "Unua",
        f"{ENT}:employeeNumber": "Aklq",
    }
    response = await scim.patch(
        f"/Users/{ada}",
        [
            {"op": "replace", "path": 'emails[type eq "work"].value', "value": "n@x.com"},
            {"op": "replace", "value": value},
        ],
    )
    doc = response.json()
    assert (doc["displayName"], doc["name"], doc[ENT], doc["emails"]) == (
        "Bjfe",
        {"givenName": "Kkom", "familyName": "Unua"},
        {"employeeNumber": "Aklq"},
        [{"type": "work", "primary": True, "value": "n@x.com"}],
    )


async def test_entra_verbose_replace_creates_missing_elements(scim: Scim) -> None:
    ada = (await scim.create_user("a@x.com"))["id"]
    response = await scim.patch(
        f"/Users/{ada}",
        [
            {"op": "Replace", "path": 'addresses[type eq "work"].streetAddress', "value": "1 Main"},
            {"op": "Replace", "path": 'phoneNumbers[type eq "work"].value', "value": "+1"},
        ],
    )
    doc = response.json()
    assert doc["addresses"] == [{"type": "work", "primary": True, "streetAddress": "1 Main"}]
    assert doc["phoneNumbers"] == [{"type": "work", "primary": True, "value": "+1"}]


async def test_entra_legacy_remove_members_with_a_value_array(scim: Scim) -> None:
    u = await _users(scim, 3)
    group = await scim.create_group("Eng", u)
    response = await scim.patch(
        f"/Groups/{group}",
        [{"op": "Remove", "path": "members", "value": [{"$ref": None, "value": u[0]}]}],
    )
    assert response.status_code == 204
    assert await _members(scim, group) == sorted(u[1:])


async def test_jumpcloud_remove_members_with_value_and_adds_without_display(scim: Scim) -> None:
    u = await _users(scim, 3)
    group = await scim.create_group("Ops", u[:2])
    await scim.patch(
        f"/Groups/{group}", [{"op": "add", "path": "members", "value": [{"value": u[2]}]}]
    )
    await scim.patch(
        f"/Groups/{group}", [{"op": "remove", "path": "members", "value": [{"value": u[1]}]}]
    )
    assert await _members(scim, group) == sorted([u[0], u[2]])


async def test_okta_group_shapes(scim: Scim) -> None:
    u = await _users(scim, 3)
    group = await scim.create_group("Test SCIMv2", u[:2])
    rename = {"op": "replace", "value": {"id": group, "displayName": "Test SCIMv2"}}
    assert (await scim.patch(f"/Groups/{group}", [rename])).status_code == 204
    ops: list[dict[str, Any]] = [
        {"op": "remove", "path": f'members[value eq "{u[0]}"]'},
        {"op": "add", "path": "members", "value": [{"value": u[2], "display": "u2@x.com"}]},
    ]
    await scim.patch(f"/Groups/{group}", ops)
    assert await _members(scim, group) == sorted(u[1:])
    push = [{"op": "replace", "path": "members", "value": [{"value": u[0]}, {"value": u[1]}]}]
    await scim.patch(f"/Groups/{group}", push)
    assert await _members(scim, group) == sorted(u[:2])
    await scim.patch(f"/Groups/{group}", [{"op": "replace", "path": "members", "value": []}])
    assert await _members(scim, group) == []
    await scim.patch(
        f"/Groups/{group}", [{"op": "add", "path": "members", "value": [{"value": u[0]}]}]
    )
    no_schemas = {
        "Operations": [{"op": "replace", "value": {"members": [], "id": group, "displayName": "N"}}]
    }
    response = await scim.client.patch(f"/Groups/{group}", content=orjson.dumps(no_schemas))
    assert response.status_code == 204
    assert await _members(scim, group) == []
    assert (await scim.client.get(f"/Groups/{group}")).json()["displayName"] == "N"


async def test_okta_create_user_with_read_only_groups_and_password(scim: Scim) -> None:
    body = {
        "schemas": [USER],
        "userName": "test.user@okta.local",
        "name": {"givenName": "Test", "familyName": "User"},
        "emails": [{"primary": True, "value": "test.user@okta.local", "type": "work"}],
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "password": "1mz050nq",
        "active": True,
        "id": "client-chosen",
        "meta": {"resourceType": "User"},
    }
    response = await scim.post("/Users", body)
    assert response.status_code == 201
    assert response.json()["id"] != "client-chosen"


async def test_entra_manager_shapes(scim: Scim) -> None:
    ada = (await scim.create_user("a@x.com"))["id"]
    path = f"{ENT}:manager"
    shapes: list[tuple[dict[str, Any], Any]] = [
        ({"op": "add", "path": path, "value": {"value": "m1"}}, {"value": "m1"}),
        ({"op": "replace", "path": path, "value": "m2"}, {"value": "m2"}),
        (
            {
                "op": "Add",
                "path": "manager",
                "value": [{"$ref": "http://x/Users/m3", "value": "m3"}],
            },
            {"value": "m3"},
        ),
        ({"op": "Replace", "path": path, "value": ""}, None),
        ({"op": "add", "path": "manager", "value": "m4"}, {"value": "m4"}),
        ({"op": "remove", "path": path}, None),
    ]
    for op, expected in shapes:
        response = await scim.patch(f"/Users/{ada}", [op])
        assert response.status_code == 200, (op, response.text)
        assert response.json().get(ENT, {}).get("manager") == expected, op


async def test_entra_group_create_with_the_microsoft_schema(scim: Scim) -> None:
    body = {
        "schemas": [GROUP, MS_GROUP],
        "externalId": "8aa1a0c0",
        "displayName": "displayName",
        "meta": {"resourceType": "Group"},
    }
    assert (await scim.post("/Groups", body)).status_code == 201


async def test_entra_aad_opt_flag_is_ignored(scim: Scim) -> None:
    await scim.create_user("a@x.com")
    response = await scim.client.get("/Users?aadOptscim062020&filter=userName%20eq%20%22a@x.com%22")
    assert response.json()["totalResults"] == 1


async def test_onelogin_single_object_emails(scim: Scim) -> None:
    ada = await scim.create_user("a@x.com", emails={"value": "a@x.com"})
    assert ada["emails"] == [{"type": "work", "primary": True, "value": "a@x.com"}]
    patched = await scim.patch(
        f"/Users/{ada['id']}", [{"op": "replace", "path": "emails", "value": {"value": "b@x.com"}}]
    )
    assert patched.json()["emails"] == [{"type": "work", "primary": True, "value": "b@x.com"}]


async def test_entra_post_with_explicit_nulls_roles_and_the_schema_typo(scim: Scim) -> None:
    body = {
        "schemas": [USER, "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"],
        "userName": "Test_User_1",
        "active": "True",
        "addresses": None,
        "phoneNumbers": None,
        "preferredLanguage": None,
        "title": None,
        "department": None,
        "manager": None,
        "roles": [{"primary": "True", "value": '{"id":"827f","value":"Admin"}'}],
        "name": {"formatted": "g f", "familyName": "f", "givenName": "g"},
    }
    response = await scim.post("/Users", body)
    assert response.status_code == 201, response.text
    doc = response.json()
    assert (doc["active"], doc["name"], "roles" in doc) == (
        True,
        {"formatted": "g f", "familyName": "f", "givenName": "g"},  # kept (rule 18)
        False,
    )
    roles = {"op": "Add", "path": "roles", "value": [{"value": '{"id":"1","value":"Admin"}'}]}
    assert (await scim.patch(f"/Users/{doc['id']}", [roles])).status_code == 200
    assert await scim.rows("SELECT * FROM role_grants") == []


async def test_patch_without_schemas_key_is_accepted_but_wrong_schemas_are_not(scim: Scim) -> None:
    ada = (await scim.create_user("a@x.com"))["id"]
    body = {"schemas": ["urn:wrong"], "Operations": [{"op": "add", "path": "title", "value": "x"}]}
    response = await scim.client.patch(f"/Users/{ada}", content=orjson.dumps(body))
    assert response.status_code == 400
    body["schemas"] = [PATCH_OP]
    assert (await scim.client.patch(f"/Users/{ada}", content=orjson.dumps(body))).status_code == 200
