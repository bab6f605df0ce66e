"""Per-token rate limiting: a token bucket per bearer token, per process.

Each worker keeps its own buckets (no shared state to go stale), so with N workers behind a
balancer a token's effective ceiling is up to N times the setting; size it per worker.
Requests without a bearer token are limited per client address.
"""

from __future__ import annotations

import hashlib
import math
import time

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


class TokenBuckets:
    """rate tokens per second, up to burst; one bucket per key, least recently used evicted."""

    def __init__(self, rate: float, burst: int, max_keys: int = 10_000) -> None:
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: dict[bytes, tuple[float, float]] = {}

    def take(self, key: bytes, now: float) -> float:
        """0 when the request may pass, else seconds until it would."""
        level, last = self._buckets.pop(key, (float(self.burst), now))
        level = min(float(self.burst), level + (now - last) * self.rate)
        if level >= 1:
            self._buckets[key] = (level - 1, now)
            wait = 0.0
        else:
            self._buckets[key] = (level, now)
            wait = (1 - level) / self.rate
        if len(self._buckets) > self.max_keys:
            self._buckets.pop(next(iter(self._buckets)))
        return wait


def _key(scope: Scope) -> bytes:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            return hashlib.sha256(value).digest()
    client = scope.get("client") or ("?", 0)
    return f"ip:{client[0]}".encode()


class RateLimit:
    """ASGI middleware answering 429 with Retry-After (a SCIM error under /scim/v2)."""

    def __init__(self, app: ASGIApp, rate: float, burst: int) -> None:
        self.app = app
        self.buckets = TokenBuckets(rate, burst) if rate > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        limited = path.startswith(("/scim/", "/graphql"))
        if self.buckets is None or scope["type"] != "http" or not limited:
            await self.app(scope, receive, send)
            return
        wait = self.buckets.take(_key(scope), time.monotonic())
        if wait == 0:
            await self.app(scope, receive, send)
            return
        retry = str(max(1, math.ceil(wait)))
        detail = f"too many requests for this token; retry after {retry} s"
        if path.startswith("/scim/"):
            body = orjson.dumps({"schemas": [SCIM_ERROR], "status": "429", "detail": detail})
            media = b"application/scim+json"
        else:
            body = orjson.dumps(
                {"errors": [{"message": detail, "extensions": {"code": "RATE_LIMITED"}}]}
            )
            media = b"application/json"
        headers = [
            (b"content-type", media),
            (b"retry-after", retry.encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": body})
