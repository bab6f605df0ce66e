"""What an IdP writes it reads back: unmapped email/phone/address types and primary flags
(RFC 7643 §2.4, §4.1.2), required `active`, and discovery that matches what Roster returns."""

from __future__ import annotations

from typing import Any

import orjson

from app.domain.settings.attributes import create_custom_attribute
from app.domain.types import Datatype
from tests.scim.conftest import BASE, ROSTER, USER, Scim, error, scrub
from tests.support import owner

BODY: dict[str, Any] = {
    "schemas": [USER],
    "userName": "ada@x.com",
    "emails": [
        {"value": "ada@x.com", "type": "work", "primary": False},
        {"value": "ada@home.org", "type": "other", "primary": True, "display": "not kept"},
    ],
    "phoneNumbers": [{"value": "+1 555 0100", "type": "fax"}, {"value": "+1", "type": "mobile"}],
    "addresses": [
        {"type": "home", "locality": "Paris", "country": "FR", "primary": True},
        {"type": "work", "locality": "London"},
    ],
}


def resource(version: int = 1, **attrs: Any) -> dict[str, Any]:
    return {
        "schemas": [USER],
        "id": "{ada}",
        "userName": "ada@x.com",
        **attrs,
        "active": True,
        "meta": {
            "resourceType": "User",
            "created": "<ts>",
            "lastModified": "<ts>",
            "location": f"{BASE}/Users/{{ada}}",
            "version": f'W/"{version}"',
        },
    }


CREATED = resource(
    emails=[
        {"type": "work", "value": "ada@x.com", "primary": False},
        {"type": "other", "value": "ada@home.org", "primary": True},
    ],
    phoneNumbers=[{"type": "mobile", "value": "+1"}, {"type": "fax", "value": "+1 555 0100"}],
    addresses=[
        {"type": "work", "locality": "London"},
        {"type": "home", "locality": "Paris", "country": "FR", "primary": True},
    ],
)


def _json(raw: Any) -> Any:
    return orjson.loads(raw) if isinstance(raw, str) else raw


async def _extras(scim: Scim) -> Any:
    return _json((await scim.rows("SELECT scim_extras FROM users"))[0]["scim_extras"])


async def test_post_returns_unmapped_types_and_primary_flags(scim: Scim) -> None:
    response = await scim.post("/Users", BODY)
    assert response.status_code == 201, response.text
    ada = response.json()["id"]
    assert scrub(response.json(), ada=ada) == CREATED
    assert scrub((await scim.client.get(f"/Users/{ada}")).json(), ada=ada) == CREATED
    listed = await scim.client.get("/Users", params={"filter": 'userName eq "ada@x.com"'})
    assert scrub(listed.json()["Resources"], ada=ada) == [CREATED]


async def test_extras_are_stored_beside_the_profile_and_audited(scim: Scim) -> None:
    ada = (await scim.post("/Users", BODY)).json()["id"]
    profile = _json((await scim.rows("SELECT profile FROM users"))[0]["profile"])
    assert profile == {"email": "ada@x.com", "mobilePhone": "+1", "city": "London"}
    extras = {
        "emails": {
            "extra": [{"value": "ada@home.org", "type": "other", "primary": True}],
            "primary": {"work": False},
        },
        "phoneNumbers": {"extra": [{"value": "+1 555 0100", "type": "fax"}]},
        "addresses": {
            "extra": [{"type": "home", "locality": "Paris", "country": "FR", "primary": True}]
        },
    }
    assert await _extras(scim) == extras
    await scim.patch(f"/Users/{ada}", [{"op": "remove", "path": 'phoneNumbers[type eq "fax"]'}])
    audit = await scim.rows(
        "SELECT changes FROM audit_entries WHERE action = 'user.update' AND target_id = :id",
        {"id": ada},
    )
    after = {k: v for k, v in extras.items() if k != "phoneNumbers"}
    assert _json(audit[0]["changes"]) == [{"field": "scimExtras", "before": extras, "after": after}]


async def test_the_work_element_stays_primary_when_no_flag_is_sent(scim: Scim) -> None:
    body = {
        "schemas": [USER],
        "userName": "ada@x.com",
        "emails": [{"value": "ada@x.com", "type": "work"}, {"value": "a@o.org", "type": "other"}],
    }
    ada = (await scim.post("/Users", body)).json()["id"]
    got = (await scim.client.get(f"/Users/{ada}")).json()
    assert got["emails"] == [
        {"type": "work", "primary": True, "value": "ada@x.com"},
        {"type": "other", "value": "a@o.org"},
    ]
    assert await _extras(scim) == {"emails": {"extra": [{"value": "a@o.org", "type": "other"}]}}


async def test_patch_add_with_primary_demotes_the_earlier_primary(scim: Scim) -> None:
    ada = (await scim.post("/Users", BODY)).json()["id"]
    response = await scim.patch(
        f"/Users/{ada}",
        [
            {
                "op": "add",
                "path": "emails",
                "value": [{"value": "n@x.org", "type": "other", "primary": True}],
            }
        ],
    )
    assert response.status_code == 200, response.text
    # RFC 7644 §3.5.2.1: the value added with primary true is the one primary value.
    assert scrub(response.json(), ada=ada) == {
        **CREATED,
        "emails": [
            {"type": "work", "value": "ada@x.com", "primary": False},
            {"type": "other", "value": "ada@home.org", "primary": False},
            {"type": "other", "value": "n@x.org", "primary": True},
        ],
        "meta": resource(2)["meta"],
    }


