"""One webhook POST: the SSRF check against the addresses connected to, a 10 s budget, no
redirects, at most 64 KB of the answer read (1 KB kept for the delivery log).

The request goes to the address the check resolved (the name is not resolved twice, so it
cannot be re-pointed between the check and the connection); the Host header and, for https,
the TLS server name and certificate check stay the URL's host.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

from app.domain.webhooks.model import EXCERPT
from app.domain.webhooks.targets import AllowList, check_target
from app.errors import InvalidValue

TIMEOUT = 10.0
MAX_READ = 64 * 1024
USER_AGENT = "Roster-Webhooks/1"


@dataclass(frozen=True, slots=True)
class Sent:
    """What came back: the status (None when nothing answered), the time, an error, the
    first kilobyte of the answer."""

    status_code: int | None
    latency_ms: int
    error: str | None
    excerpt: str | None


def client() -> httpx.AsyncClient:
    """The worker's client: 10 s timeouts, no redirects, no proxies from the environment."""
    return httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False, trust_env=False)


async def send(
    http: httpx.AsyncClient,
    url: str,
    body: bytes,
    headers: dict[str, str],
    allowed: AllowList,
    *,
    content_type: str = "application/json",
) -> Sent:
    """POST ``body`` to ``url``; never raises for what the network or the receiver does."""
    start = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - start) * 1000)

    try:
        target = await check_target(url, allowed)
    except InvalidValue as exc:
        return Sent(None, elapsed(), exc.message[:1024], None)
    parts = urlsplit(url)
    address = target.addresses[0]
    literal = f"[{address}]" if address.version == 6 else str(address)
    pinned = urlunsplit(
        (parts.scheme, f"{literal}:{target.port}", parts.path or "/", parts.query, "")
    )
    host = parts.netloc.rpartition("@")[2]
    request_headers = {
        **headers,
        "host": host,
        "content-type": content_type,
        "user-agent": USER_AGENT,
    }
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    try:
        async with asyncio.timeout(TIMEOUT):
            async with http.stream(
                "POST", pinned, content=body, headers=request_headers, extensions=extensions
            ) as response:
                read = bytearray()
                async for chunk in response.aiter_raw():
                    read += chunk
                    if len(read) >= MAX_READ:
                        break
                text = bytes(read[:EXCERPT]).decode("utf-8", "replace").replace("\x00", "")
                return Sent(response.status_code, elapsed(), None, text)
    except TimeoutError:
        return Sent(None, elapsed(), f"no answer within {TIMEOUT:g} s", None)
    except httpx.HTTPError as exc:
        return Sent(None, elapsed(), f"{type(exc).__name__}: {exc}"[:1024], None)
