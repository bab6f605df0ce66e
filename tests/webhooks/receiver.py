"""A webhook receiver for tests: a tiny HTTP/1.1 server on 127.0.0.1 that records every
request and answers with the status its ``plan`` gives (then 200), and the documented
signature check (docs/events.md, "Webhooks"), written from the algorithm alone."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson


@dataclass
class Received:
    """One request as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def event(self) -> dict[str, Any]:
        """The JSON body."""
        result: dict[str, Any] = orjson.loads(self.body)
        return result


@dataclass
class Receiver:
    """Records requests; ``plan(request number, path)`` gives the status (default 200)."""

    plan: Callable[[int, str], int] = lambda n, path: 200
    seen: list[Received] = field(default_factory=list)
    server: asyncio.Server | None = None
    port: int = 0

    async def start(self) -> Receiver:
        """Listen on a free port of 127.0.0.1."""
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    def url(self, path: str = "/hook") -> str:
        """The URL of ``path`` on this receiver."""
        return f"http://127.0.0.1:{self.port}{path}"

    async def stop(self) -> None:
        """Stop listening."""
        if self.server is not None:
            self.server.close()

    def on(self, path: str) -> list[Received]:
        """The requests received on ``path``, in arrival order."""
        return [r for r in self.seen if r.path == path]

    async def wait_for(self, count: Callable[[], bool], seconds: float = 60.0) -> None:
        """Until ``count()`` holds (AssertionError after ``seconds``). The default is generous:
        a passing test returns as soon as the count holds, and a CI machine that stalls for
        tens of seconds (seen on a shared 2-core machine) must not fail a correct delivery."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not count():
            assert loop.time() < deadline, f"timed out; received {len(self.seen)} requests"
            await asyncio.sleep(0.05)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                _, path, _ = line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while (raw := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = raw.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                status = self.plan(len(self.seen), path)
                self.seen.append(Received(path, headers, body, status))
                answer = b'{"ok": true}'
                writer.write(
                    f"HTTP/1.1 {status} X\r\ncontent-length: {len(answer)}\r\n"
                    "content-type: application/json\r\n\r\n".encode()
                    + answer
                )
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            return
        finally:
            writer.close()


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The Standard Webhooks check, as docs/events.md documents it: HMAC-SHA256 keyed by the
    base64-decoded part of ``whsec_...`` over ``{id}.{timestamp}.{body}``, base64, compared
    with each ``v1,`` signature of the header."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for candidate in headers["webhook-signature"].split(" "):
        version, _, signature = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return True
    return False
