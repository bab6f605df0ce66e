"""Okta, replayed as docs/integrations/okta.md describes it (idp-wire-shapes.md §2.1)."""

from __future__ import annotations

from typing import Any

from app.db import Database
from app.domain.settings.attributes import update_profile_attribute
from app.domain.types import SYSTEM, AuthType, SourcePriority
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

GUIDE = "okta.md"
# Okta's provisioning client; its SCIM spec test sends `OKTA SCIM Integration` with
# `application/scim+json; charset=utf-8`, and application/json on POSTs.
OKTA = Client(
    token_name="okta",
    auth_type=AuthType.OKTA,
    user_agent="Okta SCIM Client 1.0.0",
    content_type="application/scim+json; charset=utf-8",
    accept="application/scim+json",
    post_content_type="application/json",
)
TEST_USER = "test.user@okta.local"


def _okta_user(login: str, external_id: str, given: str = "Test") -> dict[str, Any]:
    """Okta's POST /Users body: readOnly ``groups: []`` and a password included."""
    return {
        "schemas": [USER],
        "userName": login,
        "name": {"givenName": given, "familyName": "User"},
        "emails": [{"primary": True, "value": login, "type": "work"}],
        "displayName": f"{given} User",
        "locale": "en-US",
        "externalId": external_id,
        "groups": [],
        "password": "1mz050nq",
        "active": True,
    }


async def test_okta_guide_is_valid() -> None:
    check_guide(
        GUIDE,
        titles=(
            "Configure authentication",
            "Enable provisioning and create the SCIM token",
            "Users Okta provisioned",
            "Provisioning counters and recent events",
            "Failed and warned writes",
        ),
    )


