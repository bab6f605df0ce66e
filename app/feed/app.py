"""``GET /events?after=SEQ&limit=N&types=a,b&wait=S``: the outbox in order, long polling.

Authentication is an admin API token (``Authorization: Bearer``) of any admin role; a service
that only reads the feed gets a token of its own user holding VIEWER (docs/events.md). The
answer is ``{"events": [...], "next": SEQ}``: ``next`` is the cursor to send as ``after`` next
time (the last event's number; with none, the newest number looked at). With ``wait``
(seconds, at most 30) and nothing newer than ``after``, the request waits until an event
commits on any worker, then answers at once (app.db.wakeup); it answers with no events when
the wait runs out. Bad parameters are a 400 that names the parameter; a cursor older than what
retention kept (or past the newest event) is a 410, so a consumer learns it has missed events
instead of silently skipping them.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.db import Database
from app.db.wakeup import follow, wakeup
from app.domain.access.api_tokens import check_admin
from app.domain.access.tokens import note_token_use
from app.domain.outbox.store import events_after, latest_seq, oldest_seq
from app.domain.outbox.types import EVENT_TYPES
from app.domain.outbox.views import document
from app.domain.settings.catalogue import get_catalogue
from app.domain.users.visibility import hidden_from
from app.errors import DatabaseUnavailable, Forbidden, Unauthenticated
from app.feed.jwks import jwks_route

MAX_LIMIT = 1000
MAX_WAIT = 30.0
Doc = dict[str, Any]
_BEARER = {"WWW-Authenticate": 'Bearer realm="roster-admin"'}


class BadParameter(Exception):
    """A query parameter out of range; the message names it."""


def _int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadParameter(f"{name} must be an integer, not {raw[:40]!r}") from None
    if not low <= value <= high:
        raise BadParameter(f"{name} must be between {low} and {high}, not {value}")
    return value


def _types(request: Request) -> list[str]:
    raw = request.query_params.get("types") or ""
    types = [t.strip() for t in raw.split(",") if t.strip()]
    unknown = [t for t in types if t not in EVENT_TYPES]
    if unknown:
        raise BadParameter(
            f"types: unknown event type {unknown[0][:64]!r}; known: {', '.join(EVENT_TYPES)}"
        )
    return types


def _wait(request: Request) -> float:
    raw = request.query_params.get("wait")
    if raw is None or raw == "":
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        raise BadParameter(f"wait must be a number of seconds, not {raw[:40]!r}") from None
    if not 0 <= value <= MAX_WAIT:  # also refuses nan
        raise BadParameter(f"wait must be between 0 and {MAX_WAIT:g} seconds, not {raw[:40]}")
    return value


def _error(status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"status": status, "detail": detail}, status, headers=headers)


class Feed:
    """The endpoint over one Database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def _read(
        self, after: int, limit: int, types: list[str], hidden: frozenset[str]
    ) -> tuple[list[Doc], int]:
        """The events after ``after`` and the cursor to send next. ``latest`` is read first:
        the events read after it see at least as much, so with none matching, every event up
        to ``latest`` has been looked at and the cursor may move there."""
        async with self.db.transaction(write=False) as tx:
            latest = await latest_seq(tx)
            events = await events_after(tx, after, limit, types)
            if after:
                oldest = await oldest_seq(tx)
                if after > latest or oldest > after + 1:
                    raise Gone(after, oldest, latest)
        docs = [document(e, hidden) for e in events]
        return docs, (events[-1].seq if events else max(after, latest))

    async def endpoint(self, request: Request) -> Response:
        scheme, _, secret = (request.headers.get("authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return _error(401, "an admin API token is required (Bearer)", _BEARER)
        try:
            after = _int(request, "after", 0, 0, 2**62)
            limit = _int(request, "limit", 100, 1, MAX_LIMIT)
            types = _types(request)
            wait = _wait(request)
            async with self.db.transaction(write=False) as tx:
                login = await check_admin(tx, secret.strip())
                hidden = hidden_from(login.actor, await get_catalogue(tx))
            if login.use_due:  # once a minute per token, in a write transaction of its own
                async with self.db.transaction() as tx:
                    await note_token_use(tx, "api_tokens", login.token_id)
            return await self._answer(after, limit, types, wait, hidden)
        except (BadParameter, Gone, Unauthenticated, Forbidden, DatabaseUnavailable) as exc:
            status, headers = next(v for k, v in _STATUS.items() if isinstance(exc, k))
            return _error(status, getattr(exc, "message", None) or str(exc), headers)

    async def _answer(
        self, after: int, limit: int, types: list[str], wait: float, hidden: frozenset[str]
    ) -> Response:
        deadline = time.monotonic() + wait
        if wait:
            await follow(self.db, min(wait, 2.0))
        while True:
            generation = wakeup.generation
            events, next_seq = await self._read(after, limit, types, hidden)
            remaining = deadline - time.monotonic()
            if events or remaining <= 0:
                break
            if not await wakeup.wait_after(generation, remaining):
                events, next_seq = await self._read(after, limit, types, hidden)
                break
        return JSONResponse({"events": events, "next": next_seq})


class Gone(Exception):
    """The cursor points before the oldest event retention kept, or past the newest one."""

    def __init__(self, after: int, oldest: int, latest: int) -> None:
        if after > latest:
            text = (
                f"after={after} is past the newest event ({latest}): was the database"
                " restored or replaced? Resynchronise, then read from the newest event"
            )
        else:
            text = (
                f"events after {after} are no longer kept (the oldest is {oldest}; retention:"
                f" ROSTER_EVENT_RETENTION_DAYS): resynchronise, then read from after={oldest - 1}"
            )
        super().__init__(text)


_STATUS: dict[type[Exception], tuple[int, dict[str, str] | None]] = {
    BadParameter: (400, None),
    Unauthenticated: (401, _BEARER),
    Forbidden: (403, None),
    Gone: (410, None),
    DatabaseUnavailable: (503, {"Retry-After": "1"}),
}


def build_feed_app(db: Database) -> list[Route]:
    """The feed's routes (mounted by app.main): ``/events`` and the JWKS of its tokens."""
    feed = Feed(db)
    return [Route("/events", feed.endpoint, methods=["GET"]), jwks_route(db)]
