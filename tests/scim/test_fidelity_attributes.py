"""Issue 13 item 1 over SCIM HTTP, on each engine (docs/rules.md rule 18): attribute names are
case-insensitive everywhere (RFC 7643 §2.1, RFC 7644 §3.10); every RFC 7643 User, Group and
enterprise attribute is stored and returned or ignored for a stated reason (listed on the
provisioning event); an attribute in no schema Roster serves is a 400 naming it."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from tests.scim.conftest import ENT, GROUP, USER, Scim, error

ALAN = "alan@example.com"


async def _user(scim: Scim, uid: str) -> dict[str, Any]:
    response = await scim.client.get(f"/Users/{uid}")
    assert response.status_code == 200, response.text
    doc: dict[str, Any] = response.json()
    return doc


async def test_patch_path_with_mixed_case_sub_attribute_changes_the_value(scim: Scim) -> None:
    user = await scim.create_user(ALAN, name={"givenName": "Alan", "familyName": "Turing"})
    ops = [
        {"op": "replace", "path": "Name.GivenName", "value": "Alan M."},
        {"op": "replace", "path": "NAME.FAMILYNAME", "value": "T."},
        {"op": "replace", "path": f"{ENT.upper()}:Manager.Value", "value": "m-1"},
        {"op": "add", "path": f"{ENT}:DEPARTMENT", "value": "Maths"},
        {"op": "replace", "path": 'Emails[Type eq "work"].Value', "value": "a@x.org"},
        {"op": "replace", "path": "TITLE", "value": "Fellow"},
    ]
    response = await scim.patch(f"/Users/{user['id']}", ops)
    assert response.status_code == 200, response.text
    doc = await _user(scim, user["id"])
    assert doc["name"] == {"givenName": "Alan M.", "familyName": "T."}
    assert doc[ENT] == {"department": "Maths", "manager": {"value": "m-1"}}
    assert doc["emails"] == [{"type": "work", "primary": True, "value": "a@x.org"}]
    assert doc["title"] == "Fellow"
    rows = await scim.rows("SELECT profile FROM users")
    assert len(rows) == 1


async def test_post_and_put_bodies_with_mixed_case_keys_are_stored(scim: Scim) -> None:
    body = {
        "Schemas": [USER.upper(), ENT.lower()],
        "UserName": ALAN,
        "NAME": {"GivenName": "Alan", "familyNAME": "Turing", "Formatted": "Alan Turing"},
        "EMAILS": [{"VALUE": ALAN, "Type": "work", "PRIMARY": True}],
        "Title": "Fellow",
        ENT.upper(): {"Department": "Maths", "MANAGER": {"Value": "m-1"}},
    }
    response = await scim.post("/Users", body)
    assert response.status_code == 201, response.text
    uid = response.json()["id"]
    doc = await _user(scim, uid)
    assert doc["userName"] == ALAN
    assert doc["name"] == {"givenName": "Alan", "familyName": "Turing", "formatted": "Alan Turing"}
    assert doc["emails"] == [{"type": "work", "primary": True, "value": ALAN}]
    assert doc["title"] == "Fellow"
    assert doc[ENT] == {"department": "Maths", "manager": {"value": "m-1"}}
    assert doc["schemas"] == [USER, ENT]
    twice = await scim.put(f"/Users/{uid}", {**body, "TITLE": "Reader"})
    assert twice.json() == error(400, "TITLE: title is given twice", "invalidValue")
    again = {k: v for k, v in body.items() if k != "Title"}
    put = await scim.put(f"/Users/{uid}", {**again, "TITLE": "Reader"})
    assert put.status_code == 200, put.text
    assert (await _user(scim, uid))["title"] == "Reader"


async def test_filter_sort_and_projection_are_case_insensitive(scim: Scim) -> None:
    b = await scim.create_user("b@example.com", name={"givenName": "Bea"}, title="T")
    a = await scim.create_user("a@example.com", name={"givenName": "Ada"}, title="T")
    query = quote('NAME.GIVENNAME sw "a" or TITLE eq "t"')
    response = await scim.client.get(
        f"/Users?filter={query}&sortBy=Name.GivenName&attributes=NAME.givenname,UserName"
    )
    assert response.status_code == 200, response.text
    assert [(r["id"], r.get("name"), r.get("userName")) for r in response.json()["Resources"]] == [
        (a["id"], {"givenName": "Ada"}, "a@example.com"),
        (b["id"], {"givenName": "Bea"}, "b@example.com"),
    ]
    excluded = await scim.client.get(f"/Users/{a['id']}?excludedAttributes=NAME,Meta")
    assert set(excluded.json()) == {"schemas", "id", "userName", "title", "active"}


FULL_USER: dict[str, Any] = {
    "schemas": [USER, ENT],
    "userName": ALAN,
    "name": {
        "formatted": "Dr Alan M. Turing OBE",
        "givenName": "Alan",
        "familyName": "Turing",
        "middleName": "M.",
        "honorificPrefix": "Dr",
        "honorificSuffix": "OBE",
    },
    "displayName": "Alan Turing",
    "nickName": "Prof",
    "profileUrl": "https://example.com/alan",
    "title": "Fellow",
    "userType": "Employee",
    "preferredLanguage": "en-GB",
    "locale": "en-GB",
    "timezone": "Europe/London",
    "emails": [{"value": ALAN, "type": "work", "primary": True}],
    "phoneNumbers": [{"value": "+44 1", "type": "work"}],
    "ims": [{"value": "alan_t", "type": "xmpp"}],
    "photos": [{"value": "https://example.com/alan.jpg", "type": "photo"}],
    "addresses": [
        {
            "type": "work",
            "streetAddress": "Bletchley Park",
            "locality": "Milton Keynes",
            "region": "Bucks",
            "postalCode": "MK3 6EB",
            "country": "GB",
            "formatted": "Bletchley Park, Milton Keynes",
        }
    ],
    "x509Certificates": [{"value": "MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAw"}],
    ENT: {
        "employeeNumber": "42",
        "costCenter": "CC",
        "organization": "GC&CS",
        "division": "Hut 8",
        "department": "Naval",
        "manager": {"value": "m-1"},
    },
}


async def test_every_rfc_7643_user_attribute_round_trips(scim: Scim) -> None:
    response = await scim.post(
        "/Users",
        {
            **FULL_USER,
            "password": "secret",
            "roles": [{"value": "admin"}],
            "entitlements": [{"value": "all"}],
        },
    )
    assert response.status_code == 201, response.text
    doc = await _user(scim, response.json()["id"])
    for key in ("id", "meta"):
        doc.pop(key)
    expected = {**FULL_USER, "active": True}
    expected["addresses"] = [{**FULL_USER["addresses"][0], "primary": True}]
    expected["phoneNumbers"] = [{**FULL_USER["phoneNumbers"][0], "primary": True}]
    assert doc == expected
    events = await scim.rows("SELECT method, outcome, ignored FROM provisioning_events")
    assert [(e["method"], e["outcome"]) for e in events] == [("POST", "SUCCESS")]
    assert events[0]["ignored"] == '["password","roles","entitlements"]'


async def test_schemas_advertise_every_stored_attribute(scim: Scim) -> None:
    response = await scim.client.get(f"/Schemas/{USER}")
    names = {a["name"]: a for a in response.json()["attributes"]}
    for attr in ("ims", "photos", "x509Certificates", "addresses", "name"):
        assert attr in names, attr
    assert "formatted" in {s["name"] for s in names["name"]["subAttributes"]}
    for ignored in ("password", "roles", "entitlements"):
        assert ignored not in names
    enterprise = (await scim.client.get(f"/Schemas/{ENT}")).json()
    assert {a["name"] for a in enterprise["attributes"]} == {
        "employeeNumber",
        "costCenter",
        "organization",
        "division",
        "department",
        "manager",
    }
    group = (await scim.client.get(f"/Schemas/{GROUP}")).json()
    members = next(a for a in group["attributes"] if a["name"] == "members")
    display = next(s for s in members["subAttributes"] if s["name"] == "display")
    assert (display["mutability"], display["returned"]) == ("readOnly", "default")


async def test_unknown_attribute_in_a_body_is_400_naming_it(scim: Scim) -> None:
    body = {"schemas": [USER], "userName": ALAN, "favouriteColour": "green"}
    response = await scim.post("/Users", body)
    assert response.json() == error(
        400, "favouriteColour is not an attribute of the User schemas", "invalidValue"
    )
    nested = {"schemas": [USER], "userName": ALAN, "name": {"givenName": "A", "shoeSize": 9}}
    response = await scim.post("/Users", nested)
    assert response.json() == error(
        400, "name.shoeSize is not an attribute of the User schemas", "invalidValue"
    )
    group = {"schemas": [GROUP], "displayName": "G", "colour": "red"}
    response = await scim.post("/Groups", group)
    assert response.json() == error(
        400, "colour is not an attribute of the Group schema", "invalidValue"
    )
    assert await scim.rows("SELECT id FROM users") == []
    assert await scim.rows("SELECT id FROM groups") == []


async def test_unknown_patch_path_is_400_naming_it(scim: Scim) -> None:
    user = await scim.create_user(ALAN, title="Fellow")
    for path, detail in (
        ("foo.bar", "'foo.bar': foo is not an attribute of the User schemas"),
        ("name.shoeSize", "'name.shoeSize': shoeSize is not a sub-attribute of name"),
    ):
        ops = [
            {"op": "replace", "path": "title", "value": "Reader"},
            {"op": "replace", "path": path, "value": "x"},
        ]
        response = await scim.patch(f"/Users/{user['id']}", ops)
        assert response.json() == error(400, detail, "invalidPath")
    no_path = [{"op": "replace", "value": {"title": "Reader", "favouriteColour": "x"}}]
    response = await scim.patch(f"/Users/{user['id']}", no_path)
    assert response.json() == error(
        400,
        "'favouriteColour': favouriteColour is not an attribute of the User schemas",
        "invalidPath",
    )
    assert (await _user(scim, user["id"]))["title"] == "Fellow"


async def test_group_members_have_display_and_bare_id_adds(scim: Scim) -> None:
    ada = await scim.create_user("ada@example.com", displayName="Ada Lovelace")
    bob = await scim.create_user("bob@example.com")
    carl = await scim.create_user("carl@example.com")
    gid = await scim.create_group("Engines")
    for value in (ada["id"], [bob["id"], carl["id"]]):
        response = await scim.patch(
            f"/Groups/{gid}", [{"op": "add", "path": "members", "value": value}]
        )
        assert response.status_code == 204, response.text
    no_path = [{"op": "Add", "value": {"Members": [{"Value": carl["id"]}]}}]
    assert (await scim.patch(f"/Groups/{gid}", no_path)).status_code == 204
    doc = (await scim.client.get(f"/Groups/{gid}")).json()
    assert sorted((m["value"], m["display"]) for m in doc["members"]) == sorted(
        [
            (ada["id"], "Ada Lovelace"),
            (bob["id"], "bob@example.com"),
            (carl["id"], "carl@example.com"),
        ]
    )


async def test_patch_keeps_attributes_without_a_profile_attribute(scim: Scim) -> None:
    user = await scim.create_user(ALAN, name={"givenName": "Alan"})
    ops: list[dict[str, Any]] = [
        {"op": "add", "path": "NAME.formatted", "value": "Alan Turing"},
        {"op": "add", "path": "IMS", "value": [{"Value": "alan_t", "TYPE": "xmpp"}]},
        {"op": "add", "value": {"Photos": [{"value": "https://example.com/a.jpg"}]}},
        {"op": "add", "path": "x509certificates", "value": [{"value": "MIIB" + "A" * 3000}]},
    ]
    response = await scim.patch(f"/Users/{user['id']}", ops)
    assert response.status_code == 200, response.text
    doc = await _user(scim, user["id"])
    assert doc["name"] == {"givenName": "Alan", "formatted": "Alan Turing"}
    assert doc["ims"] == [{"value": "alan_t", "type": "xmpp"}]
    assert doc["photos"] == [{"value": "https://example.com/a.jpg"}]
    assert doc["x509Certificates"] == [{"value": "MIIB" + "A" * 3000}]
    removed = [
        {"op": "remove", "path": "name.Formatted"},
        {"op": "remove", "path": 'ims[type eq "xmpp"]'},
    ]
    response = await scim.patch(f"/Users/{user['id']}", removed)
    assert response.status_code == 200, response.text
    doc = await _user(scim, user["id"])
    assert (doc["name"], "ims" in doc) == ({"givenName": "Alan"}, False)
