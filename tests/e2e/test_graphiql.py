"""GraphiQL at /graphql, served by Roster itself, in headless Chromium (Debian's) with every
request off the test server aborted: the page works offline and air-gapped."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, Route, expect

from tests.e2e.conftest import Live
from tests.e2e.test_console import CHROMIUM, browser

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"no {CHROMIUM} (apt-get install chromium)"
    ),
]
__all__ = ["browser"]  # the fixture, shared with the console's browser test

QUERY = "{ viewer { loginId roles } }"
UNAUTHORIZED = "Failed to load resource: the server responded with a status of 401 (Unauthorized)"


async def test_graphiql_runs_a_query_offline_with_the_token_in_session_storage(
    live: Live, browser: Browser
) -> None:
    page = await browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if msg.type == "error" else None,
    )
    requested: list[str] = []
    blocked: list[str] = []

    async def offline(route: Route) -> None:
        url = route.request.url
        requested.append(url)
        if url.startswith(live.base + "/"):
            await route.continue_()
        else:
            blocked.append(url)
            await route.abort("internetdisconnected")

    await page.route("**/*", offline)
    await page.goto(live.base + "/graphql")
    hint = page.locator(".roster-hint")
    await expect(hint).to_contain_text('{"Authorization": "Bearer <token>"}')
    await expect(page.locator(".graphiql-container")).to_be_visible(timeout=30_000)

    # The token goes into the headers editor, the query into the query editor; then run it.
    await page.get_by_role("button", name="Headers").click()
    await _type(page, ".graphiql-editor-tool .graphiql-editor:visible", _auth(live.admin))
    await _type(page, ".graphiql-query-editor .graphiql-editor", QUERY)
    await page.get_by_role("button", name="Execute query (Ctrl-Enter)").click()
    result = page.locator(".result-window")
    await expect(result).to_contain_text('"loginId": "owner@example.com"', timeout=15_000)
    text = await result.locator(".CodeMirror-code").inner_text()
    shown = json.loads(text.replace("\xa0", " "))  # CodeMirror indents with no-break spaces
    assert shown == {"data": {"viewer": {"loginId": "owner@example.com", "roles": ["OWNER"]}}}

    # The headers (and so the token) persist in sessionStorage only.
    local = await page.evaluate("JSON.stringify(Object.assign({}, window.localStorage))")
    session = await page.evaluate("JSON.stringify(Object.assign({}, window.sessionStorage))")
    assert live.admin not in local
    assert live.admin in session
    assert blocked == []  # nothing was even asked of another origin
    assert requested and all(url.startswith(live.base + "/") for url in requested)
    # The only errors: the schema fetches GraphiQL makes before the token is set (401), no
    # Content-Security-Policy violation, no script error.
    assert set(errors) <= {UNAUTHORIZED}, errors


async def test_graphiql_page_and_assets_headers(live: Live) -> None:
    async with httpx.AsyncClient(base_url=live.base, timeout=10) as client:
        page = await client.get("/graphql", headers={"Accept": "text/html"})
        assets = [await client.get(src) for src in _sources(page.text)]
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == (
        "default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self' data:;"
        " img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self';"
        " frame-ancestors 'none'"
    )
    assert "unpkg" not in page.text and "cdn" not in page.text.lower()
    assert [a.status_code for a in assets] == [200] * 6
    assert {a.headers["cache-control"] for a in assets} == {"public, max-age=31536000, immutable"}


def _sources(html: str) -> list[str]:
    """The script and stylesheet URLs of the page, in order."""
    return re.findall(r'(?:src|href)="(/graphiql/[^"]+)"', html)


def _auth(token: str) -> str:
    return json.dumps({"Authorization": f"Bearer {token}"})


async def _type(page: Page, selector: str, text: str) -> None:
    """Replace a CodeMirror editor's text as a user would: select all, then type."""
    editor = page.locator(selector).first
    await editor.click()
    await page.keyboard.press("Control+A")
    await page.keyboard.press("Delete")
    await page.keyboard.insert_text(text)
