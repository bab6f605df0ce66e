"""JumpCloud, replayed as docs/integrations/jumpcloud.md describes it (idp-wire-shapes.md §2.3):
one ``replace`` per attribute, members as bare ``{"value": id}``, removal with a value array."""

from __future__ import annotations

from typing import Any

from app.db import Database
from app.domain.types import AuthType
from app.settings import Settings
from tests.scim.replay import (
    BASE,
    ENT,
    GROUP,
    USER,
    Client,
    assert_error,
    assert_list,
    check_guide,
    created,
    eq,
    patch_body,
    refuses_unknown,
    replaying,
    same_result_recased,
)

GUIDE = "jumpcloud.md"
# Roster ignores User-Agent; this one only labels the replay.
JUMPCLOUD = Client(
    token_name="jumpcloud",
    auth_type=AuthType.JUMPCLOUD,
    user_agent="JumpCloud Identity Management (replay)",
    content_type="application/scim+json",
    accept="application/scim+json",
)
GRACE = "grace.hopper@example.com"


def _user(login: str, jumpcloud_id: str, first: str, last: str) -> dict[str, Any]:
    return {
        "schemas": [USER, ENT],
        "externalId": jumpcloud_id,
        "userName": login,
        "active": True,
        "displayName": f"{first} {last}",
        "name": {"givenName": first, "familyName": last},
        "emails": [{"value": login, "type": "work", "primary": True}],
        "title": "Rear Admiral",
        "phoneNumbers": [{"value": "+1 555 0199", "type": "mobile"}],
        "addresses": [{"type": "work", "locality": "Arlington", "country": "US"}],
        ENT: {"employeeNumber": "1906", "department": "Navy"},
    }


def _replace(path: str, value: Any) -> dict[str, Any]:
    return {"op": "replace", "path": path, "value": value}


async def test_jumpcloud_guide_is_valid() -> None:
    check_guide(
        GUIDE,
        titles=(
            "Configure authentication",
            "Enable provisioning and create the SCIM token",
            "Users JumpCloud provisioned",
            "Groups JumpCloud provisioned",
            "Provisioning counters and recent events",
            "Failed and warned writes",
        ),
    )