async def test_patch_edits_unmapped_elements_like_other_attributes(scim: Scim) -> None:
    ada = (await scim.post("/Users", BODY)).json()["id"]
    response = await scim.patch(
        f"/Users/{ada}",
        [
            {"op": "replace", "path": 'emails[type eq "other"].value', "value": "b@home.org"},
            {"op": "replace", "path": 'phoneNumbers[type eq "pager"].value', "value": "42"},
            {"op": "remove", "path": 'phoneNumbers[type eq "fax"]'},
            {"op": "remove", "path": "addresses"},
        ],
    )
    assert response.status_code == 200, response.text
    assert scrub(response.json(), ada=ada) == resource(
        2,
        emails=[
            {"type": "work", "value": "ada@x.com", "primary": False},
            {"type": "other", "value": "b@home.org", "primary": True},
        ],
        phoneNumbers=[{"type": "mobile", "value": "+1"}, {"type": "pager", "value": "42"}],
    )
    removed = await scim.patch(f"/Users/{ada}", [{"op": "remove", "path": "emails"}])
    assert "emails" not in removed.json()
    assert await _extras(scim) == {"phoneNumbers": {"extra": [{"type": "pager", "value": "42"}]}}


async def test_put_replaces_the_extras(scim: Scim) -> None:
    ada = (await scim.post("/Users", BODY)).json()["id"]
    body = {
        "schemas": [USER],
        "userName": "ada@x.com",
        "phoneNumbers": [{"value": "7", "type": "home", "primary": True}],
    }
    response = await scim.put(f"/Users/{ada}", body)
    assert response.status_code == 200, response.text
    assert scrub(response.json(), ada=ada) == resource(
        2, phoneNumbers=[{"type": "home", "value": "7", "primary": True}]
    )
    assert await _extras(scim) == {
        "phoneNumbers": {"extra": [{"value": "7", "type": "home", "primary": True}]}
    }
    await scim.put(f"/Users/{ada}", {"schemas": [USER], "userName": "ada@x.com"})
    assert await _extras(scim) == {}


async def test_unmapped_values_are_validated(scim: Scim) -> None:
    def body(**attrs: Any) -> dict[str, Any]:
        return {"schemas": [USER], "userName": "ada@x.com", **attrs}

    bad_email = await scim.post("/Users", body(emails=[{"value": "nope", "type": "other"}]))
    assert bad_email.json() == error(
        400, "emails: 'nope' is not a valid email address", "invalidValue"
    )
    number = await scim.post("/Users", body(phoneNumbers=[{"value": 5, "type": "fax"}]))
    assert number.json() == error(400, "phoneNumbers: value must be a string", "invalidValue")
    long = await scim.post("/Users", body(addresses=[{"type": "home", "locality": "x" * 2049}]))
    assert long.json() == error(
        400, "addresses: locality is longer than 2048 characters", "invalidValue"
    )
    flag = await scim.post(
        "/Users", body(emails=[{"value": "a@b.org", "type": "other", "primary": "yes"}])
    )
    assert flag.json() == error(400, "emails.primary must be a boolean, not 'yes'", "invalidValue")
    many = [{"value": f"{i}", "type": "fax"} for i in range(21)]
    assert (await scim.post("/Users", body(phoneNumbers=many))).json() == error(
        400, "phoneNumbers: at most 20 values of unmapped types are kept", "invalidValue"
    )
    assert await scim.rows("SELECT id FROM users") == []


async def test_active_is_required_and_cannot_be_removed(scim: Scim) -> None:
    ada = (await scim.create_user("ada@x.com"))["id"]
    detail = (
        "active is required and cannot be removed: replace it with false to deactivate the user"
    )
    for op in (
        {"op": "remove", "path": "active"},
        {"op": "replace", "path": "active", "value": None},
    ):
        response = await scim.patch(f"/Users/{ada}", [op])
        assert response.json() == error(400, detail, "mutability")
    off = await scim.patch(f"/Users/{ada}", [{"op": "replace", "path": "active", "value": False}])
    assert (off.status_code, off.json()["active"]) == (200, False)
    schema = (await scim.client.get(f"/Schemas/{USER}")).json()
    active = next(a for a in schema["attributes"] if a["name"] == "active")
    assert (active["required"], active["mutability"]) == (True, "readWrite")


async def test_roster_extension_is_offered_only_with_custom_attributes(scim: Scim) -> None:
    async def extensions() -> list[str]:
        found = (await scim.client.get("/ResourceTypes/User")).json()
        return [e["schema"] for e in found["schemaExtensions"]]

    ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    assert await extensions() == [ent]
    assert (await scim.client.get(f"/Schemas/{ROSTER}")).json()["id"] == ROSTER
    assert (await scim.create_user("a@x.com"))["schemas"] == [USER]
    async with scim.db.transaction() as tx:
        await create_custom_attribute(
            tx, actor=owner(), variable_name="badge", display_name="Badge", datatype=Datatype.NUMBER
        )
    assert await extensions() == [ent, ROSTER]


async def test_group_member_display_is_read_only_and_returned_by_default(scim: Scim) -> None:
    schema = (await scim.client.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group")).json()
    members = next(a for a in schema["attributes"] if a["name"] == "members")
    subs = {a["name"]: (a["mutability"], a["returned"]) for a in members["subAttributes"]}
    assert subs == {
        "value": ("immutable", "default"),
        "$ref": ("immutable", "default"),
        "type": ("immutable", "default"),
        "display": ("readOnly", "default"),
    }
