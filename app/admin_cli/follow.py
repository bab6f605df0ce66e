"""``roster provisioning events --follow``: live events that survive a server restart.

When the feed is lost (the server restarts, the network drops), the client says so on one line,
reconnects with exponential backoff (0.5 s doubling to 30 s), says so again, and resumes after
the last event it printed: the events committed meanwhile are read from the event log
(``provisioning.events(filter: {since})``) and printed before the live ones, each event once
(by id) and in order. Only refusals that retrying cannot fix (a revoked token) end it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections import deque
from collections.abc import Awaitable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from app.admin_cli import queries
from app.admin_cli.output import cell, fixed_row, to_json_line

if TYPE_CHECKING:
    from app.admin_cli.client import Api

EVENT_COLUMNS = ("AT", "METHOD", "TYPE", "STATUS", "OUTCOME", "RESOURCE", "EXTERNAL ID", "DETAIL")
FOLLOW_WIDTHS = (27, 6, 5, 6, 7, 36, 12, 0)
BACKOFF_FIRST_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 30.0
REMEMBERED_IDS = 10_000  # printed ids kept to drop repeats (live and log overlap briefly)


def event_row(e: Mapping[str, Any]) -> list[object]:
    """The table cells of one event."""
    return [
        e["at"],
        e["method"],
        e["resourceType"],
        e["statusCode"],
        e["outcome"],
        e["resourceId"],
        e["externalId"],
        e["errorDetail"],
    ]


class Enough(Exception):
    """``--limit`` events were printed."""


class Printed:
    """What was printed: each event once, and where to resume from."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.count = 0
        self.last_at: str | None = None
        self.last_id: str | None = None
        self._ids: set[str] = set()
        self._order: deque[str] = deque()

    def show(self, event: Mapping[str, Any]) -> None:
        """Print ``event`` unless it was printed already; raises `Enough` at ``--limit``."""
        if event["id"] in self._ids:
            return
        self._ids.add(event["id"])
        self._order.append(event["id"])
        if len(self._order) > REMEMBERED_IDS:
            self._ids.discard(self._order.popleft())
        self.last_at, self.last_id = event["at"], event["id"]
        if self.args.json:
            print(to_json_line(event), flush=True)
        else:
            print(fixed_row([cell(v) for v in event_row(event)], FOLLOW_WIDTHS), flush=True)
        self.count += 1
        if self.args.limit is not None and self.count >= self.args.limit:
            raise Enough

    async def catch_up(self, api: Api) -> None:
        """Print the logged events at or after the last printed one, oldest first."""
        if self.last_at is None:
            return
        events, _ = await api.collect(
            queries.EVENTS_SINCE, ["provisioning", "events"], {"filter": {"since": self.last_at}}
        )
        for event in reversed(events):  # the log is newest first
            self.show(event)


def _note(text: str) -> None:
    print(f"roster: {text}", file=sys.stderr, flush=True)


async def follow(api: Api, args: argparse.Namespace) -> int:
    """Print each live event as one line until Ctrl-C (or SIGTERM, or --limit events)."""
    await api.query(queries.VIEWER)  # fail fast, with HTTP's clear errors: server and token
    stop = asyncio.Event()
    with _stop_on_signals(stop), contextlib.suppress(Enough):
        await _until(stop, _feed(api, args))
    return 0


async def _feed(api: Api, args: argparse.Namespace) -> None:
    from app.admin_cli.client import ApiError

    feed = _Feed(api, args)
    while True:
        feed.connected = False
        try:
            async for data in api.subscribe(queries.FOLLOW_EVENTS, ready=feed.ready):
                await feed.received(data["provisioningEvents"])
            lost = f"lost the live feed from {feed.where} (the server ended it)"
        except ApiError as exc:
            if not exc.retryable or not feed.ever:
                raise
            if not feed.connected:  # a reconnection attempt failed: wait longer
                await feed.back_off()
                continue
            lost = exc.message
            if not lost.startswith("lost the live feed"):
                lost = f"lost the live feed from {feed.where} ({lost})"
        _note(f"{lost}; reconnecting")
        await feed.back_off()


class _Feed:
    """The state of one `follow` across its connections."""

    def __init__(self, api: Api, args: argparse.Namespace) -> None:
        self.api = api
        self.args = args
        self.where = api.endpoint.base
        self.printed = Printed(args)
        self.delay = BACKOFF_FIRST_SECONDS
        self.connected = False  # this connection was accepted
        self.ever = False  # some connection was accepted
        self.gap = False  # catch up once more at the first live event

    async def ready(self) -> None:
        """The server accepted a connection: announce it; after a loss, catch up."""
        self.connected = True
        self.delay = BACKOFF_FIRST_SECONDS
        if not self.ever:
            self.ever = True
            _note(f"following provisioning events on {self.where} (Ctrl-C to stop)")
            if not self.args.json:
                print(fixed_row(EVENT_COLUMNS, FOLLOW_WIDTHS), flush=True)
            return
        last = self.printed.last_id or "-"
        _note(f"reconnected to {self.where}; resuming after event {last}")
        await self.printed.catch_up(self.api)
        # The server starts the subscription a moment after accepting the connection: an event
        # committed in between is in the log only, so read the log again at the first live one.
        self.gap = True

    async def received(self, event: Mapping[str, Any]) -> None:
        """A live event."""
        if self.gap:
            self.gap = False
            await self.printed.catch_up(self.api)
        self.printed.show(event)

    async def back_off(self) -> None:
        """Wait, twice as long as last time (up to the maximum)."""
        await asyncio.sleep(self.delay)
        self.delay = min(self.delay * 2, BACKOFF_MAX_SECONDS)


@contextlib.contextmanager
def _stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """Ctrl-C (SIGINT) and SIGTERM set ``stop`` instead of interrupting, while inside."""
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on this platform
            loop.add_signal_handler(sig, stop.set)
            handled.append(sig)
    try:
        yield
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)


async def _until(stop: asyncio.Event, work: Awaitable[None]) -> None:
    """Run ``work`` until it ends (its error is raised) or ``stop`` is set (it is cancelled)."""
    feed = asyncio.ensure_future(work)
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({feed, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
        if not feed.done():
            feed.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await feed
    if not feed.cancelled():
        feed.result()
