"""The wrapper of every SCIM endpoint: request id, errors in the SCIM Error schema, and the
request counted for its token's health (in memory: `app.domain.provisioning.usage`)."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app.db import Database
from app.domain.clock import now_iso
from app.domain.provisioning.usage import LastError, UsageBuffer
from app.errors import RosterError
from app.scim.errors import ScimError, error_response, from_domain, unexpected
from app.scim.pipeline import Call, Handler
from app.scim.wire import base_url
from app.settings import Settings


def endpoint(settings: Settings, db: Database, usage: UsageBuffer) -> Callable[[Handler], Any]:
    """Wrap a handler: request id, every error answered in the SCIM Error schema, and the
    request counted for its token's health (in memory: `app.domain.provisioning.usage`)."""

    def decorate(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @wraps(handler)
        async def run(request: Request) -> Response:
            # app.main's request middleware assigns the id (and echoes it in X-Request-ID).
            given = request.scope.get("state", {}).get("request_id")
            rid = str(given or os.urandom(16).hex())
            base = base_url(request, settings.public_url)
            call = Call(request, settings, db, rid[:64], base, usage)
            response, error = await _answer(handler, call)
            token = request.scope.get("state", {}).get("scim_token")
            if token is not None:
                _count(usage, token, response.status_code, error)
            if given is None:
                response.headers["X-Request-ID"] = call.request_id
            return response

        return run

    return decorate


async def _answer(handler: Handler, call: Call) -> tuple[Response, ScimError | None]:
    try:
        return await handler(call), None
    except ScimError as exc:
        error = exc
    except RosterError as exc:
        error = from_domain(exc)
    except Exception as exc:
        error = unexpected(exc, call.request_id)
    return error_response(error), error


def _count(usage: UsageBuffer, token: str, status: int, error: ScimError | None) -> None:
    usage.note_request(token, status)
    if status >= 400:
        detail = error.detail if error is not None else f"HTTP {status}"
        usage.note_error(token, LastError(now_iso(), status, detail))
