"""The SCIM router: a plain ASGI app that matches /scim/v2 paths to handlers.

It does what a Starlette sub-application with one Route per path did, without its layers of
middleware and regex routing, which cost about a fifth of a `GET /Users/{id}` (see
docs/performance.md). Behaviour is the same: naive base-URL joins (`/Users/`, `//Users`) are
answered directly, HEAD is GET, an unknown path is a SCIM 404 and an unknown method a SCIM 405
whose `Allow` lists every method of the path (RFC 9110 §15.5.6).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from app.scim.errors import ScimError, error_response
from app.scim.wire import MOUNT

log = logging.getLogger("roster.scim")

Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class _Path:
    """One path template: its handlers by method, and the name of its parameter, if any."""

    handlers: dict[str, Endpoint]
    param: str | None = None

    @property
    def allow(self) -> str:
        methods = set(self.handlers) | ({"HEAD"} if "GET" in self.handlers else set())
        return ", ".join(sorted(methods))


class ScimRouter:
    """Paths are `/<Resource>`, `/<Resource>/<item>` or, for `/Schemas`, `/<Resource>/<rest>`
    where the rest may hold slashes (a schema URN). Templates use `{name}` for the item and
    `{name:path}` for the rest."""

    def __init__(self, table: list[tuple[str, Endpoint, list[str]]]) -> None:
        self._exact: dict[str, _Path] = {}
        self._items: dict[str, _Path] = {}
        self._rests: dict[str, _Path] = {}
        for template, handler, methods in table:
            target = self._target(template)
            for method in methods:
                target.handlers[method] = handler

    def _target(self, template: str) -> _Path:
        head, brace, name = template.partition("/{")
        if not brace:
            return self._exact.setdefault(template, _Path({}))
        name = name.rstrip("}")
        if name.endswith(":path"):
            return self._rests.setdefault(head, _Path({}, name.removesuffix(":path")))
        return self._items.setdefault(head, _Path({}, name))

    def match(self, path: str) -> tuple[_Path, dict[str, str]] | None:
        """The path template and parameters of a route path (already cleaned)."""
        found = self._exact.get(path)
        if found is not None:
            return found, {}
        head, _, rest = path[1:].partition("/")
        if not rest or "\n" in rest:
            return None
        prefix = "/" + head
        found = self._rests.get(prefix)
        if found is not None and found.param is not None:
            return found, {found.param: rest}
        found = self._items.get(prefix)
        if found is not None and found.param is not None and "/" not in rest:
            return found, {found.param: rest}
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # no websockets under /scim/v2
            return
        try:
            response = await self._respond(scope, receive)
        except Exception as exc:  # the endpoints answer their own errors; this is a bug
            log.exception("SCIM routing failed", exc_info=exc)
            response = error_response(ScimError(500, "internal error"))
        await response(scope, receive, send)

    async def _respond(self, scope: Scope, receive: Receive) -> Response:
        path = scope["path"]
        found = self.match(_clean(_route_path(scope)))
        if found is None:
            return error_response(ScimError(404, f"no SCIM endpoint at {path}"))
        target, params = found
        method = scope["method"]
        handler = target.handlers.get("GET" if method == "HEAD" else method)
        if handler is None:
            err = ScimError(
                405, f"{method} is not allowed on {path}", headers={"Allow": target.allow}
            )
            return error_response(err)
        scope["path_params"] = params
        return await handler(Request(scope, receive))


def _route_path(scope: Scope) -> str:
    """The path below the mount: below ``root_path`` when a Starlette Mount set it (tests
    mount the router), else below /scim/v2 (app.main calls the router directly)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        return path[len(root) :] or "/"
    return path[len(MOUNT) :] if path.startswith(MOUNT) else path


def _clean(path: str) -> str:
    """IdPs join the base URL and the resource naively: `/Users/` and `//Users` mean `/Users`.

    Answering them directly (instead of a 307 that POST clients may not follow) keeps a base
    URL typed with a trailing slash working.
    """
    if "//" in path or (path.endswith("/") and len(path) > 1):
        return "/" + "/".join(p for p in path.split("/") if p)
    return path or "/"
