"""The admin console at /console in headless Chromium (Debian's), against a real server.

One server (per engine) and one browser serve the whole module; each test signs in on a new
page. With ROSTER_SCREENSHOTS=1 each page's screenshot replaces docs/screenshots/<page>.png
(1200x800); without it they go to a temporary folder, so a plain run rewrites nothing.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import (
    Browser,
    Locator,
    Page,
    ViewportSize,
    async_playwright,
    expect,
)

from app.db import Database
from app.domain.access.bootstrap import issue_admin_token, issue_scim_token
from app.domain.clock import now_iso
from app.domain.provisioning.health import record_usage
from app.domain.provisioning.usage import UsageBatch
from app.domain.webhooks import store as webhook_store
from app.domain.webhooks.model import EndpointState
from app.settings import Settings
from tests.e2e.conftest import Live, start_server, stop_server
from tests.support import reset_database
from tests.webhooks.receiver import Receiver, verify

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
WIDE: ViewportSize = {"width": 1200, "height": 800}
NARROW: ViewportSize = {"width": 375, "height": 800}

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
    proc, base = start_server(
        settings,
        ROSTER_HEALTH_FLUSH_SECONDS="0.5",
        ROSTER_WEBHOOK_ALLOWED_TARGETS="127.0.0.1",  # the webhook test's receiver
    )
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


async def shoot(page: Page, shots: Path, name: str) -> None:
    """The page from its top at the fixed 1200x800 viewport."""
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=str(shots / f"{name}.png"))


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
    await shoot(page, shots, "authentication")

    # Users view open; the IdP creates a user over SCIM; it appears through the subscription.
    await page.get_by_role("link", name="Users", exact=True).click()
    await wait_until_live(page)
    await scim_create(live, "ada@example.com", "00u-ada")
    row = table.get_by_role("row").filter(has=page.get_by_role("link", name="ada@example.com"))
    await expect(row).to_contain_text("OKTA", timeout=15_000)
    await expect(row).to_contain_text("new")
    await expect(page.locator("#users-live")).to_contain_text("POST User 00u-ada → 201 SUCCESS")
    await shoot(page, shots, "users")

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
    await shoot(page, shots, "user-profile")

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


async def test_user_roles_delete_and_restore(live: Live, page: Page, shots: Path) -> None:
    user_id = await create_local_user(live, "rosa@example.com", "Rosa")
    await page.goto(f"{live.base}/console/#/users/{user_id}")
    await expect(page.get_by_role("heading", name="rosa@example.com")).to_be_visible()

    # Unsaved edits are discarded only after a confirmation naming them.
    first_name = page.get_by_label("First name")
    await first_name.fill("Rosalind")
    await page.get_by_role("button", name="Discard changes").click()
    await cancel(page, "Discard your changes?")
    await expect(first_name).to_have_value("Rosalind")
    await page.get_by_role("button", name="Discard changes").click()
    await confirm(page, "Discard your changes?", "unsaved edits of firstName", "Discard changes")
    await expect(page.get_by_label("First name")).to_have_value("Rosa")

    # Grant ADMIN; revoking it asks first (cancel keeps it), then revokes.
    roles = page.get_by_role("region", name="Roles")
    await roles.get_by_label("Role to grant").fill("admin")
    await roles.get_by_role("button", name="Grant role").click()
    await expect(page.get_by_role("status").filter(has_text="Granted ADMIN.")).to_be_visible()
    await expect(
        page.get_by_text("Effective roles (direct and through groups): ADMIN")
    ).to_be_visible()
    await shoot(page, shots, "user-roles")
    revoke = page.get_by_role("button", name="Revoke ADMIN from rosa@example.com")
    await revoke.click()
    await cancel(page, "Revoke ADMIN?")
    data = await graphql(live, "query($id: ID!) { user(id: $id) { roles } }", id=user_id)
    assert data["user"] == {"roles": ["ADMIN"]}
    await revoke.click()
    await confirm(page, "Revoke ADMIN?", "rosa@example.com loses ADMIN at once", "Revoke ADMIN")
    await expect(page.get_by_role("status").filter(has_text="Revoked ADMIN.")).to_be_visible()
    data = await graphql(live, "query($id: ID!) { user(id: $id) { roles } }", id=user_id)
    assert data["user"] == {"roles": []}

    # Delete: the dialog says what happens; then the page offers the restore.
    await page.get_by_role("button", name="Delete user").click()
    await confirm(page, "Delete rosa@example.com?", "can restore it", "Delete user")
    await expect(
        page.get_by_role("status").filter(has_text="Deleted rosa@example.com")
    ).to_be_visible()
    data = await graphql(live, "query($id: ID!) { user(id: $id) { id } }", id=user_id)
    assert data["user"] is None
    await page.get_by_role("button", name="Restore user").click()
    await expect(
        page.get_by_role("status").filter(has_text="Restored rosa@example.com.")
    ).to_be_visible()
    await expect(page.get_by_role("heading", name="rosa@example.com")).to_be_visible()

    # Deleted again, it is listed with "Show deleted" and restored from the list.
    await page.get_by_role("button", name="Delete user").click()
    await confirm(page, "Delete rosa@example.com?", "soft-deleted", "Delete user")
    await page.get_by_role("link", name="Users", exact=True).click()
    await expect(page.get_by_role("link", name="rosa@example.com")).to_have_count(0)
    await page.get_by_label("Show deleted").check()
    await page.get_by_role("button", name="Apply").click()
    row = page.get_by_role("row").filter(has_text="rosa@example.com")
    await expect(row).to_contain_text("deleted")
    await row.get_by_role("button", name="Restore rosa@example.com").click()
    await expect(
        page.get_by_role("status").filter(has_text="Restored rosa@example.com.")
    ).to_be_visible()
    await expect(page.get_by_role("link", name="rosa@example.com")).to_be_visible()
    data = await graphql(live, "query($id: ID!) { user(id: $id) { loginId } }", id=user_id)
    assert data["user"] == {"loginId": "rosa@example.com"}


async def test_emergency_lock_holds_against_the_idp_and_unlock_applies_its_value(
    live: Live, page: Page
) -> None:
    await use_okta(live)
    raw = await scim_create(live, "eve@example.com", "00u-eve")
    data = await graphql(live, '{ user(loginId: "eve@example.com") { id } }')
    await page.goto(f"{live.base}/console/#/users/{data['user']['id']}")
    await expect(page.get_by_role("heading", name="eve@example.com")).to_be_visible()
    await expect(page.locator("#emergency-lock")).to_have_count(0)
    await expect(page.get_by_text("with a reason locks it")).to_be_visible()

    # Deactivate with a reason: an emergency lock (rule 17), shown with who set it.
    await page.get_by_label("Reason (audited)").fill("laptop stolen")
    await page.get_by_role("button", name="Deactivate").click()
    lock = page.locator("#emergency-lock")
    await expect(lock).to_contain_text("laptop stolen — set by owner@example.com")
    await expect(lock).to_contain_text("The IdP wants this user active.")

    # The IdP's syncs change what it wants; the user stays inactive and SCIM reads back the
    # IdP's own value, so the IdP does not loop.
    async def idp_sends(active: bool) -> None:
        patch = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": active}],
        }
        async with httpx.AsyncClient(base_url=live.base, timeout=10) as client:
            answer = await client.patch(
                f"/scim/v2/Users/{raw}", json=patch, headers=live.scim_headers()
            )
        assert answer.status_code == 200, answer.text
        assert answer.json()["active"] is active

    await idp_sends(False)
    await page.reload()
    await expect(lock).to_contain_text("The IdP wants this user inactive.")
    await idp_sends(True)
    await page.reload()
    await expect(lock).to_contain_text("The IdP wants this user active.")
    data = await graphql(live, '{ user(loginId: "eve@example.com") { status } }')
    assert data["user"] == {"status": "INACTIVE"}

    # Unlock asks first, then applies the IdP's value.
    await page.get_by_role("button", name="Unlock").click()
    await cancel(page, "Unlock eve@example.com?")
    await page.get_by_role("button", name="Unlock").click()
    await confirm(page, "Unlock eve@example.com?", "the user becomes ACTIVE", "Unlock")
    await expect(
        page.get_by_role("status").filter(has_text="Unlocked; status is now ACTIVE.")
    ).to_be_visible()
    await expect(lock).to_have_count(0)
    data = await graphql(
        live, '{ user(loginId: "eve@example.com") { status emergencyLock { reason } } }'
    )
    assert data["user"] == {"status": "ACTIVE", "emergencyLock": None}


async def test_convert_one_user_to_local_after_a_dry_run(live: Live, page: Page) -> None:
    await use_okta(live)
    raw = await scim_create(live, "tim@example.com", "00u-tim")
    data = await graphql(live, '{ user(loginId: "tim@example.com") { id authProvider } }')
    assert data["user"]["authProvider"] == "OKTA"
    await page.goto(f"{live.base}/console/#/users/{data['user']['id']}")
    await expect(page.get_by_role("heading", name="tim@example.com")).to_be_visible()
    await expect(page.get_by_role("button", name="Delete user")).to_have_count(0)

    # The dry run reports first; cancelling the dialog changes nothing.
    await page.get_by_role("button", name="Convert to local…").click()
    report = page.locator("#convert-report")
    await expect(report).to_contain_text("Dry run: 1 user(s) and 0 group(s) would be converted")
    await expect(report.get_by_role("row").filter(has_text="tim@example.com")).to_contain_text(
        "becomes LOCAL"
    )
    await cancel(page, "Convert tim@example.com to LOCAL?")
    data = await graphql(live, '{ user(loginId: "tim@example.com") { authProvider } }')
    assert data["user"] == {"authProvider": "OKTA"}

    await page.get_by_role("button", name="Convert to local…").click()
    await confirm(
        page, "Convert tim@example.com to LOCAL?", "OKTA stops owning", "Convert to local"
    )
    await expect(
        page.get_by_role("status").filter(has_text="Converted tim@example.com")
    ).to_be_visible()
    await expect(page.locator(".meta .badge").first).to_have_text("LOCAL")
    await expect(page.get_by_label("First name")).to_be_editable()
    data = await graphql(live, '{ user(loginId: "tim@example.com") { authProvider databaseId } }')
    assert data["user"] == {"authProvider": "LOCAL", "databaseId": raw}


async def test_groups_roles_members_and_delete(live: Live, page: Page, shots: Path) -> None:
    await create_local_user(live, "mia@example.com", "Mia")
    await page.get_by_role("link", name="Groups").click()
    await page.get_by_label("Name", exact=True).fill("Auditors")
    await page.get_by_role("button", name="Create group").click()
    await expect(page.get_by_role("heading", name="Auditors")).to_be_visible()

    # Roles on the group; members added by login and removed after a confirmation.
    await page.get_by_label("Role to grant").fill("VIEWER")
    await page.get_by_role("button", name="Grant role").click()
    await expect(page.get_by_role("status").filter(has_text="Granted VIEWER.")).to_be_visible()
    await page.get_by_label("Login of the user to add").fill("mia@example.com")
    await page.get_by_role("button", name="Add member").click()
    await expect(
        page.get_by_role("status").filter(has_text="Added mia@example.com.")
    ).to_be_visible()
    members = page.get_by_role("table", name=re.compile("Members"))
    await expect(members.get_by_role("link", name="mia@example.com")).to_be_visible()
    data = await graphql(
        live, '{ user(loginId: "mia@example.com") { effectiveRoles groups { totalCount } } }'
    )
    assert data["user"] == {"effectiveRoles": ["VIEWER"], "groups": {"totalCount": 1}}
    await page.get_by_label("Login of the user to add").fill("nobody@example.com")
    await page.get_by_role("button", name="Add member").click()
    await expect(page.get_by_role("alert")).to_contain_text(
        "No user has the login nobody@example.com."
    )
    await shoot(page, shots, "group")
    await page.get_by_role("button", name="Remove mia@example.com from Auditors").click()
    await confirm(page, "Remove mia@example.com?", "loses the roles", "Remove member")
    await expect(members).to_contain_text("No members.")

    # Deleting the group says what it ends, then goes back to the list.
    await page.get_by_role("button", name="Delete group").click()
    await confirm(page, "Delete Auditors?", "cannot be restored", "Delete group")
    await expect(page.get_by_role("heading", name="Groups", exact=True)).to_be_visible()
    await expect(page.get_by_role("link", name="Auditors")).to_have_count(0)

    # An IdP-owned group: members read-only with the reason; roles still grantable.
    await use_okta(live)
    group_id = await scim_post(
        live,
        "Groups",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Okta Engineers",
            "externalId": "00g-eng",
        },
    )
    await page.reload()
    await page.get_by_role("link", name="Okta Engineers").click()
    await expect(page.get_by_role("heading", name="Okta Engineers")).to_be_visible()
    await expect(page.locator("#group-readonly")).to_contain_text(
        "Owned by OKTA: its name and members are read-only here because OKTA pushes them"
    )
    await expect(page.get_by_label("Login of the user to add")).to_have_count(0)
    await expect(page.get_by_role("button", name="Delete group")).to_have_count(0)
    await page.get_by_label("Role to grant").fill("ADMIN")
    await page.get_by_role("button", name="Grant role").click()
    await expect(page.get_by_role("status").filter(has_text="Granted ADMIN.")).to_be_visible()
    data = await graphql(
        live, '{ groups(filter: {search: "Okta Engineers"}) { nodes { id roles databaseId } } }'
    )
    assert [(g["roles"], g["databaseId"]) for g in data["groups"]["nodes"]] == [
        (["ADMIN"], group_id)
    ]


async def test_admin_api_tokens_create_copy_and_revoke(live: Live, page: Page, shots: Path) -> None:
    await page.get_by_role("link", name="API tokens").click()
    await expect(page.get_by_role("heading", name="Admin API tokens")).to_be_visible()
    tokens = page.get_by_role("table")
    # The owner's token, named by its admin's login (not an id).
    await expect(tokens.get_by_role("row").nth(1)).to_contain_text("owner@example.com")

    await page.get_by_label("Token name").fill("ci-deploy")
    await expect(page.get_by_label("For admin (login)")).to_have_value("owner@example.com")
    ttl = page.get_by_label("Lifetime (days)")
    await expect(ttl).to_have_value("90")
    await expect(ttl).to_have_attribute("max", "365")
    await ttl.fill("30")
    await page.get_by_role("button", name="Create token").click()
    await expect(
        page.get_by_role("status").filter(has_text="Created ci-deploy for owner@example.com")
    ).to_be_visible()
    secret = await page.get_by_label("Token secret").input_value()
    assert secret.startswith("rat_") or len(secret) > 20, secret
    await expect(page.get_by_text("it is shown only once")).to_be_visible()
    await page.get_by_role("button", name="Copy secret").click()
    await expect(page.locator("#api-token-copied")).to_have_text("Copied.")
    assert await page.evaluate("navigator.clipboard.readText()") == secret
    row = tokens.get_by_role("row").filter(has_text="ci-deploy")
    await expect(row).to_contain_text("ACTIVE")
    await shoot(page, shots, "api-tokens")
    data = await graphql(live, "{ apiTokens { name expiresAt createdAt } }")
    made = [t for t in data["apiTokens"] if t["name"] == "ci-deploy"]
    assert len(made) == 1

    # A user holding no admin role: the API's refusal shows inline.
    await create_local_user(live, "noadmin@example.com", "No")
    await page.get_by_label("Token name").fill("nope")
    await page.get_by_label("For admin (login)").fill("noadmin@example.com")
    await page.get_by_role("button", name="Create token").click()
    await expect(page.get_by_role("alert")).to_contain_text("holds no admin role")

    # Revoking asks first and states the consequence.
    await row.get_by_role("button", name=re.compile("Revoke token ci-deploy")).click()
    await confirm(page, "Revoke token ci-deploy?", "stops working at once", "Revoke token")
    await expect(page.get_by_role("status").filter(has_text="Revoked ci-deploy.")).to_be_visible()
    await expect(tokens.get_by_role("row").filter(has_text="ci-deploy")).to_contain_text("REVOKED")
    async with httpx.AsyncClient(base_url=live.base, timeout=10) as client:
        answer = await client.post(
            "/graphql",
            json={"query": "{ viewer { loginId } }"},
            headers={"Authorization": f"Bearer {secret}"},
        )
    assert answer.status_code == 401


async def test_profile_editor_priority_status_and_custom_attributes(
    live: Live, page: Page, shots: Path
) -> None:
    await page.get_by_role("link", name="Profile Editor").click()
    await expect(page.get_by_role("heading", name="Profile Editor")).to_be_visible()
    attrs = page.get_by_role("table")
    await expect(attrs.get_by_role("row").filter(has_text="costCenter")).to_contain_text("IdP")

    # Source priority and status of a built-in attribute.
    await page.get_by_role("button", name="Edit costCenter").click()
    await page.get_by_label("Source priority").select_option("INHERIT_FROM_LOCAL")
    await page.get_by_label("Status").select_option("HIDDEN")
    await page.get_by_role("button", name="Save attribute").click()
    await expect(page.get_by_role("status").filter(has_text="Saved costCenter.")).to_be_visible()
    row = attrs.get_by_role("row").filter(has_text="costCenter")
    await expect(row).to_contain_text("Local")
    await expect(row).to_contain_text("Hidden")
    data = await graphql(live, "{ profileAttributes { name sourcePriority status } }")
    assert {
        "name": "costCenter",
        "sourcePriority": "INHERIT_FROM_LOCAL",
        "status": "HIDDEN",
    } in data["profileAttributes"]

    # The API's refusal inline: loginId is always visible.
    await page.get_by_role("button", name="Edit loginId").click()
    await page.get_by_label("Status").select_option("HIDDEN")
    await page.get_by_role("button", name="Save attribute").click()
    await expect(page.locator("#attr-editor-status [role=alert]")).to_contain_text("INVALID_VALUE")
    await expect(page.get_by_label("Status")).to_have_attribute("aria-invalid", "true")

    # A custom attribute: created, a duplicate refused inline, edited, deleted after a dialog.
    await page.get_by_label("Variable name").fill("badgeNumber")
    await page.get_by_label("Label", exact=True).last.fill("Badge number")
    await page.get_by_label("Datatype").select_option("NUMBER")
    await page.get_by_role("button", name="Create attribute").click()
    await expect(page.get_by_role("status").filter(has_text="Created badgeNumber.")).to_be_visible()
    await expect(attrs.get_by_role("row").filter(has_text="badgeNumber")).to_contain_text("custom")
    await page.get_by_label("Variable name").fill("badgeNumber")
    await page.get_by_label("Label", exact=True).last.fill("Again")
    await page.get_by_role("button", name="Create attribute").click()
    await expect(page.locator("#new-attr-status [role=alert]")).to_contain_text("ALREADY_EXISTS")
    await expect(page.get_by_label("Variable name")).to_have_attribute("aria-invalid", "true")

    editor = page.locator("#attr-editor")
    await expect(editor.get_by_role("heading")).to_have_text("Edit Badge number (badgeNumber)")
    await editor.get_by_label("Description").fill("The number on the door badge")
    await editor.get_by_role("button", name="Save attribute").click()
    await expect(page.get_by_role("status").filter(has_text="Saved badgeNumber.")).to_be_visible()
    await shoot(page, shots, "profile-editor")
    await editor.get_by_role("button", name="Delete attribute…").click()
    await confirm(
        page, "Delete Badge number?", "every user's value of it is deleted", "Delete attribute"
    )
    await expect(page.get_by_role("status").filter(has_text="Deleted badgeNumber.")).to_be_visible()
    await expect(attrs.get_by_role("row").filter(has_text="badgeNumber")).to_have_count(0)
    data = await graphql(live, "{ profileAttributes { name } }")
    assert "badgeNumber" not in [a["name"] for a in data["profileAttributes"]]


async def test_provisioning_events_and_audit_show_names(
    live: Live, page: Page, shots: Path
) -> None:
    await use_okta(live)
    await page.get_by_role("link", name="Provisioning").click()
    await expect(page.get_by_role("heading", name="Provisioning")).to_be_visible()

    # A new SCIM token shown once; a write with it is announced live, with the user's name.
    await page.get_by_label("Name (e.g. the IdP)").fill("okta-2")
    await page.get_by_role("button", name="Create token").click()
    secret = await page.get_by_label("Token secret").input_value()
    assert secret.startswith("rsc_")
    await expect(page.get_by_text("it is shown only once")).to_be_visible()
    await wait_until_live(page)
    await scim_create(live, "lin@example.com", "00u-lin", token=secret)
    await expect(page.locator("#events-live")).to_have_text(
        "POST User lin@example.com: SUCCESS (201).", timeout=15_000
    )

    # Reloaded, the event log names the user and the token (one batched query, not ids).
    await page.reload()
    events = page.get_by_role("table", name=re.compile("Provisioning events"))
    row = events.get_by_role("row").filter(has=page.get_by_role("link", name="lin@example.com"))
    await expect(row).to_contain_text("okta-2")
    await expect(row).not_to_contain_text("00u-lin")
    await shoot(page, shots, "provisioning")

    # The audit log names actor and target.
    await page.get_by_role("link", name="Audit log").click()
    audit = page.get_by_role("table")
    entry = audit.get_by_role("row").filter(has_text="scimToken.create").first
    await expect(entry).to_contain_text("owner@example.com")
    await expect(entry).to_contain_text("okta-2")
    created = (
        audit.get_by_role("row").filter(has_text="user.create").filter(has_text="lin@example.com")
    )
    await expect(created.get_by_role("link", name="lin@example.com")).to_be_visible()
    await shoot(page, shots, "audit")


async def seed_week_of_writes(database: Database, name: str) -> None:
    """A week of an IdP's hourly syncs for token ``name``, as the workers' flushes record it:
    busier in working hours, a burst of failures two days ago."""
    async with database.transaction() as tx:
        token = await tx.fetchval("SELECT id FROM scim_tokens WHERE name = :n", {"n": name})
        now = int(time.time()) // 3600 * 3600
        batch = UsageBatch()
        for back in range(1, 7 * 24):
            hour = now - back * 3600
            writes = 4 + (hour // 3600 % 24 in range(7, 19)) * 20 + back % 5
            errors = 12 if back in (47, 48) else back % 23 == 0
            batch.counts[(token, hour)] = [writes + 2, int(errors), writes, int(errors)]
        await record_usage(tx, batch)


async def test_provisioning_health_chart_and_expiring_token_banner(
    live: Live, page: Page, shots: Path, database: Database
) -> None:
    async with database.transaction() as tx:
        await issue_scim_token(tx, name="entra-old", ttl_days=5, max_active=5)
    await seed_week_of_writes(database, "okta-e2e")
    # The IdP's "Test connection" (a lookup of a random userName) and a lookup that fails.
    async with httpx.AsyncClient(base_url=live.base, timeout=10) as client:
        probe = 'userName eq "5d0f3a9e-8c41-4b7e-9a2f-61c3d7e0b4a8"'
        found = await client.get(
            "/scim/v2/Users", params={"filter": probe}, headers=live.scim_headers()
        )
        assert found.json()["totalResults"] == 0
        missing = await client.get("/scim/v2/Users/gone", headers=live.scim_headers())
        assert missing.status_code == 404
    query = (
        "{ provisioning { health { connectionTestedAt } tokens { name lastError { detail } } } }"
    )
    for _ in range(60):  # the server adds what it counted every half second
        # The probe and the 404 may land in two flushes: wait for both, or the page can load
        # between them and show no last error (a CI run saw that).
        seen = (await graphql(live, query))["provisioning"]
        errors = [t["lastError"] for t in seen["tokens"] if t["name"] == "okta-e2e"]
        if seen["health"]["connectionTestedAt"] and errors and errors[0]:
            break
        await asyncio.sleep(0.25)

    # Every page shows the banner while a token expires within 14 days.
    await page.get_by_role("link", name="Groups").click()
    banner = page.locator("#banners").get_by_role("status")
    await expect(banner).to_contain_text("SCIM token entra-old")
    await expect(banner).to_contain_text("give it to the IdP before then")
    await shoot(page, shots, "banner-token-expiry")

    await banner.get_by_role("link", name="Create a new token").click()
    health = page.get_by_role("table", name=re.compile("Token health"))
    okta = health.get_by_role("row").filter(has_text="okta-e2e")
    await expect(okta).to_contain_text("404: no user with id 'gone'")
    await expect(okta).not_to_contain_text("not seen")
    old = health.get_by_role("row").filter(has_text="entra-old")
    await expect(old).to_contain_text("expires soon")
    await expect(old).to_contain_text("not seen")
    chart = page.get_by_role("img", name="SCIM writes per hour, last 7 days")
    await expect(chart).to_be_visible()
    # One bar per hour with writes: the seeded 167 past hours, and this hour's if earlier
    # tests of the module wrote through SCIM.
    assert await page.locator("#writes-chart g.hour").count() in (7 * 24 - 1, 7 * 24)
    assert await page.locator("#writes-chart rect.errors").count() > 2
    caption = page.locator("figure.chart figcaption")
    await expect(caption).to_contain_text(
        re.compile(r"\d+ SCIM writes in the last 7 days, \d+ failed")
    )
    section = page.locator("section[aria-labelledby=health-title]")
    await section.scroll_into_view_if_needed()
    await section.screenshot(path=str(shots / "provisioning-health.png"))


GUARD_SETTINGS = """mutation($i: UpdateDeprovisioningGuardInput!) {
  updateDeprovisioningGuard(input: $i) { guard { state threshold } userErrors { code } } }"""


async def scim_deactivate(live: Live, user_id: str) -> httpx.Response:
    """PATCH active=false as Okta sends it."""
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": False}}],
    }
    async with httpx.AsyncClient(base_url=live.base, timeout=10) as client:
        return await client.patch(
            f"/scim/v2/Users/{user_id}", json=body, headers=live.scim_headers()
        )


async def test_guard_banner_and_held_writes_release_and_discard(
    live: Live, page: Page, shots: Path
) -> None:
    await use_okta(live)
    data = await graphql(live, GUARD_SETTINGS, i={"enabled": True, "percent": 1, "minimum": 2})
    assert data["updateDeprovisioningGuard"]["userErrors"] == []
    logins = [f"leaver{i}@example.com" for i in range(5)]
    ids = [await scim_create(live, login, f"00u-leaver{i}") for i, login in enumerate(logins)]
    for user_id in ids:  # the IdP never sees an error, held or not
        assert (await scim_deactivate(live, user_id)).status_code == 200
    data = await graphql(
        live,
        "{ provisioning { guard { state heldCount } heldWrites(first: 10) { nodes {"
        " kind user { loginId } } } } }",
    )
    guard, held = data["provisioning"]["guard"], data["provisioning"]["heldWrites"]["nodes"]
    assert guard["state"] == "TRIPPED"
    held_logins = [w["user"]["loginId"] for w in held]
    assert guard["heldCount"] == len(held) >= 3
    assert held_logins == logins[-len(held) :]  # the writes beyond the threshold, in order
    assert {w["kind"] for w in held} == {"DEACTIVATE_USER"}

    # Every page carries the alert; it leads to the review page.
    await page.get_by_role("link", name="Groups").click()
    banner = page.locator("#guard-banner")
    await expect(banner).to_contain_text("The deprovisioning guard has tripped")
    await expect(banner).to_contain_text(f"{len(held)} destructive IdP write(s) are held")
    await banner.get_by_role("link", name="Review held writes").click()
    await expect(page.get_by_role("heading", name="Held writes")).to_be_visible()
    await expect(page.locator("#guard-state")).to_have_text("TRIPPED")
    table = page.get_by_role("table", name=re.compile("Held writes, in the order"))
    await expect(table.get_by_role("row")).to_have_count(len(held) + 1)
    await shoot(page, shots, "held-writes")

    # Release one: a dialog says what it does; cancel changes nothing.
    first = held_logins[0]
    await page.get_by_role("checkbox", name=f"Select: Deactivate user {first}").check()
    await page.get_by_role("button", name="Release selected").click()
    await cancel(page, "Release 1 held write(s)?")
    assert (await graphql(live, "{ provisioning { guard { heldCount } } }"))["provisioning"][
        "guard"
    ]["heldCount"] == len(held)
    await page.get_by_role("button", name="Release selected").click()
    await confirm(page, "Release 1 held write(s)?", "1 deactivation(s)", "Release")
    await expect(page.locator("#held-status")).to_contain_text(
        "Released: 1 applied, 0 not applied."
    )
    await expect(table.get_by_role("row")).to_have_count(len(held))

    # Discard the rest: typed confirmation.
    await page.get_by_role("button", name="Discard all").click()
    dialog = page.get_by_role("dialog", name="Discard every held write?")
    await expect(dialog).to_contain_text("dropped and never applied")
    await dialog.get_by_label("Type DISCARD to confirm").fill("DISCARD")
    await dialog.get_by_role("button", name="Discard").click()
    await expect(page.locator("#held-status")).to_contain_text(
        f"Discarded {len(held) - 1} held write(s)."
    )
    await expect(page.locator("#guard-state")).to_have_text("ARMED")
    await expect(page.locator("#guard-banner")).to_have_count(0)

    query = "query($l: String!) { user(loginId: $l) { status } }"
    assert (await graphql(live, query, l=first))["user"]["status"] != "ACTIVE"
    for login in held_logins[1:]:
        assert (await graphql(live, query, l=login))["user"]["status"] == "ACTIVE"
    restored = await graphql(live, GUARD_SETTINGS, i={"percent": None, "minimum": None})
    assert restored["updateDeprovisioningGuard"]["userErrors"] == []


async def refresh_until(
    page: Page, done: Callable[[], Awaitable[bool]], seconds: float = 20
) -> None:
    """Click the page's Refresh button until ``done()`` holds."""
    deadline = time.monotonic() + seconds
    while not await done():
        assert time.monotonic() < deadline, "timed out waiting for the delivery log"
        await asyncio.sleep(0.3)
        await page.get_by_role("button", name="Refresh", exact=True).click()


