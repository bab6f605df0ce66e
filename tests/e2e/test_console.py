"""The admin console at /console in headless Chromium (Debian's), against a real server.

One server (per engine) and one browser serve the whole module; each test signs in on a new
page. With ROSTER_SCREENSHOTS=1 each page's screenshot replaces docs/screenshots/<page>.png
(1200x800); without it they go to a temporary folder, so a plain run rewrites nothing.
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

from app.db import Database
from app.domain.bootstrap import issue_admin_token, issue_scim_token
from app.settings import Settings
from tests.e2e.conftest import Live, start_server, stop_server
from tests.support import reset_database

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
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WIDE = {"width": 1200, "height": 800}
NARROW = {"width": 375, "height": 800}

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"no {CHROMIUM} (apt-get install chromium)"
    ),
]


@pytest.fixture(scope="module")
async def live(settings: Settings, database: Database) -> AsyncIterator[Live]:
    """One server for the module on a clean database, with a SCIM and an OWNER admin token."""
    await reset_database(database)
    async with database.transaction() as tx:
        scim = await issue_scim_token(tx, name="okta-e2e", ttl_days=30, max_active=2)
        admin = await issue_admin_token(tx, login_id="owner@example.com", role="owner")
    proc, base = start_server(settings)
    try:
        yield Live(base, scim, admin, settings)
    finally:
        stop_server(proc)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, through Playwright's bundled driver."""
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """docs/screenshots with ROSTER_SCREENSHOTS=1, else a temporary folder."""
    if os.environ.get("ROSTER_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
async def page(live: Live, browser: Browser) -> AsyncIterator[Page]:
    """A new signed-in page (own sessionStorage) at 1200x800; fails on any page error."""
    context = await browser.new_context(viewport=WIDE)
    await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live.base)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await sign_in(page, live)
    yield page
    await context.close()
    assert errors == []


async def sign_in(page: Page, live: Live) -> None:
    """Open the console and sign in with the OWNER token."""
    await page.goto(live.base + "/console/")
    await page.get_by_label("Admin API token").fill(live.admin)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Users", exact=True)).to_be_visible()


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


async def create_local_user(live: Live, login: str, first: str) -> str:
    """A LOCAL user through the API; returns its global id."""
    data = await graphql(
        live,
        "mutation($l: String!, $f: String!) { createUser(input: {loginId: $l, firstName: $f,"
        ' lastName: "Local", email: $l}) { user { id } userErrors { code } } }',
        l=login,
        f=first,
    )
    assert data["createUser"]["userErrors"] == []
    user_id: str = data["createUser"]["user"]["id"]
    return user_id


async def use_okta(live: Live) -> None:
    """Authentication OKTA, so SCIM-created users and groups are OKTA-owned."""
    data = await graphql(
        live,
        'mutation { configureAuthentication(input: {type: OKTA, displayName: "Okta"})'
        " { userErrors { code } } }",
    )
    assert data["configureAuthentication"]["userErrors"] == []


async def scim_post(live: Live, path: str, body: dict[str, Any], token: str | None = None) -> str:
    """POST to /scim/v2 as the IdP would; returns the new resource's id."""
    headers = live.scim_headers()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with httpx.AsyncClient(base_url=live.base, timeout=10) as client:
        answer = await client.post(f"/scim/v2/{path}", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    resource_id: str = answer.json()["id"]
    return resource_id


async def scim_create(live: Live, login: str, external_id: str, token: str | None = None) -> str:
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
    return await scim_post(live, "Users", user, token)


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


async def confirm(page: Page, title: str, consequence: str, action: str) -> None:
    """The modal dialog states the consequence; confirm it."""
    dialog = page.get_by_role("dialog", name=title)
    await expect(dialog).to_be_visible()
    await expect(dialog).to_contain_text(consequence)
    await dialog.get_by_role("button", name=action).click()
    await expect(dialog).to_have_count(0)


async def cancel(page: Page, title: str) -> None:
    """Open dialog: cancel it."""
    dialog = page.get_by_role("dialog", name=title)
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(dialog).to_have_count(0)


async def is_red(page: Page, selector: str) -> bool:
    """The element's text colour has more red than green and blue (an error, not a success)."""
    colour: str = await page.locator(selector).first.evaluate("e => getComputedStyle(e).color")
    r, g, b = (int(n) for n in re.findall(r"\d+", colour)[:3])
    return r > g and r > b


async def test_console_before_sign_in_errors_and_375px(live: Live, browser: Browser) -> None:
    context = await browser.new_context(viewport=NARROW)
    page = await context.new_page()
    await page.goto(live.base + "/")
    assert page.url == live.base + "/console/"

    # Before sign-in: neither the live state, the session bar nor the navigation shows.
    await expect(page.get_by_role("heading", name="Sign in to Roster")).to_be_visible()
    await expect(page.locator("#live")).to_be_hidden()
    await expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
    await expect(page.get_by_role("navigation", name="Sections")).to_be_hidden()

    # A refused token is announced as an alert, in the error colour.
    await page.get_by_label("Admin API token").fill("rat_not-a-token")
    await page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    await expect(alert).to_contain_text("Sign-in failed.")
    assert await is_red(page, "[role=alert]")

    # Signed in at 375 px: every page fits (no horizontal scroll), every nav item is reachable.
    await page.get_by_label("Admin API token").fill(live.admin)
    await page.get_by_role("button", name="Sign in").click()
    nav = page.get_by_role("navigation", name="Sections")
    await expect(nav).to_be_visible()
    await expect(page.locator("#live")).to_be_visible()
    for name, heading in (
        ("Users", "Users"),
        ("Groups", "Groups"),
        ("Authentication", "Authentication"),
        ("Provisioning", "Provisioning"),
        ("API tokens", "Admin API tokens"),
        ("Profile Editor", "Profile Editor"),
        ("Audit log", "Audit log"),
    ):
        item = nav.get_by_role("link", name=name, exact=True)
        box = await item.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375, (name, box)
        await item.click()
        await expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, (name, width)
    await context.close()


async def test_users_live_provisioning_and_idp_locked_fields(
    live: Live, page: Page, shots: Path
) -> None:
    for login, first in (("grace@example.com", "Grace"), ("alan@example.com", "Alan")):
        await create_local_user(live, login, first)
    await page.reload()
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
    await page.screenshot(path=str(shots / "authentication.png"))

    # Users view open; the IdP creates a user over SCIM; it appears through the subscription.
    await page.get_by_role("link", name="Users", exact=True).click()
    await wait_until_live(page)
    await scim_create(live, "ada@example.com", "00u-ada")
    row = table.get_by_role("row").filter(has=page.get_by_role("link", name="ada@example.com"))
    await expect(row).to_contain_text("OKTA", timeout=15_000)
    await expect(row).to_contain_text("new")
    await expect(page.locator("#users-live")).to_contain_text("POST User 00u-ada → 201 SUCCESS")
    await page.screenshot(path=str(shots / "users.png"))

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
    await page.screenshot(path=str(shots / "user-profile.png"))

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
