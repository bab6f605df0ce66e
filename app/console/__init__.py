"""The admin console: static HTML, CSS and ES modules at /console that use only /graphql.

Nothing is built and nothing is fetched from elsewhere at run time. The page keeps the admin
token the user pastes in sessionStorage, so the responses forbid framing, inline script and
any other origin (Content-Security-Policy) to keep a token-bearing page small to attack.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC = Path(__file__).parent / "static"

HEADERS = (
    (
        b"content-security-policy",
        b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
        b" connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-cache"),
)


class _SecurityHeaders:
    """Adds the console's response headers to every answer of the wrapped app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _to_console(request: Request) -> Response:
    return RedirectResponse("/console/", status_code=307)


def console_routes() -> list[BaseRoute]:
    """``/`` and ``/console`` redirect to ``/console/``, which serves the static console."""
    files = _SecurityHeaders(StaticFiles(directory=STATIC, html=True))
    return [
        Route("/", _to_console, methods=["GET", "HEAD"]),
        Route("/console", _to_console, methods=["GET", "HEAD"]),
        Mount("/console", app=files, name="console"),
    ]