async def at_least(rows: Locator, count: int) -> bool:
    """The locator finds ``count`` elements or more."""
    return await rows.count() >= count


async def shows(element: Locator, text: str) -> bool:
    """The element's text contains ``text``."""
    return text in await element.inner_text()


async def test_webhook_endpoint_log_failing_banner_redeliver_rotate_delete(
    live: Live, page: Page, shots: Path, database: Database, browser: Browser
) -> None:
    receiver = await Receiver(plan=lambda n, path: 503 if n == 0 else 200).start()  # one retry
    sent = receiver.seen
    try:
        await page.get_by_role("link", name="Webhooks").click()
        await expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
        await expect(page.get_by_text("No webhook endpoints.")).to_be_visible()
        url = receiver.url("/roster")
        await page.get_by_label("URL", exact=True).fill(url)
        await page.get_by_label("Description").fill("HR sync")
        types = page.get_by_role("group", name=re.compile("Event types"))
        await expect(types.get_by_role("checkbox")).to_have_count(16)  # the EventType enum
        await types.get_by_label("user.created").check()
        await page.get_by_role("button", name="Create endpoint").click()
        await expect(
            page.get_by_role("status").filter(has_text=f"Created the webhook endpoint {url}")
        ).to_be_visible()
        secret = await page.get_by_label("Signing secret").input_value()
        assert secret.startswith("whsec_"), secret
        await expect(page.get_by_text("it is shown only once")).to_be_visible()
        await page.get_by_role("button", name="Copy secret").click()
        await expect(page.locator("#webhook-secret-copied")).to_have_text("Copied.")
        assert await page.evaluate("navigator.clipboard.readText()") == secret
        row = page.get_by_role("table").get_by_role("row").filter(has_text=url)
        await expect(row).to_contain_text("user.created")
        await expect(row).to_contain_text("ACTIVE")
        await shoot(page, shots, "webhooks")

        # A change is delivered, signed with the secret, and shows in the endpoint's log.
        await create_local_user(live, "hooked1@example.com", "Hooked")
        await create_local_user(live, "hooked2@example.com", "Hooked")
        await receiver.wait_for(lambda: len([r for r in sent if r.status == 200]) == 2)
        first, second = sorted((r.event for r in sent[1:]), key=lambda e: int(e["seq"]))
        assert all(verify(secret, r.headers, r.body) for r in sent)
        assert first["type"] == second["type"] == "user.created"
        await row.get_by_role("link", name=url).click()
        await expect(page.get_by_role("heading", name=url)).to_be_visible()
        log = page.get_by_role("table", name=re.compile("Delivery attempts"))
        attempts = log.get_by_role("row").filter(has_text='{"ok": true}')
        await refresh_until(page, lambda: at_least(attempts, 3))  # 503, then 200 twice
        await expect(attempts.filter(has_text="503")).to_have_count(1)
        seq = str(first["seq"])
        await expect(log.get_by_role("row").filter(has_text=seq).first).to_contain_text("200")

        # One event again: confirmed first; the receiver gets it with the same webhook-id.
        await log.get_by_role("button", name=f"Redeliver event {seq}").first.click()
        await confirm(page, f"Redeliver event {seq}?", "same webhook-id", "Redeliver")
        await expect(page.locator("#webhook-status")).to_contain_text(
            f"Scheduled 1 redelivery(ies) of event {seq}."
        )
        await receiver.wait_for(lambda: len(sent) >= 4)
        assert sent[3].headers["webhook-id"] == first["id"]

        # Marked FAILING (as 24 hours of failures do): every page says so until a success.
        async with database.transaction() as tx:
            [endpoint] = await webhook_store.list_endpoints(tx)
            failing = EndpointState.FAILING
            await webhook_store.set_endpoint_state(
                tx, endpoint.id, failing, now_iso(), success=False
            )
        await page.get_by_role("link", name="Users").click()
        banner = page.get_by_role("alert").filter(has_text=f"Webhook endpoint {url} is failing")
        await expect(banner).to_be_visible()
        await banner.get_by_role("link", name="Open its delivery log").click()
        await expect(page.locator("#webhook-state")).to_contain_text("FAILING since")
        await page.get_by_label("From sequence").fill(seq)
        await page.get_by_label("To sequence").fill(str(second["seq"]))
        await shoot(page, shots, "webhook-log")
        await page.get_by_role("button", name="Redeliver", exact=True).click()
        await confirm(page, f"Redeliver events {seq} to {second['seq']}?", "in order", "Redeliver")
        await expect(page.locator("#webhook-status")).to_contain_text("Scheduled 2 redelivery(ies)")
        await receiver.wait_for(lambda: len(sent) >= 6)
        state = page.locator("#webhook-state")
        await refresh_until(page, lambda: shows(state, "ACTIVE"))
        await expect(banner).to_have_count(0)

        # Rotate: confirmed, the new secret shown once; both secrets sign for the overlap.
        await page.get_by_role("button", name=f"Rotate the secret of {url}").click()
        await confirm(
            page, f"Rotate the secret of {url}?", "keeps signing beside it", "Rotate secret"
        )
        rotated = await page.get_by_label("Signing secret").input_value()
        assert rotated.startswith("whsec_") and rotated != secret
        await create_local_user(live, "hooked3@example.com", "Hooked")
        await receiver.wait_for(lambda: len(sent) >= 7)
        last = sent[6]
        assert verify(rotated, last.headers, last.body) and verify(secret, last.headers, last.body)

        # A VIEWER may not read endpoints (the API refuses it): the page says so, no controls.
        async with database.transaction() as tx:
            viewer = await issue_admin_token(tx, login_id="viewer@example.com", role="viewer")
        context = await browser.new_context(viewport=WIDE)
        other = await context.new_page()
        await sign_in(other, Live(live.base, live.scim, viewer, live.settings))
        await other.get_by_role("link", name="Webhooks").click()
        await expect(other.locator("#webhooks-viewer")).to_contain_text("a VIEWER token cannot")
        await expect(other.get_by_role("button", name="Create endpoint")).to_have_count(0)
        await context.close()

        # Disable, enable, delete (confirmed): the endpoint and its log are gone.
        await page.get_by_role("button", name=f"Disable {url}").click()
        await expect(page.locator("#webhook-status")).to_contain_text(f"Disabled {url}")
        await page.get_by_role("button", name=f"Enable {url}").click()
        await expect(page.locator("#webhook-status")).to_contain_text(f"Enabled {url}")
        await page.get_by_role("button", name=f"Delete {url}").click()
        await cancel(page, f"Delete webhook endpoint {url}?")
        await page.get_by_role("button", name=f"Delete {url}").click()
        await confirm(
            page, f"Delete webhook endpoint {url}?", "delivery log are deleted", "Delete endpoint"
        )
        await expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
        await expect(page.locator("#webhooks-status")).to_contain_text(
            f"Deleted the webhook endpoint {url}"
        )
        await expect(page.get_by_text("No webhook endpoints.")).to_be_visible()
        assert (await graphql(live, "{ webhookEndpoints { id } }"))["webhookEndpoints"] == []
    finally:
        await receiver.stop()