async def test_okta_replay(settings: Settings, clean_db: Database, client: Client = OKTA) -> None:
    async with replaying(settings, clean_db, client) as okta:
        # Test Connector Configuration and the spec test's probes. The admin who set Roster
        # up is a LOCAL user: SCIM lists it too.
        assert_list(await okta.get("/Users?startIndex=1&count=2"), 1)
        assert_error(await okta.get("/Users?count=1&startIndex=1", token="non-token"), 401)
        assert_error(await okta.get("/Users/00919288221112222"), 404)

        # Assign a user: filter probe, then POST with password and groups:[].
        probe = f"/Users?filter={eq('userName', TEST_USER)}&startIndex=1&count=100"
        assert assert_list(await okta.get(probe), 0) == []
        ada = created(
            await okta.post("/Users", _okta_user(TEST_USER, "00ujl29u0le5T6Aj10h7")), "Users"
        )
        assert ada["userName"] == TEST_USER
        assert ada["externalId"] == "00ujl29u0le5T6Aj10h7"
        assert ada["name"] == {"givenName": "Test", "familyName": "User"}
        assert ada["emails"] == [{"type": "work", "primary": True, "value": TEST_USER}]
        assert ada["active"] is True
        assert "password" not in ada
        assert "groups" not in ada
        uid = ada["id"]
        fetched = await okta.get(f"/Users/{uid}")
        assert fetched.status_code == 200
        assert fetched.json()["userName"] == TEST_USER
        # The spec test re-creates the same user: 409 uniqueness.
        detail = assert_error(
            await okta.post("/Users", _okta_user(TEST_USER, "00ujl29u0le5T6Aj10h7")),
            409,
            "uniqueness",
        )
        assert "userName" in detail
        # Case-insensitive userName probe.
        assert_list(await okta.get(f"/Users?filter={eq('userName', TEST_USER.upper())}"), 1)

        # Profile push: PUT of the whole object with id, groups, meta and emails[].display.
        put = {
            **_okta_user(TEST_USER, "00ujl29u0le5T6Aj10h7", given="Testy"),
            "id": uid,
            "groups": [],
            "meta": {"resourceType": "User"},
            "emails": [{"primary": True, "value": TEST_USER, "type": "work", "display": TEST_USER}],
            "title": "Engineer",
            ENT: {"department": "R&D"},
            "schemas": [USER, ENT],
        }
        replaced = await okta.put(f"/Users/{uid}", put)
        assert replaced.status_code == 200, replaced.text
        assert replaced.json()["name"]["givenName"] == "Testy"
        assert replaced.json()["title"] == "Engineer"
        assert replaced.json()[ENT] == {"department": "R&D"}
        # Password sync (no-path value): accepted and discarded.
        synced = await okta.patch(
            f"/Users/{uid}", patch_body({"op": "replace", "value": {"password": "n3w-pa55"}})
        )
        assert synced.status_code == 200, synced.text
        # Deactivate and reactivate with a no-path replace.
        off = await okta.patch(
            f"/Users/{uid}", patch_body({"op": "replace", "value": {"active": False}})
        )
        assert off.status_code == 200
        assert off.json()["active"] is False
        assert assert_list(await okta.get(probe), 1)[0]["active"] is False
        on = await okta.patch(
            f"/Users/{uid}", patch_body({"op": "replace", "value": {"active": True}})
        )
        assert on.json()["active"] is True
        bob = created(
            await okta.post(
                "/Users", _okta_user("second.user@okta.local", "00ujl29u0le5T6Aj10h8", "Bob")
            ),
            "Users",
        )["id"]

        # Push Groups: create, then a no-path replace {id, displayName} before each change.
        group = created(
            await okta.post(
                "/Groups", {"schemas": [GROUP], "displayName": "Test SCIMv2", "members": []}
            ),
            "Groups",
        )
        gid = group["id"]
        assert group["displayName"] == "Test SCIMv2"
        assert "members" not in group
        same = {"op": "replace", "value": {"id": gid, "displayName": "Test SCIMv2"}}
        assert (await okta.patch(f"/Groups/{gid}", patch_body(same))).status_code == 204
        add = {"op": "add", "path": "members", "value": [{"value": uid, "display": TEST_USER}]}
        assert (await okta.patch(f"/Groups/{gid}", patch_body(add))).status_code == 204
        assert await okta.members(gid) == {uid}
        swap = patch_body(
            {"op": "remove", "path": f'members[value eq "{uid}"]'},
            {
                "op": "add",
                "path": "members",
                "value": [{"value": bob, "display": "second.user@okta.local"}],
            },
        )
        assert (await okta.patch(f"/Groups/{gid}", swap)).status_code == 204
        assert await okta.members(gid) == {bob}
        push = {
            "op": "replace",
            "path": "members",
            "value": [{"value": uid, "display": TEST_USER}, {"value": bob, "display": "b"}],
        }
        assert (await okta.patch(f"/Groups/{gid}", patch_body(push))).status_code == 204
        assert await okta.members(gid) == {uid, bob}
        # A member Roster does not know is skipped (WARNING event), the rest applies.
        stray = {"op": "add", "path": "members", "value": [{"value": "00g1emaKYZTWRYYRRTSK"}]}
        assert (await okta.patch(f"/Groups/{gid}", patch_body(stray))).status_code == 204
        assert await okta.members(gid) == {uid, bob}
        # "Push now" on an emptied group, then Okta's no-schemas variant with a rename.
        empty = {"op": "replace", "path": "members", "value": []}
        assert (await okta.patch(f"/Groups/{gid}", patch_body(empty))).status_code == 204
        assert await okta.members(gid) == set()
        assert (await okta.patch(f"/Groups/{gid}", patch_body(add))).status_code == 204
        rename = {"op": "replace", "value": {"members": [], "id": gid, "displayName": "SCIMv2"}}
        renamed = await okta.patch(f"/Groups/{gid}", patch_body(rename, schemas=False))
        assert renamed.status_code == 204
        assert await okta.members(gid) == set()
        assert (await okta.patch(f"/Groups/{gid}", patch_body(add))).status_code == 204

        # Import: users and groups, paged with integer counters.
        users = assert_list(await okta.get("/Users?startIndex=1&count=100"), 3)
        assert [u["userName"] for u in users][1:] == [TEST_USER, "second.user@okta.local"]
        groups = assert_list(await okta.get("/Groups?startIndex=1&count=100"), 1)
        assert groups[0]["displayName"] == "SCIMv2"
        assert groups[0]["members"] == [
            {"value": uid, "display": "Testy User", "$ref": f"{BASE}/Users/{uid}", "type": "User"}
        ]

        # Unassign: Okta deactivates, never deletes. Apps that send every update as a PUT
        # deactivate with a PUT of the whole user and "active": false.
        bob_doc = (await okta.get(f"/Users/{bob}")).json()
        gone = await okta.put(f"/Users/{bob}", {**bob_doc, "active": False})
        assert gone.status_code == 200, gone.text
        assert gone.json()["active"] is False
        assert gone.json()["name"] == {"givenName": "Bob", "familyName": "User"}
        assert (await okta.get(f"/Users/{bob}")).json()["active"] is False

        # Verify in Roster with the guide's queries.
        synced_users = (await okta.guide_query(GUIDE, "Users Okta provisioned"))["users"]
        assert synced_users["totalCount"] == 2
        assert [
            (u["loginId"], u["authProvider"], u["status"], u["externalId"], u["firstName"])
            for u in synced_users["nodes"]
        ] == [
            (TEST_USER, "OKTA", "ACTIVE", "00ujl29u0le5T6Aj10h7", "Testy"),
            ("second.user@okta.local", "OKTA", "INACTIVE", "00ujl29u0le5T6Aj10h8", "Bob"),
        ]
        assert synced_users["nodes"][0]["department"] == "R&D"
        assert all(u["lastProvisionedAt"] for u in synced_users["nodes"])
        provisioning = (await okta.guide_query(GUIDE, "Provisioning counters and recent events"))[
            "provisioning"
        ]
        stats = provisioning["stats"]
        assert {(c["authProvider"], c["count"]) for c in stats["usersByProvider"]} == {
            ("LOCAL", 1),
            ("OKTA", 2),
        }
        assert stats["groupsByProvider"] == [{"authProvider": "OKTA", "count": 1}]
        assert stats["errorsLast24h"] == 1
        assert provisioning["scimBaseUrl"].endswith("/scim/v2")
        assert [t["name"] for t in provisioning["tokens"]] == ["okta"]
        assert provisioning["tokens"][0]["state"] == "ACTIVE"
        problems = (await okta.guide_query(GUIDE, "Failed and warned writes"))["provisioning"]
        assert [
            (e["outcome"], e["statusCode"], e["method"]) for e in problems["events"]["nodes"]
        ] == [
            ("WARNING", 204, "PATCH"),
            ("ERROR", 409, "POST"),
        ]

        events = await okta.events()
        assert [e.short for e in events] == [
            ("POST", "User", "SUCCESS", 201),
            ("POST", "User", "ERROR", 409),
            ("PUT", "User", "SUCCESS", 200),
            *[("PATCH", "User", "SUCCESS", 200)] * 3,
            ("POST", "User", "SUCCESS", 201),
            ("POST", "Group", "SUCCESS", 201),
            *[("PATCH", "Group", "SUCCESS", 204)] * 4,
            ("PATCH", "Group", "WARNING", 204),
            *[("PATCH", "Group", "SUCCESS", 204)] * 4,
            ("PUT", "User", "SUCCESS", 200),
        ]
        assert events[0].external_id == "00ujl29u0le5T6Aj10h7"
        assert events[0].resource_id == uid
        warned = [e for e in events if e.outcome == "WARNING"]
        assert [(e.resource_id, e.detail) for e in warned] == [
            (gid, "unknown member id(s) skipped: 00g1emaKYZTWRYYRRTSK")
        ]


