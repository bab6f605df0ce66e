"""The life of one SCIM request: body, token, one transaction, provisioning event, errors.

Each request is one transaction (RFC 7644 writes are atomic); the token check runs inside it
(on PostgreSQL a read of one statement runs without one: `read`).
A successful write records its provisioning event in the same transaction; a failed write
rolls back and then records an ERROR event in a fresh one, so nothing else of it persists.
A Bulk request (RFC 7644 §3.7) is one transaction too, each operation in its own savepoint with
its own event: the same handler function (`Op` in, `Written` out) serves both.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from app.db import Database, Tx
from app.db.drivers import NeedsSnapshot
from app.domain.access.scim_tokens import ScimPrincipal, authenticate_scim
from app.domain.access.tokens import ADMIN_PREFIX, note_token_use
from app.domain.provisioning.events import record_provisioning_event
from app.domain.provisioning.usage import UsageBuffer
from app.domain.settings.catalogue import Catalogue, get_catalogue
from app.domain.types import Actor
from app.errors import DatabaseUnavailable, RosterError
from app.scim.body import parse_json
from app.scim.errors import ScimError, from_domain, unauthorized
from app.scim.mapping import UserMapping, user_mapping
from app.scim.projection import Projection
from app.scim.sent import sent_external_id
from app.scim.text import check_params, query_params
from app.settings import Settings

T = TypeVar("T")
log = logging.getLogger("roster.scim")


@dataclass(slots=True)
class Call:
    """One request and what the handlers need around it."""

    request: Request
    settings: Settings
    db: Database
    request_id: str
    base: str
    usage: UsageBuffer
    started: float = field(default_factory=time.perf_counter)
    _params: dict[str, str] | None = None

    @property
    def params(self) -> dict[str, str]:
        """The query parameters, parsed once; raises 400 for a control character."""
        if self._params is None:
            params = query_params(self.request.scope["query_string"])
            check_params(params)
            self._params = params
        return self._params


@dataclass(slots=True)
class Session:
    """An authenticated request inside its transaction."""

    tx: Tx
    principal: ScimPrincipal
    actor: Actor
    catalogue: Catalogue
    mapping: UserMapping
    many: bool = False  # a Bulk request: several writes in this transaction


@dataclass(slots=True)
class Written:
    """A write's response and what its provisioning event records."""

    response: Response
    resource_id: str | None
    external_id: str | None = None
    unknown_members: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # attribute paths ignored (rule 18)
    held: str | None = None  # held by the deprovisioning guard (rule 19): the event's detail


@dataclass(frozen=True, slots=True)
class Op:
    """One write as a handler sees it: from a single request or one Bulk operation.

    A single request carries its ``raw`` body (parsed inside the transaction, so a syntax
    error is logged as the write's ERROR event); a Bulk operation its parsed ``data``.
    ``render`` is False in Bulk, whose results carry no resource body (RFC 7644 §3.7).
    """

    resource_id: str | None
    base: str
    proj: Projection
    expected_version: int | None = None
    raw: bytes | None = None
    data: Any = None
    render: bool = True

    def body(self) -> Any:
        """The request body as JSON; raises 400 invalidSyntax."""
        return self.data if self.raw is None else parse_json(self.raw)


Handler = Callable[[Call], Awaitable[Response]]


async def _session(call: Call, tx: Tx, *, read_only: bool = False) -> Session:
    header = call.request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise unauthorized("a SCIM bearer token is required (Authorization: Bearer <token>)")
    if secret.startswith(ADMIN_PREFIX):
        raise unauthorized("admin API tokens are not valid on /scim/v2: use a SCIM token")
    principal = await authenticate_scim(tx, secret, note=not read_only)
    catalogue = await get_catalogue(tx)  # its version came with the token check
    actor = principal.actor(call.request_id)
    # For the access line and /metrics (app.observability): who, and for which IdP. The IdP is
    # the configured one (read with the token), not a guess from the User-Agent.
    state = call.request.scope.setdefault("state", {})
    state["actor"], state["idp"] = actor.label, str(tx.memo["auth_type"]).lower()
    state["scim_token"] = principal.token_id
    return Session(tx, principal, actor, catalogue, user_mapping(tx, catalogue))


async def read(call: Call, work: Callable[[Session], Awaitable[T]], *, single: bool = False) -> T:
    """Run a read in one read-only transaction after the token check. It takes no write lock
    (on SQLite, readers in every worker go on while one writes); the token's lastUsedAt, when
    due (once a minute), is written afterwards in a transaction of its own.

    ``single``: the work is one statement as a rule (a user by id, a filtered list). On
    PostgreSQL the token check and that statement then run without a transaction, each its
    own snapshot, two round trips fewer; a work that needs more statements (the catalogue
    changed, a filter that counts apart) is run again, whole, in a transaction.
    """
    if single:
        try:
            return await _read(call, work, 2)
        except NeedsSnapshot:
            pass
    return await _read(call, work, None)


