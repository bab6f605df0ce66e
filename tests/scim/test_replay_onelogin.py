"""OneLogin, replayed as docs/integrations/onelogin.md describes it (idp-wire-shapes.md §2.3):
the SCIM JSON template's POST (string ``active``, ``id: null``, emails without ``primary``),
``emails`` as a single object, memberships of groups that exist in Roster."""

from __future__ import annotations

from typing import Any

from app.db import Database
from app.domain.types import AuthType
from app.settings import Settings
from tests.scim.replay import (
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

GUIDE = "onelogin.md"
# Roster ignores User-Agent; this one only labels the replay.
ONELOGIN = Client(
    token_name="onelogin",
    auth_type=AuthType.ONELOGIN,
    user_agent="OneLogin SCIM provisioner (replay)",
    content_type="application/json",
)
ADA = "ada@example.com"


def _template(login: str, onelogin_id: str, first: str, last: str, emails: Any) -> dict[str, Any]:
    """The body the guide's SCIM JSON template renders to."""
    return {
        "schemas": [USER, ENT],
        "id": None,
        "externalId": onelogin_id,
        "userName": login,
        "active": "true",
        "name": {"givenName": first, "familyName": last, "formatted": f"{first} {last}"},
        "emails": emails,
        "title": "Analyst",
        "meta": {"resourceType": "User"},
        ENT: {"department": "Finance"},
    }


async def test_onelogin_guide_is_valid() -> None:
    check_guide(
        GUIDE,
        titles=(
            "Configure authentication",
            "Enable provisioning and create the SCIM token",
            "Create a group for OneLogin to fill",
            "Users OneLogin provisioned",
            "Provisioning counters and recent events",
            "Failed and warned writes",
        ),
    )


async def test_onelogin_replay(
    settings: Settings, clean_db: Database, client: Client = ONELOGIN
) -> None:
    async with replaying(settings, clean_db, client) as onelogin:
        made = await onelogin.guide_query(GUIDE, "Create a group for OneLogin to fill")
        group = made["createGroup"]["group"]
        assert (group["displayName"], group["authProvider"]) == ("Finance", "LOCAL")
        gid = group["databaseId"]

        # Configuration → API Connection → Enable, then Refresh Entitlements.
        assert_list(await onelogin.get("/Users?startIndex=1&count=1"), 1)
        groups = assert_list(await onelogin.get("/Groups"), 1)
        assert [(g["id"], g["displayName"]) for g in groups] == [(gid, "Finance")]

        # Create users from the template: emails as a list without primary, or one object.
        assert_list(await onelogin.get(f"/Users?filter={eq('userName', ADA)}"), 0)
        ada = created(
            await onelogin.post(
                "/Users",
                _template(ADA, "118462340", "Ada", "Lovelace", [{"value": ADA, "type": "work"}]),
            ),
            "Users",
        )
        uid = ada["id"]
        assert ada["active"] is True
        assert ada["emails"] == [{"type": "work", "primary": True, "value": ADA}]
        assert ada["name"] == {
            "givenName": "Ada",
            "familyName": "Lovelace",
            "formatted": "Ada Lovelace",  # kept since rule 18
        }
        bob = created(
            await onelogin.post(
                "/Users",
                _template(
                    "bob@example.com", "118462341", "Bob", "Babbage", {"value": "bob@example.com"}
                ),
            ),
            "Users",
        )
        assert bob["emails"] == [{"type": "work", "primary": True, "value": "bob@example.com"}]

        # Rules set the Groups parameter: memberships of the existing group.
        add = {"op": "add", "path": "members", "value": [{"value": uid}, {"value": bob["id"]}]}
        assert (await onelogin.patch(f"/Groups/{gid}", patch_body(add))).status_code == 204
        assert await onelogin.members(gid) == {uid, bob["id"]}

        # Update: a replace with emails as a single object.
        value = {
            "emails": {"value": "ada.lovelace@example.com", "type": "work"},
            "name": {"givenName": "Augusta Ada", "familyName": "Lovelace"},
            "title": "Lead Analyst",
        }
        updated = await onelogin.patch(
            f"/Users/{uid}", patch_body({"op": "replace", "value": value})
        )
        assert updated.status_code == 200, updated.text
        doc = updated.json()
        assert doc["emails"] == [
            {"type": "work", "primary": True, "value": "ada.lovelace@example.com"}
        ]
        assert (doc["name"]["givenName"], doc["title"]) == ("Augusta Ada", "Lead Analyst")
        one = {"op": "replace", "path": "emails", "value": {"value": "ada@lovelace.example"}}
        assert (await onelogin.patch(f"/Users/{uid}", patch_body(one))).json()["emails"] == [
            {"type": "work", "primary": True, "value": "ada@lovelace.example"}
        ]

        # Suspended in OneLogin (action "Suspend"): active false.
        off = {"op": "replace", "path": "active", "value": False}
        suspended = await onelogin.patch(f"/Users/{bob['id']}", patch_body(off))
        assert suspended.json()["active"] is False
        # Removed from the role that sets the group.
        drop = {"op": "remove", "path": f'members[value eq "{bob["id"]}"]'}
        assert (await onelogin.patch(f"/Groups/{gid}", patch_body(drop))).status_code == 204
        assert await onelogin.members(gid) == {uid}

        # App access removed with the action "Delete", then assigned again.
        assert (await onelogin.delete(f"/Users/{uid}")).status_code == 204
        assert_error(await onelogin.get(f"/Users/{uid}"), 404)
        assert await onelogin.members(gid) == set()
        back = created(
            await onelogin.post(
                "/Users",
                _template(ADA, "118462340", "Ada", "Lovelace", [{"value": ADA, "type": "work"}]),
            ),
            "Users",
        )
        assert back["id"] == uid
        assert (await onelogin.patch(f"/Groups/{gid}", patch_body(add))).status_code == 204

        users = (await onelogin.guide_query(GUIDE, "Users OneLogin provisioned"))["users"]
        assert [
            (u["loginId"], u["authProvider"], u["status"], u["externalId"], u["department"])
            for u in users["nodes"]
        ] == [
            (ADA, "ONELOGIN", "ACTIVE", "118462340", "Finance"),
            ("bob@example.com", "ONELOGIN", "INACTIVE", "118462341", "Finance"),
        ]
        assert [g["displayName"] for g in users["nodes"][0]["groups"]["nodes"]] == ["Finance"]
        group_now = await onelogin.graphql(
            "query($id: ID!) { group(id: $id) { authProvider memberCount } }", id=group["id"]
        )
        assert group_now["group"] == {"authProvider": "LOCAL", "memberCount": 2}

        assert [e.short for e in await onelogin.events()] == [
            ("POST", "User", "SUCCESS", 201),
            ("POST", "User", "SUCCESS", 201),
            ("PATCH", "Group", "SUCCESS", 204),
            *[("PATCH", "User", "SUCCESS", 200)] * 3,
            ("PATCH", "Group", "SUCCESS", 204),
            ("DELETE", "User", "SUCCESS", 204),
            ("POST", "User", "SUCCESS", 201),
            ("PATCH", "Group", "SUCCESS", 204),
        ]


async def test_onelogin_replay_mixed_case(settings: Settings, clean_db: Database) -> None:
    await same_result_recased(settings, clean_db, test_onelogin_replay, ONELOGIN)


async def test_onelogin_unknown_attribute(settings: Settings, clean_db: Database) -> None:
    async with replaying(settings, clean_db, ONELOGIN) as onelogin:
        user = _template("ada@example.com", "101", "Ada", "Lovelace", [])
        await refuses_unknown(onelogin, user, {"schemas": [GROUP], "displayName": "Analysts"})