async def test_okta_before_configuring_authentication(
    settings: Settings, clean_db: Database
) -> None:
    """Rule 1: provisioning while authentication is INTERNAL makes LOCAL users; they stay
    LOCAL after Okta is configured (rule 4) and cannot be renamed over SCIM (rule 7)."""
    async with replaying(settings, clean_db, OKTA, configure=False) as okta:
        early = created(
            await okta.post("/Users", _okta_user("early@okta.local", "00uEARLY")), "Users"
        )["id"]
        await okta.configure(AuthType.OKTA)
        late = created(
            await okta.post("/Users", _okta_user("late@okta.local", "00uLATE")), "Users"
        )["id"]
        # Okta matches the LOCAL account by userName and pushes its profile: applied.
        found = assert_list(
            await okta.get(f"/Users?filter={eq('userName', 'early@okta.local')}"), 1
        )
        assert found[0]["id"] == early
        title = patch_body({"op": "replace", "value": {"title": "Pilot"}})
        assert (await okta.patch(f"/Users/{early}", title)).json()["title"] == "Pilot"
        # Renaming it is refused (its login identity belongs to Roster); the IdP's own user
        # can be renamed.
        rename = patch_body({"op": "replace", "value": {"userName": "renamed@okta.local"}})
        detail = assert_error(await okta.patch(f"/Users/{early}", rename), 400, "mutability")
        assert "LOCAL" in detail
        ok = await okta.patch(
            f"/Users/{late}", patch_body({"op": "replace", "value": {"userName": "new@okta.local"}})
        )
        assert ok.json()["userName"] == "new@okta.local"

        data = await okta.graphql("{ users(first: 10) { nodes { loginId authProvider title } } }")
        assert data["users"]["nodes"] == [
            {"loginId": "admin@example.com", "authProvider": "LOCAL", "title": None},
            {"loginId": "early@okta.local", "authProvider": "LOCAL", "title": "Pilot"},
            {"loginId": "new@okta.local", "authProvider": "OKTA", "title": None},
        ]
        assert [(e.method, e.outcome, e.status) for e in await okta.events()] == [
            ("POST", "SUCCESS", 201),
            ("POST", "SUCCESS", 201),
            ("PATCH", "SUCCESS", 200),
            ("PATCH", "ERROR", 400),
            ("PATCH", "SUCCESS", 200),
        ]


