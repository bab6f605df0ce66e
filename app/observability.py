"""Request ids and JSON log lines, shared by every surface; metrics are counted here too.

Every HTTP request and websocket gets an id (the caller's ``X-Request-ID`` when it is sane,
else a new one): it is in ``scope["state"]["request_id"]`` for handlers, in a context variable
for log lines, and in the ``X-Request-ID`` response header. Handlers name who called in
``scope["state"]["actor"]`` (a SCIM token's name, an admin's loginId; never a secret) and the
SCIM pipeline the configured IdP in ``scope["state"]["idp"]``; the access line and the
metrics (app.metrics) read them there.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import sys
import time
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.metrics import Metrics, route_of

__all__ = ["JsonFormatter", "Metrics", "RequestContext", "configure_logging", "route_of"]

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
log = logging.getLogger("roster.access")


def rfc3339(created: float) -> str:
    """``2026-12-05T14:07:17.123Z``: RFC 3339, UTC, milliseconds."""
    stamp = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request id of the request being served."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "time": rfc3339(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            doc.update(extra)
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str)


# uvicorn's (and the websockets library's) own websocket lines: plain text without the
# request id. RequestContext writes a JSON line for each instead.
_UVICORN_WS_LINES = frozenset(
    {
        '%s - "WebSocket %s" [accepted]',
        '%s - "WebSocket %s" 403',
        '%s - "WebSocket %s" %d',
        "connection open",
        "connection closed",
    }
)


def _not_a_websocket_line(record: logging.LogRecord) -> bool:
    return record.msg not in _UVICORN_WS_LINES


def configure_logging(level: str, json_lines: bool) -> None:
    """Send every log line to stderr, as JSON unless told otherwise."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if json_lines else logging.Formatter("%(levelname)s %(name)s %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    uvicorn_error = logging.getLogger("uvicorn.error")
    if _not_a_websocket_line not in uvicorn_error.filters:
        uvicorn_error.addFilter(_not_a_websocket_line)


class RequestContext:
    """ASGI middleware: request id, access log line, metrics; websocket open and close lines."""

    def __init__(self, app: ASGIApp, metrics: Metrics, access_log: bool) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _incoming_id(scope) or os.urandom(16).hex()
        state = scope.setdefault("state", {})
        state["request_id"] = rid
        token = request_id_var.set(rid)
        start = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                # Exactly one id per response: an id an inner app set is replaced by ours.
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"x-request-id"]
                message["headers"] = [*headers, (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - start
            surface, route = route_of(scope["path"])
            self.metrics.observe(surface, scope["method"], route, status, elapsed)
            if surface == "scim" and status >= 400:
                self.metrics.inc("roster_scim_errors_total", status=str(status))
            if surface == "scim" and scope["method"] in _WRITES:
                self.metrics.inc(
                    "roster_scim_operations_total",
                    idp=state.get("idp") or "none",
                    method=scope["method"],
                    outcome=_outcome(status),
                )
            if self.access_log:
                fields = {"method": scope["method"], "path": scope["path"], "status": status}
                fields["ms"] = round(elapsed * 1000, 3)
                log.info("request", extra={"request_id": rid, "fields": _who(scope, fields)})
            request_id_var.reset(token)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A JSON line when the server accepts (or refuses) the handshake, one at the close."""
        rid = _incoming_id(scope) or os.urandom(16).hex()
        scope.setdefault("state", {})["request_id"] = rid
        token = request_id_var.set(rid)
        start = time.perf_counter()
        closed: dict[str, Any] = {}

        def close(code: object, by: str) -> None:
            if not closed:
                closed.update(code=code, by=by, ms=round((time.perf_counter() - start) * 1000, 3))

        async def send_logged(message: Message) -> None:
            if message["type"] == "websocket.accept":
                fields = {"path": scope["path"], "subprotocol": message.get("subprotocol")}
                log.info("websocket open", extra={"request_id": rid, "fields": _who(scope, fields)})
            elif message["type"] == "websocket.close":
                close(message.get("code", 1000), "server")
            await send(message)

        async def receive_logged() -> Message:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                close(message.get("code", 1005), "client")
            return message

        try:
            await self.app(scope, receive_logged, send_logged)
        finally:
            close(1006, "server")  # the app ended without a close frame
            fields = {"path": scope["path"], **closed}
            log.info("websocket close", extra={"request_id": rid, "fields": _who(scope, fields)})
            request_id_var.reset(token)


def _who(scope: Scope, fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` with the client's address, its User-Agent and the actor the handler named."""
    client = scope.get("client")
    agent = next((v for k, v in scope.get("headers", ()) if k == b"user-agent"), None)
    return {
        **fields,
        "client": client[0] if client else None,
        "user_agent": agent.decode("latin-1")[:200] if agent is not None else None,
        "actor": (scope.get("state") or {}).get("actor"),
    }


_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _outcome(status: int) -> str:
    return "success" if status < 400 else "client_error" if status < 500 else "server_error"


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _SANE_ID.match(text) else None
    return None
