"""Issue 13 (rules 6 and 18) over SCIM HTTP, on each engine: userName and group displayName
compare after Unicode NFC and case folding; names are stored and returned as sent."""

from __future__ import annotations

from unicodedata import normalize
from urllib.parse import quote

import pytest

from app.domain.clock import new_id, now_iso
from app.domain.groups import insert_group
from app.domain.predicates import Compare
from app.domain.query_sql import GROUP_FIELDS, compile_predicate
from app.domain.types import GroupRecord, UserRecord
from app.domain.user_store import insert_user
from app.errors import AlreadyExists
from tests.scim.conftest import GROUP, USER, Scim, error

NFC = normalize("NFC", "José@example.com")
NFD = normalize("NFD", "José@example.com")


def test_the_two_spellings_differ_as_strings() -> None:
    assert NFC != NFD
    assert NFC.lower() != NFD.lower()  # what the old lower() comparison saw


async def test_username_in_nfd_collides_with_the_nfc_user(scim: Scim) -> None:
    created = await scim.create_user(NFC)
    assert created["userName"] == NFC
    for other in (NFD, NFD.upper(), "JOSÉ@EXAMPLE.COM"):
        response = await scim.post("/Users", {"schemas": [USER], "userName": other})
        assert response.json() == error(
            409, f"userName: a user with loginId {other!r} already exists", "uniqueness"
        )
    rows = await scim.rows("SELECT login_id FROM users")
    assert rows == [{"login_id": NFC}]


async def test_username_stored_as_sent_and_found_by_any_spelling(scim: Scim) -> None:
    created = await scim.create_user(NFD)
    for spelling in (NFD, NFC, NFC.upper()):
        response = await scim.client.get(f'/Users?filter=userName eq "{quote(spelling)}"')
        body = response.json()
        assert (response.status_code, body["totalResults"]) == (200, 1), spelling
        assert body["Resources"][0]["id"] == created["id"]
        assert body["Resources"][0]["userName"] == NFD  # stored as sent


async def test_sharp_s_folds_to_ss(scim: Scim) -> None:
    await scim.create_user("straße@example.com")
    response = await scim.post("/Users", {"schemas": [USER], "userName": "STRASSE@example.com"})
    assert (response.status_code, response.json()["scimType"]) == (409, "uniqueness")


async def test_group_display_name_in_nfd_collides_and_is_found(scim: Scim) -> None:
    group = await scim.create_group("Équipe Zoë")
    response = await scim.post(
        "/Groups", {"schemas": [GROUP], "displayName": normalize("NFD", "ÉQUIPE ZOË")}
    )
    assert (response.status_code, response.json()["scimType"]) == (409, "uniqueness")
    spelled = quote(normalize("NFD", "équipe zoë"))
    found = await scim.client.get(f'/Groups?filter=displayName eq "{spelled}"')
    assert [r["id"] for r in found.json()["Resources"]] == [group]
    assert found.json()["Resources"][0]["displayName"] == "Équipe Zoë"


async def test_group_rename_to_another_spelling_of_a_taken_name_is_refused(scim: Scim) -> None:
    await scim.create_group("Straße")
    other = await scim.create_group("Weg")
    response = await scim.patch(
        f"/Groups/{other}", [{"op": "replace", "path": "displayName", "value": "STRASSE"}]
    )
    assert (response.status_code, response.json()["scimType"]) == (409, "uniqueness")


async def test_name_eq_is_an_equality_on_the_indexed_key(scim: Scim) -> None:
    sql, params = compile_predicate(Compare("displayName", "eq", NFD, False), GROUP_FIELDS)
    assert (sql, params) == (
        "groups.display_name_key = :q0",
        {"q0": normalize("NFC", NFC.casefold())},
    )
    async with scim.db.transaction() as tx:
        if tx.dialect.name == "sqlite":
            plan = await tx.fetch(
                "EXPLAIN QUERY PLAN SELECT id FROM users WHERE login_key = :k"
                " AND deleted_at IS NULL",
                {"k": "x"},
            )
            text = " ".join(str(r[-1]) for r in plan)
        else:
            await tx.execute("SET LOCAL enable_seqscan = off")
            plan = await tx.fetch(
                "EXPLAIN SELECT id FROM users WHERE login_key = :k AND deleted_at IS NULL",
                {"k": "x"},
            )
            text = " ".join(str(r[0]) for r in plan)
    assert "uq_users_login_key_live" in text


async def test_a_key_clash_past_the_pre_check_names_the_field(scim: Scim) -> None:
    """A race between two creates (both past `ensure_*_free`) ends on the unique key index,
    reported as the name's field on either engine."""
    await scim.create_user(NFC)
    await scim.create_group("Straße")
    now = now_iso()
    user = UserRecord(new_id(), NFD, None, "LOCAL", "ACTIVE", None, {}, None, 1, now, now, None)
    group = GroupRecord(new_id(), "STRASSE", None, "LOCAL", 0, 1, now, now, None)
    with pytest.raises(AlreadyExists) as caught:
        async with scim.db.transaction() as tx:
            await insert_user(tx, user)
    assert caught.value.fields == ("loginId",)
    with pytest.raises(AlreadyExists) as caught:
        async with scim.db.transaction() as tx:
            await insert_group(tx, group)
    assert caught.value.fields == ("displayName",)