async def test_okta_replay_mixed_case(settings: Settings, clean_db: Database) -> None:
    await same_result_recased(settings, clean_db, test_okta_replay, OKTA)


async def test_okta_unknown_attribute(settings: Settings, clean_db: Database) -> None:
    async with replaying(settings, clean_db, OKTA) as okta:
        user = _okta_user(TEST_USER, "00ujl29u0le5T6Aj10h7")
        await refuses_unknown(okta, user, {"schemas": [GROUP], "displayName": "SCIMv2"})


async def test_okta_ignored_attributes_are_listed_on_the_event(
    settings: Settings, clean_db: Database
) -> None:
    """Rule 18: password (Roster does not authenticate), roles and entitlements (rule 10)
    and rule 5's local-priority values are ignored on purpose and listed on the event,
    GraphQL's ProvisioningEvent.ignored."""
    async with replaying(settings, clean_db, OKTA) as okta:
        async with clean_db.transaction() as tx:
            await update_profile_attribute(
                tx, actor=SYSTEM, name="title", source_priority=SourcePriority.INHERIT_FROM_LOCAL
            )
        body = {
            **_okta_user(TEST_USER, "00ujl29u0le5T6Aj10h7"),
            "title": "CEO",
            "entitlements": [{"value": "all"}],
        }
        uid = created(await okta.post("/Users", body), "Users")["id"]
        password = {"op": "replace", "value": {"password": "n3w-pa55", "nickName": "T"}}
        assert (await okta.patch(f"/Users/{uid}", patch_body(password))).status_code == 200
        roles = {"op": "add", "path": "Roles", "value": [{"value": "admin"}]}
        assert (await okta.patch(f"/Users/{uid}", patch_body(roles))).status_code == 200
        data = await okta.graphql(
            "{ provisioning { events { nodes { method outcome ignored } } } }"
        )
        assert data["provisioning"]["events"]["nodes"] == [  # newest first
            {"method": "PATCH", "outcome": "SUCCESS", "ignored": ["Roles"]},
            {"method": "PATCH", "outcome": "SUCCESS", "ignored": ["password"]},
            {
                "method": "POST",
                "outcome": "SUCCESS",
                "ignored": ["password", "entitlements", "title"],
            },
        ]
        stored = await okta.rows("SELECT profile FROM users WHERE id = :id", {"id": uid})
        assert "title" not in str(stored[0]["profile"])