async def test_provisioning_revoke_and_typed_disable(live: Live, page: Page) -> None:
    """Runs last in the module: it revokes every SCIM token."""
    await page.get_by_role("link", name="Provisioning").click()
    tokens = page.get_by_role("table", name=re.compile("SCIM tokens"))
    await tokens.get_by_role("button", name=re.compile("Revoke token okta-e2e")).click()
    await cancel(page, "Revoke SCIM token okta-e2e?")
    async with httpx.AsyncClient(base_url=live.base, timeout=10) as client:
        answer = await client.get("/scim/v2/Users", headers=live.scim_headers())
    assert answer.status_code == 200
    await tokens.get_by_role("button", name=re.compile("Revoke token okta-e2e")).click()
    await confirm(page, "Revoke SCIM token okta-e2e?", "refused with 401", "Revoke token")
    await expect(tokens.get_by_role("row").filter(has_text="okta-e2e")).to_contain_text("REVOKED")
    async with httpx.AsyncClient(base_url=live.base, timeout=10) as client:
        answer = await client.get("/scim/v2/Users", headers=live.scim_headers())
    assert answer.status_code == 401

    # Disabling: the confirm button stays disabled until DISABLE is typed; cancel keeps it on.
    await page.get_by_role("button", name=re.compile("Disable provisioning")).click()
    dialog = page.get_by_role("dialog", name="Disable provisioning?")
    await expect(dialog).to_contain_text("Every SCIM token is revoked now")
    go = dialog.get_by_role("button", name="Disable provisioning")
    await expect(go).to_be_disabled()
    await dialog.get_by_label("Type DISABLE to confirm").fill("disable")
    await expect(go).to_be_disabled()
    await cancel(page, "Disable provisioning?")
    data = await graphql(live, "{ provisioning { enabled } }")
    assert data["provisioning"] == {"enabled": True}

    await page.get_by_role("button", name=re.compile("Disable provisioning")).click()
    await dialog.get_by_label("Type DISABLE to confirm").fill("DISABLE")
    await go.click()
    await expect(dialog).to_have_count(0)
    await expect(page.locator("#provisioning-enabled")).to_have_text("Disabled")
    await expect(
        page.get_by_role("status").filter(has_text="Provisioning disabled")
    ).to_be_visible()
    data = await graphql(live, "{ provisioning { enabled tokens { state } } }")
    assert data["provisioning"]["enabled"] is False
    assert {t["state"] for t in data["provisioning"]["tokens"]} == {"REVOKED"}
