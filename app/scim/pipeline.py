"""The life of one SCIM request: body, token, one transaction, provisioning event, errors.

Each request is one transaction (RFC 7644 writes are atomic); the token check runs inside it.
A successful write records its provisioning event in the same transaction; a failed write
rolls back and then records an ERROR event in a fresh one, so nothing else of it persists.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from app.db import Database, Tx
from app.domain.catalogue import Catalogue, get_catalogue
from app.domain.events import record_provisioning_event
from app.domain.tokens import ADMIN_PREFIX, ScimPrincipal, authenticate_scim
from app.domain.types import Actor
from app.errors import DatabaseUnavailable, RosterError
from app.scim.errors import (
    ScimError,
    error_response,
    from_domain,
    invalid_syntax,
    unauthorized,
    unexpected,
)
from app.scim.mapping import UserMapping, user_mapping
from app.scim.wire import base_url
from app.settings import Settings

_MEDIA = ("application/scim+json", "application/json")


@dataclass(slots=True)
class Call:
    """One request and what the handlers need around it."""

    request: Request
    settings: Settings
    db: Database
    request_id: str
    base: str
    started: float = field(default_factory=time.perf_counter)

    @property
    def params(self) -> Any:
        """The query parameters."""
        return self.request.query_params


@dataclass(slots=True)
class Session:
    """An authenticated request inside its transaction."""

    tx: Tx
    principal: ScimPrincipal
    actor: Actor
    catalogue: Catalogue
    mapping: UserMapping


@dataclass(slots=True)
class Written:
    """A write's response and what its provisioning event records."""

    response: Response
    resource_id: str | None
    external_id: str | None = None
    unknown_members: list[str] = field(default_factory=list)


Handler = Callable[[Call], Awaitable[Response]]


def endpoint(settings: Settings, db: Database) -> Callable[[Handler], Any]:
    """Wrap a handler: request id, and every error answered in the SCIM Error schema."""

    def decorate(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @wraps(handler)
        async def run(request: Request) -> Response:
            # app.main's request middleware assigns the id (and echoes it in X-Request-ID).
            given = request.scope.get("state", {}).get("request_id")
            rid = str(given or uuid.uuid4().hex)
            call = Call(request, settings, db, rid[:64], base_url(request, settings.public_url))
            try:
                response = await handler(call)
            except ScimError as exc:
                response = error_response(exc)
            except RosterError as exc:
                response = error_response(from_domain(exc))
            except Exception as exc:
                response = error_response(unexpected(exc, call.request_id))
            if given is None:
                response.headers["X-Request-ID"] = call.request_id
            return response

        return run

    return decorate


async def _session(call: Call, tx: Tx) -> Session:
    header = call.request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise unauthorized("a SCIM bearer token is required (Authorization: Bearer <token>)")
    if secret.startswith(ADMIN_PREFIX):
        raise unauthorized("admin API tokens are not valid on /scim/v2: use a SCIM token")
    principal = await authenticate_scim(tx, secret)
    catalogue = await get_catalogue(tx, version=principal.catalogue_version)
    actor = principal.actor(call.request_id)
    return Session(tx, principal, actor, catalogue, user_mapping(tx, catalogue))


async def read(call: Call, work: Callable[[Session], Awaitable[Response]]) -> Response:
    """Run a read in one transaction after the token check."""
    async with call.db.transaction() as tx:
        return await work(await _session(call, tx))


def _outcome(done: Written) -> tuple[str, str | None]:
    if done.unknown_members:
        return "WARNING", "unknown member id(s) skipped: " + ", ".join(done.unknown_members)
    return "SUCCESS", None


async def write(
    call: Call,
    resource_type: str,
    resource_id: str | None,
    work: Callable[[Session], Awaitable[Written]],
) -> Response:
    """Run a write and record its provisioning event (see the module docstring)."""
    token_id: str | None = None
    try:
        async with call.db.transaction() as tx:
            session = await _session(call, tx)
            token_id = session.principal.token_id
            done = await work(session)
            outcome, detail = _outcome(done)
            await _event(
                call,
                tx,
                token_id=token_id,
                resource_type=resource_type,
                resource_id=done.resource_id,
                outcome=outcome,
                status=done.response.status_code,
                detail=detail,
                external_id=done.external_id,
            )
        return done.response
    except (ScimError, RosterError) as exc:
        err = exc if isinstance(exc, ScimError) else from_domain(exc)
        if token_id is not None and not isinstance(exc, DatabaseUnavailable):
            await _failed(call, token_id, resource_type, resource_id, err)
        raise err from exc


async def _failed(
    call: Call, token_id: str, resource_type: str, resource_id: str | None, err: ScimError
) -> None:
    """The ERROR event of a failed write, in a fresh transaction (the write rolled back)."""
    async with call.db.transaction() as tx:
        await _event(
            call,
            tx,
            token_id=token_id,
            resource_type=resource_type,
            resource_id=resource_id,
            outcome="ERROR",
            status=err.status,
            detail=err.detail,
            external_id=None,
        )


async def _event(
    call: Call,
    tx: Tx,
    *,
    token_id: str | None,
    resource_type: str,
    resource_id: str | None,
    outcome: str,
    status: int,
    detail: str | None,
    external_id: str | None,
) -> None:
    await record_provisioning_event(
        tx,
        token_id=token_id,
        method=call.request.method,
        resource_type=resource_type,
        resource_id=resource_id,
        external_id=external_id,
        outcome=outcome,
        status_code=status,
        error_detail=detail,
        duration_ms=(time.perf_counter() - call.started) * 1000,
        request_id=call.request_id,
    )


async def read_body(call: Call) -> bytes:
    """The raw request body; raises 415 (wrong Content-Type) or 413 (over the size limit).

    Read before the transaction starts, so a slow client never holds the database.
    """
    request, limit = call.request, call.settings.scim_max_body_bytes
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind and kind not in _MEDIA:
        raise ScimError(415, f"Content-Type {kind!r} is not supported: use application/scim+json")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ScimError(413, f"the request body is larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ScimError(413, f"the request body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(raw: bytes) -> Any:
    """The body as JSON; raises 400 invalidSyntax."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise invalid_syntax(f"the request body is not valid JSON: {exc}") from None
