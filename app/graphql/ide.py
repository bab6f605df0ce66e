"""GraphiQL, served by Roster itself: no CDN at run time, so it works offline and air-gapped.

The assets (GraphiQL and React, vendored from the npm registry with their licences by
``scripts/vendor-graphiql.sh`` into ``static/graphiql/vendor/``; see
``static/graphiql/README.md``) and Roster's start-up files beside them are package data under
``/graphiql/<digest>/``: the digest of their content is in the path, so they are cached for a
year and a new release is a new URL. The page at ``GET /graphql`` (a browser's Accept) loads
only those, under a Content-Security-Policy that allows this origin alone (plus ``data:``
fonts and images, which GraphiQL's stylesheet embeds). Its start-up script keeps the headers
editor, and so the bearer token, in sessionStorage, never localStorage.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ASSETS = Path(__file__).parent / "static" / "graphiql"
PREFIX = "/graphiql"
# Roster's own files, and under vendor/ GraphiQL and React with their licences
_SERVED = ("*.js", "*.css", "vendor/*.js", "vendor/*.css", "vendor/LICENSE.*")

PAGE_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self' data:;"
        " img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self';"
        " frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cache-control": "no-cache",
}
_ASSET_HEADERS = (
    (b"cache-control", b"public, max-age=31536000, immutable"),
    (b"x-content-type-options", b"nosniff"),
)

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Roster GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{base}/vendor/graphiql.min.css">
<link rel="stylesheet" href="{base}/roster-graphiql.css">
</head>
<body>
<p class="roster-hint">Admin API token: open <b>Headers</b> and set
<code>{{"Authorization": "Bearer &lt;token&gt;"}}</code>. It stays in this tab only
(sessionStorage).</p>
<div id="graphiql">Loading GraphiQL...</div>
<script src="{base}/vendor/react.production.min.js"></script>
<script src="{base}/vendor/react-dom.production.min.js"></script>
<script src="{base}/vendor/graphiql.min.js"></script>
<script src="{base}/roster-graphiql.js"></script>
</body>
</html>
"""


@cache
def digest() -> str:
    """The first 12 hex digits of the SHA-256 of every served asset (read once)."""
    h = hashlib.sha256()
    for path in sorted(p for pattern in _SERVED for p in ASSETS.glob(pattern)):
        h.update(path.relative_to(ASSETS).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def asset_base() -> str:
    """The URL prefix of this release's assets."""
    return f"{PREFIX}/{digest()}"


def page() -> HTMLResponse:
    """The GraphiQL page, with its headers."""
    return HTMLResponse(_PAGE.format(base=asset_base()), headers=PAGE_HEADERS)


class _LongCache:
    """Adds a year's cache lifetime to every answer of the wrapped static files."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_cached(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                message["headers"] = [*message.get("headers", []), *_ASSET_HEADERS]
            await send(message)

        await self.app(scope, receive, send_cached)


def graphiql_routes() -> list[BaseRoute]:
    """``/graphiql/<digest>/``: the vendored assets and Roster's start-up script."""
    return [Mount(asset_base(), app=_LongCache(StaticFiles(directory=ASSETS)), name="graphiql")]
