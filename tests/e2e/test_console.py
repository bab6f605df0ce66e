"""The admin console at /console in headless Chromium (Debian's), against a real server.

Screenshots go to a temporary folder; with ROSTER_UPDATE_SCREENSHOTS=1 they replace
docs/img/console-users.png and docs/img/console-profile.png.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.e2e.conftest import Live

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"no {CHROMIUM} (apt-get install chromium)"
    ),
]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, through Playwright's bundled driver."""
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: docs/img when asked to update them, else a temporary folder."""
    if os.environ.get("ROSTER_UPDATE_SCREENSHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        return DOCS_IMG
    return tmp_path


async def graphql(live: Live, query: str, **variables: Any) -> dict[str, Any]:
    """One admin API call; fails the test on any GraphQL error."""
    async with httpx.AsyncClient(base_url=live.base, timeout=10) as client:
        answer = await client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {live.admin}"},
        )
    body: dict[str, Any] = answer.json()
    assert answer.status_code == 200 and "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def scim_create(live: Live, login: str, external_id: str, token: str | None = None) -> None:
    """POST /scim/v2/Users as the IdP would."""
    given = login.partition("@")[0].title()
    user = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": login,
        "externalId": external_id,
        "name": {"givenName": given, "familyName": "Lovelace"},
        "displayName": f"{given} Lovelace",
        "title": "Analyst",
        "emails": [{"value": login, "type": "work", "primary": True}],
        "active": True,
    }
    headers = live.scim_headers()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with httpx.AsyncClient(base_url=live.base, timeout=10) as client:
        answer = await client.post("/scim/v2/Users", json=user, headers=headers)
    assert answer.status_code == 201, answer.text


async def set_priority(live: Live, name: str, priority: str) -> None:
    """Change who masters one Profile Editor attribute."""
    data = await graphql(
        live,
        "mutation($n: String!, $p: SourcePriority!) { updateProfileAttribute(input:"
        " {name: $n, sourcePriority: $p}) { userErrors { code } } }",
        n=name,
        p=priority,
    )
    assert data["updateProfileAttribute"]["userErrors"] == []


async def wait_until_live(page: Page) -> None:
    """The subscription is acknowledged; give the server a moment to register it."""
    await expect(page.locator("#live")).to_have_text("Live events: on", timeout=15_000)
    await asyncio.sleep(1)


async def test_console_users_live_provisioning_and_idp_locked_fields(
    live: Live, browser: Browser, shots: Path
) -> None:
    for login, first in (("grace@example.com", "Grace"), ("alan@example.com", "Alan")):
        created = await graphql(
            live,
            "mutation($l: String!, $f: String!) { createUser(input: {loginId: $l, firstName: $f,"
            ' lastName: "Local", email: $l}) { userErrors { code } } }',
            l=login,
            f=first,
        )
        assert created["createUser"]["userErrors"] == []
    page = await browser.new_page(viewport={"width": 1200, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # `/` leads to the console; sign in with the pasted admin token; the users list shows.
    await page.goto(live.base + "/")
    assert page.url == live.base + "/console/"
    await page.get_by_label("Admin API token").fill(live.admin)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Users", exact=True)).to_be_visible()
    table = page.get_by_role("table")
    for login in ("owner@example.com", "grace@example.com", "alan@example.com"):
        await expect(table.get_by_role("link", name=login)).to_be_visible()
    await expect(page.locator("#who")).to_have_text("owner@example.com (OWNER)")

    # Authentication: OKTA, through the console's form.
    await page.get_by_role("link", name="Authentication").click()
    await page.get_by_label("Authentication type").select_option("OKTA")
    await page.get_by_label("IdP label").fill("Okta")
    await page.get_by_label("Issuer").fill("https://example.okta.com")
    await page.get_by_role("button", name="Save authentication settings").click()
    await expect(page.get_by_text("Saved: authentication is OKTA.")).to_be_visible()
    await expect(page.locator("#auth-current")).to_have_text("OKTA")

    # Users view open; the IdP creates a user over SCIM; it appears through the subscription.
    await page.get_by_role("link", name="Users", exact=True).click()
    await wait_until_live(page)
    await scim_create(live, "ada@example.com", "00u-ada")
    row = table.get_by_role("row").filter(has=page.get_by_role("link", name="ada@example.com"))
    await expect(row).to_contain_text("OKTA", timeout=15_000)
    await expect(row).to_contain_text("new")
    await expect(page.locator("#users-live")).to_contain_text("POST User 00u-ada → 201 SUCCESS")
    await page.screenshot(path=str(shots / "console-users.png"))

    # The profile: IdP-owned fields locked, with why; title made locally mastered for now.
    await set_priority(live, "title", "INHERIT_FROM_LOCAL")
    await row.get_by_role("link", name="ada@example.com").click()
    await expect(page.get_by_role("heading", name="ada@example.com")).to_be_visible()
    reasons = page.locator("#cannot-update")
    await expect(reasons).to_contain_text("MANAGED_BY_IDP")
    await expect(reasons).to_contain_text("owned by OKTA")
    first_name = page.get_by_label("First name")
    await expect(first_name).to_have_value("Ada")
    await expect(first_name).to_have_attribute("readonly", "")
    await expect(first_name).to_have_accessible_description(re.compile("Managed by OKTA"))
    await expect(page.get_by_label("Username")).to_have_attribute("readonly", "")
    title = page.get_by_label("Title")
    await expect(title).to_be_editable()
    await page.screenshot(path=str(shots / "console-profile.png"))

    # The page is now old: title became IdP-mastered again. The edit is refused whole.
    await set_priority(live, "title", "INHERIT_FROM_IDP")
    await title.fill("Chief Analyst")
    await page.get_by_label("Notes (always local)").fill("Met at the summit")
    await page.get_by_role("button", name="Save changes").click()
    alert = page.get_by_role("alert")
    await expect(alert).to_contain_text("MANAGED_BY_IDP")
    await expect(alert).to_contain_text("title")
    await expect(title).to_have_value("Analyst")
    await expect(title).to_have_attribute("readonly", "")
    await expect(title).to_have_accessible_description(re.compile("server refused the edit"))
    user = await graphql(live, '{ user(loginId: "ada@example.com") { title notes } }')
    assert user["user"] == {"title": "Analyst", "notes": None}

    # What stays editable is saved.
    await page.get_by_role("button", name="Save changes").click()
    await expect(page.get_by_role("status").filter(has_text="Saved (version")).to_be_visible()
    user = await graphql(live, '{ user(loginId: "ada@example.com") { title notes } }')
    assert user["user"] == {"title": "Analyst", "notes": "Met at the summit"}

    # Provisioning: a new SCIM token shown once; a write with it is announced live.
    await page.get_by_role("link", name="Provisioning").click()
    await page.get_by_label("Name (e.g. the IdP)").fill("okta-2")
    await page.get_by_role("button", name="Create token").click()
    secret = await page.get_by_label("Token secret").input_value()
    assert secret.startswith("rsc_")
    await expect(page.get_by_text("it is shown only once")).to_be_visible()
    await wait_until_live(page)
    await scim_create(live, "lin@example.com", "00u-lin", token=secret)
    await expect(page.locator("#events-live")).to_have_text(
        "POST User 00u-lin: SUCCESS (201).", timeout=15_000
    )

    # A local group, then the audit log of everything above.
    await page.get_by_role("link", name="Groups").click()
    await page.get_by_label("Name", exact=True).fill("Analysts")
    await page.get_by_role("button", name="Create group").click()
    await expect(page.get_by_role("heading", name="Analysts")).to_be_visible()
    await expect(page.get_by_role("table")).to_contain_text("No members.")
    await page.get_by_role("link", name="Audit log").click()
    audit = page.get_by_role("table")
    await expect(audit).to_contain_text("authentication.configure")
    await expect(audit).to_contain_text("user.update")
    assert errors == []
