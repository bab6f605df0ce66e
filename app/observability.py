"""Request ids, JSON logs and Prometheus metrics, shared by every surface.

Every HTTP request gets an id (the caller's ``X-Request-ID`` when it is sane, else a new one):
it is in ``scope["state"]["request_id"]`` for handlers, in a context variable for log lines,
and in the ``X-Request-ID`` response header. Metrics are per process (each worker exposes its
own; scrape them all or put them behind your usual aggregation).
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import sys
import time
from bisect import bisect_left
from collections import defaultdict
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
log = logging.getLogger("roster.access")


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request id of the request being served."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
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


class Metrics:
    """Counters and latency histograms in Prometheus text format."""

    def __init__(self) -> None:
        self.requests: dict[tuple[str, str, str, int], int] = defaultdict(int)
        self.latency: dict[tuple[str, str], list[float]] = {}
        self.counters: dict[tuple[str, tuple[tuple[str, str], ...]], int] = defaultdict(int)

    def observe(self, surface: str, method: str, route: str, status: int, seconds: float) -> None:
        """Count one request and record its latency."""
        self.requests[(surface, method, route, status)] += 1
        hist = self.latency.setdefault((surface, route), [0.0] * (len(BUCKETS) + 2))
        hist[bisect_left(BUCKETS, seconds)] += 1
        hist[-1] += seconds

    def inc(self, name: str, **labels: str) -> None:
        """Increase a named counter (e.g. SCIM operations by IdP and outcome)."""
        self.counters[(name, tuple(sorted(labels.items())))] += 1

    def render(self, gauges: dict[str, float]) -> str:
        """The exposition text."""
        out = ["# TYPE roster_http_requests_total counter"]
        for (surface, method, route, status), n in sorted(self.requests.items()):
            out.append(
                f'roster_http_requests_total{{surface="{surface}",method="{method}",'
                f'route="{route}",status="{status}"}} {n}'
            )
        out.append("# TYPE roster_http_request_duration_seconds histogram")
        for (surface, route), hist in sorted(self.latency.items()):
            labels = f'surface="{surface}",route="{route}"'
            running = 0.0
            for bound, count in zip(BUCKETS, hist, strict=False):
                running += count
                out.append(
                    f'roster_http_request_duration_seconds_bucket{{{labels},le="{bound}"}} '
                    f"{int(running)}"
                )
            total = running + hist[len(BUCKETS)]
            out.append(
                f'roster_http_request_duration_seconds_bucket{{{labels},le="+Inf"}} {int(total)}'
            )
            out.append(f"roster_http_request_duration_seconds_count{{{labels}}} {int(total)}")
            out.append(f"roster_http_request_duration_seconds_sum{{{labels}}} {hist[-1]:.6f}")
        for (name, labels_t), n in sorted(self.counters.items()):
            labels = ",".join(f'{k}="{v}"' for k, v in labels_t)
            out.append(f"# TYPE {name} counter")
            out.append(f"{name}{{{labels}}} {n}")
        for name, value in sorted(gauges.items()):
            out.append(f"# TYPE {name} gauge")
            out.append(f"{name} {value}")
        return "\n".join(out) + "\n"


# The SCIM routes, as templates: any other path is "/other", so that label cardinality stays
# bounded whatever a client sends (an id that is not a UUID must not mint a new series).
_SCIM_ITEMS = {"Users": "{id}", "Groups": "{id}", "Schemas": "{urn}", "ResourceTypes": "{name}"}
_SCIM_TOP = frozenset({*_SCIM_ITEMS, "ServiceProviderConfig", ".search", "openapi.json"})


def _scim_route(route: str) -> str:
    _, top, *rest = route.split("/", 2) if route.startswith("/") else ("", "", "")
    if top not in _SCIM_TOP:
        return "/other"
    if not rest or not rest[0]:
        return f"/{top}"
    if top in ("Users", "Groups") and rest[0] == ".search":
        return f"/{top}/.search"
    if top not in _SCIM_ITEMS or ("/" in rest[0] and top != "Schemas"):
        return "/other"
    return f"/{top}/{_SCIM_ITEMS[top]}"


def route_of(path: str) -> tuple[str, str]:
    """(surface, route template) of a path, ids replaced so label cardinality stays bounded."""
    if path.startswith("/scim/v2"):
        return "scim", _scim_route(path[len("/scim/v2") :])
    if path.startswith("/graphql"):
        return "graphql", "/graphql"
    if path in ("/healthz", "/readyz", "/metrics"):
        return "ops", path
    return "other", "/other"


class RequestContext:
    """ASGI middleware: request id, access log line, metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics, access_log: bool) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _incoming_id(scope) or os.urandom(16).hex()
        scope.setdefault("state", {})["request_id"] = rid
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
            if surface == "scim" and scope["method"] in _WRITES:
                self.metrics.inc(
                    "roster_scim_operations_total",
                    idp=idp_of(scope),
                    method=scope["method"],
                    outcome=_outcome(status),
                )
            if self.access_log:
                log.info(
                    "request",
                    extra={
                        "request_id": rid,
                        "fields": {
                            "method": scope["method"],
                            "path": scope["path"],
                            "status": status,
                            "ms": round(elapsed * 1000, 3),
                        },
                    },
                )
            request_id_var.reset(token)


_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_IDPS = (
    ("okta", "okta"),
    ("microsoft", "entra_id"),
    ("azure", "entra_id"),
    ("onelogin", "onelogin"),
    ("jumpcloud", "jumpcloud"),
    ("google", "google"),
    ("ping", "ping"),
)


def idp_of(scope: Scope) -> str:
    """Which IdP sent the request, as its User-Agent names it ("other" when unknown)."""
    for name, value in scope.get("headers", ()):
        if name == b"user-agent":
            agent = value.decode("latin-1").lower()
            return next((label for needle, label in _IDPS if needle in agent), "other")
    return "other"


def _outcome(status: int) -> str:
    return "success" if status < 400 else "client_error" if status < 500 else "server_error"


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _SANE_ID.match(text) else None
    return None