async def test_jumpcloud_replay(
    settings: Settings, clean_db: Database, client: Client = JUMPCLOUD
) -> None:
    async with replaying(settings, clean_db, client) as jc:
        # Activate: a GET /Users probe.
        assert_list(await jc.get("/Users"), 1)

        assert_list(await jc.get(f"/Users?filter={eq('userName', GRACE)}"), 0)
        grace = created(
            await jc.post("/Users", _user(GRACE, "5f1b2c3d4e5f6a7b8c9d0e1f", "Grace", "Hopper")),
            "Users",
        )
        uid = grace["id"]
        assert grace["phoneNumbers"] == [{"type": "mobile", "value": "+1 555 0199"}]
        assert grace["addresses"] == [
            {"type": "work", "primary": True, "locality": "Arlington", "country": "US"}
        ]
        kay = created(
            await jc.post(
                "/Users",
                _user("kay.mcnulty@example.com", "5f1b2c3d4e5f6a7b8c9d0e20", "Kay", "McNulty"),
            ),
            "Users",
        )["id"]

        # Profile change: one replace per attribute, each with a path.
        update = patch_body(
            _replace("name.givenName", "Grace Brewster"),
            _replace("name.familyName", "Hopper"),
            _replace("title", "Commodore"),
            _replace('emails[type eq "work"].value', "grace@navy.example"),
            _replace('addresses[type eq "work"].locality', "Washington"),
            _replace(f"{ENT}:department", "Naval Data Automation"),
            _replace("active", True),
        )
        response = await jc.patch(f"/Users/{uid}", update)
        assert response.status_code == 200, response.text
        doc = response.json()
        assert (doc["name"]["givenName"], doc["title"], doc[ENT]["department"]) == (
            "Grace Brewster",
            "Commodore",
            "Naval Data Automation",
        )
        assert doc["emails"] == [{"type": "work", "primary": True, "value": "grace@navy.example"}]
        assert doc["addresses"][0]["locality"] == "Washington"
        # Unknown attribute paths are refused whole, with the path named.
        bad = await jc.patch(f"/Users/{uid}", patch_body(_replace("favouriteShip", "USS Hopper")))
        assert "favouriteship" in assert_error(bad, 400, "invalidPath").lower()

        # Group Management: look up by name, create, then members as bare ids.
        by_name = f"/Groups?filter={eq('displayName', 'Compilers')}"
        assert_list(await jc.get(by_name), 0)
        gid = created(
            await jc.post(
                "/Groups",
                {
                    "schemas": [GROUP],
                    "displayName": "Compilers",
                    "externalId": "64ac0ffee0",
                    "members": [],
                },
            ),
            "Groups",
        )["id"]
        add = {"op": "add", "path": "members", "value": [{"value": uid}, {"value": kay}]}
        assert (await jc.patch(f"/Groups/{gid}", patch_body(add))).status_code == 204
        assert await jc.members(gid) == {uid, kay}
        remove = {"op": "remove", "path": "members", "value": [{"value": kay}]}
        assert (await jc.patch(f"/Groups/{gid}", patch_body(remove))).status_code == 204
        assert await jc.members(gid) == {uid}
        # Removing a non-member is a no-op.
        assert (await jc.patch(f"/Groups/{gid}", patch_body(remove))).status_code == 204
        rename = patch_body(_replace("displayName", "Compiler Team"))
        assert (await jc.patch(f"/Groups/{gid}", rename)).status_code == 204
        renamed = assert_list(
            await jc.get(f"/Groups?filter={eq('displayName', 'compiler team')}"), 1
        )
        member = {
            "value": uid,
            "display": "Grace Hopper",
            "$ref": f"{BASE}/Users/{uid}",
            "type": "User",
        }
        assert renamed[0]["members"] == [member]

        # Unbound from the app or suspended: deactivated, never deleted.
        off = await jc.patch(f"/Users/{kay}", patch_body(_replace("active", False)))
        assert off.json()["active"] is False
        assert (await jc.get(f"/Users/{kay}")).json()["active"] is False

        users = (await jc.guide_query(GUIDE, "Users JumpCloud provisioned"))["users"]
        assert [
            (u["loginId"], u["authProvider"], u["status"], u["city"]) for u in users["nodes"]
        ] == [
            (GRACE, "JUMPCLOUD", "ACTIVE", "Washington"),
            ("kay.mcnulty@example.com", "JUMPCLOUD", "INACTIVE", "Arlington"),
        ]
        groups = (await jc.guide_query(GUIDE, "Groups JumpCloud provisioned"))["groups"]
        assert [
            (g["displayName"], g["externalId"], g["authProvider"], g["memberCount"])
            for g in groups["nodes"]
        ] == [("Compiler Team", "64ac0ffee0", "JUMPCLOUD", 1)]

        # Group unbound from the app with its deletion: 204, then 404.
        assert (await jc.delete(f"/Groups/{gid}")).status_code == 204
        assert_error(await jc.get(f"/Groups/{gid}"), 404)

        assert [e.short for e in await jc.events()] == [
            ("POST", "User", "SUCCESS", 201),
            ("POST", "User", "SUCCESS", 201),
            ("PATCH", "User", "SUCCESS", 200),
            ("PATCH", "User", "ERROR", 400),
            ("POST", "Group", "SUCCESS", 201),
            *[("PATCH", "Group", "SUCCESS", 204)] * 4,
            ("PATCH", "User", "SUCCESS", 200),
            ("DELETE", "Group", "SUCCESS", 204),
        ]


async def test_jumpcloud_replay_mixed_case(settings: Settings, clean_db: Database) -> None:
    await same_result_recased(settings, clean_db, test_jumpcloud_replay, JUMPCLOUD)


async def test_jumpcloud_unknown_attribute(settings: Settings, clean_db: Database) -> None:
    async with replaying(settings, clean_db, JUMPCLOUD) as jc:
        user = _user("grace@example.com", "5f1e0b2c", "Grace", "Hopper")
        await refuses_unknown(jc, user, {"schemas": [GROUP], "displayName": "Compilers"})