async def _read(call: Call, work: Callable[[Session], Awaitable[T]], statements: int | None) -> T:
    async with call.db.transaction(write=False, statements=statements) as tx:
        session = await _session(call, tx, read_only=True)
        answer = await work(session)
    if session.principal.use_due:
        try:
            async with call.db.transaction() as tx:
                await note_token_use(tx, "scim_tokens", session.principal.token_id)
        except DatabaseUnavailable as exc:  # the read succeeded; lastUsedAt waits a minute
            log.warning("lastUsedAt of SCIM token %s not written: %s", session.principal.name, exc)
    return answer


def _outcome(done: Written) -> tuple[str, str | None]:
    if done.held is not None:
        return "HELD", done.held
    if done.unknown_members:
        return "WARNING", "unknown member id(s) skipped: " + ", ".join(done.unknown_members)
    return "SUCCESS", None


@dataclass(frozen=True, slots=True)
class _Logged:
    """What the provisioning event of a write records besides its outcome."""

    method: str
    started: float
    token_id: str
    resource_type: str
    resource_id: str | None


async def write(
    call: Call,
    resource_type: str,
    resource_id: str | None,
    work: Callable[[Session], Awaitable[Written]],
    *,
    sent: bytes | None = None,
) -> Response:
    """Run a write and record its provisioning event (see the module docstring); an ERROR
    event keeps the externalId the request body ``sent`` set."""
    logged: _Logged | None = None
    try:
        async with call.db.transaction() as tx:
            session = await _session(call, tx)
            token = session.principal.token_id
            logged = _Logged(call.request.method, call.started, token, resource_type, resource_id)
            done = await work(session)
            await _done_event(call, tx, logged, done)
        call.usage.note_write(logged.token_id, failed=False)
        return done.response
    except (ScimError, RosterError) as exc:
        err = exc if isinstance(exc, ScimError) else from_domain(exc)
        if logged is not None:
            call.usage.note_write(logged.token_id, failed=True)
        if logged is not None and not isinstance(exc, DatabaseUnavailable):
            # The write rolled back: its ERROR event goes in a fresh transaction.
            async with call.db.transaction() as tx:
                outcome = ("ERROR", err.status)
                external_id = sent_external_id(sent)
                await _event(call, tx, logged, outcome, detail=err.detail, external_id=external_id)
        raise err from exc


async def _done_event(call: Call, tx: Tx, logged: _Logged, done: Written) -> None:
    outcome, detail = _outcome(done)
    await _event(
        call,
        tx,
        logged,
        (outcome, done.response.status_code),
        detail=detail,
        resource_id=done.resource_id,
        external_id=done.external_id,
        ignored=done.ignored,
    )


async def _event(
    call: Call,
    tx: Tx,
    logged: _Logged,
    outcome: tuple[str, int],
    *,
    detail: str | None = None,
    resource_id: str | None = None,
    external_id: str | None = None,
    ignored: list[str] | None = None,
) -> None:
    await record_provisioning_event(
        tx,
        token_id=logged.token_id,
        method=logged.method,
        resource_type=logged.resource_type,
        resource_id=resource_id or logged.resource_id,
        external_id=external_id,
        outcome=outcome[0],
        status_code=outcome[1],
        error_detail=detail,
        duration_ms=(time.perf_counter() - logged.started) * 1000,
        request_id=call.request_id,
        ignored=ignored or (),
    )


async def write_many(call: Call, work: Callable[[Session], Awaitable[T]]) -> T:
    """Run several writes in one transaction after the token check (POST /Bulk).

    ``work`` runs each write with `write_in_savepoint`; the transaction commits what succeeded.
    """
    async with call.db.transaction() as tx:
        session = await _session(call, tx)
        session.many = True
        return await work(session)


async def write_in_savepoint(
    call: Call,
    session: Session,
    target: tuple[str, str, str | None],
    work: Callable[[Session], Awaitable[Written]],
    *,
    sent: Any = None,
) -> Written | ScimError:
    """One write of a Bulk request, ``target`` = (method, resource type, resource id);
    ``sent``: the operation's data, whose externalId a failure's event keeps.

    The write runs in a savepoint, so a failure changes nothing of its own and leaves the
    transaction usable; either way its provisioning event is recorded outside the savepoint.
    DatabaseUnavailable and unexpected errors abort the whole request (nothing commits).
    """
    method, resource_type, resource_id = target
    token = session.principal.token_id
    logged = _Logged(method, time.perf_counter(), token, resource_type, resource_id)
    try:
        async with session.tx.savepoint():
            done = await work(session)
    except (ScimError, RosterError) as exc:
        if isinstance(exc, DatabaseUnavailable):
            raise
        err = exc if isinstance(exc, ScimError) else from_domain(exc)
        outcome, external_id = ("ERROR", err.status), sent_external_id(sent)
        await _event(call, session.tx, logged, outcome, detail=err.detail, external_id=external_id)
        call.usage.note_write(token, failed=True)
        return err
    await _done_event(call, session.tx, logged, done)
    call.usage.note_write(token, failed=False)
    return done
