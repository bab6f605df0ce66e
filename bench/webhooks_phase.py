"""The `webhooks` phase of `make bench`: how soon a webhook receiver learns of a deactivation.

A local receiver (127.0.0.1, allow-listed for the bench's server) answers every delivery with
204 and notes when it arrived. SCIM deactivations arrive at a steady rate (BENCH_EVENTS_RATE,
50 per second, for BENCH_EVENTS_SECONDS, 10 s) from a few client threads; per user, the
latency is the time from the SCIM response's arrival at the client to the arrival of its
``user.deactivated`` delivery at the receiver (p50, p99, max). Then deliveries per second at
saturation: the endpoint is disabled, BENCH_WEBHOOK_BACKLOG (1,000) users are created, the
endpoint is enabled again, and the receiver's rate over the whole backlog is measured.
"""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench.events_phase import GUARD_OFF, USER, Client, _percentile, deactivate_at_rate

CREATE = """mutation($url: String!) { createWebhookEndpoint(input: {url: $url}) {
  endpoint { id } secret userErrors { message } } }"""
ENABLE = """mutation($id: ID!, $on: Boolean!) {
  updateWebhookEndpoint(input: {id: $id, enabled: $on}) { userErrors { message } } }"""


class Receiver:
    """An HTTP server on 127.0.0.1 that notes each delivery's arrival."""

    def __init__(self) -> None:
        self.arrived: dict[tuple[str, str | None], float] = {}
        self.times: list[float] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                now = time.perf_counter()
                self.send_response(204)
                self.end_headers()
                try:
                    event = json.loads(body)
                except ValueError:
                    return
                with receiver.lock:
                    receiver.times.append(now)
                    receiver.arrived.setdefault((event["type"], event.get("resourceId")), now)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, done: Callable[[], bool], seconds: float) -> None:
        deadline = time.perf_counter() + seconds
        while not done() and time.perf_counter() < deadline:
            time.sleep(0.01)

    def got(self, kind: str, ids: list[str]) -> bool:
        with self.lock:
            return all((kind, i) in self.arrived for i in ids)


def _graphql(admin: Client, query: str, **variables: Any) -> dict[str, Any]:
    answer = admin.call("POST", "/graphql", {"query": query, "variables": variables}, kind="json")
    data = answer.get("data") or {}
    payload = next(iter(data.values()), None)
    if answer.get("errors") or not payload or payload.get("userErrors"):
        raise RuntimeError(f"webhooks phase: {answer}")
    return dict(payload)


def webhooks_phase(base: str, setup: Any) -> dict[str, float]:
    """Deactivation-to-receiver latency at a steady rate, and deliveries per second."""
    rate = float(os.environ.get("BENCH_EVENTS_RATE", "50"))
    count = int(rate * float(os.environ.get("BENCH_EVENTS_SECONDS", "10")))
    backlog = int(os.environ.get("BENCH_WEBHOOK_BACKLOG", "1000"))
    admin, scim = Client(base, setup.admin_token), Client(base, setup.scim_token)
    _graphql(admin, GUARD_OFF)
    receiver = Receiver()
    endpoint = _graphql(admin, CREATE, url=receiver.url)["endpoint"]["id"]
    run = time.time_ns()
    ids = [
        scim.call("POST", "/scim/v2/Users", {"schemas": [USER], "userName": f"wh-{run}-{k}"})["id"]
        for k in range(count)
    ]
    receiver.wait_for(lambda: receiver.got("user.created", ids), 60)  # before the measured part
    answered, sent_seconds = deactivate_at_rate(base, setup.scim_token, ids, rate)
    receiver.wait_for(lambda: receiver.got("user.deactivated", ids), 30)
    lags = [
        (receiver.arrived[("user.deactivated", u)] - answered[u]) * 1000
        for u in ids
        if ("user.deactivated", u) in receiver.arrived
    ]
    _graphql(admin, ENABLE, id=endpoint, on=False)
    made = [
        scim.call("POST", "/scim/v2/Users", {"schemas": [USER], "userName": f"wb-{run}-{k}"})["id"]
        for k in range(backlog)
    ]
    before = len(receiver.times)
    _graphql(admin, ENABLE, id=endpoint, on=True)
    enabled = time.perf_counter()
    receiver.wait_for(lambda: receiver.got("user.created", made), 120)
    delivered = len(receiver.times) - before
    last = receiver.times[-1] if delivered else enabled
    receiver.server.shutdown()
    return {
        "deactivations": count,
        "rate_per_s": round(count / sent_seconds, 1),
        "received": len(lags),
        "lag_p50_ms": round(statistics.median(lags), 2) if lags else -1.0,
        "lag_p99_ms": round(_percentile(lags, 0.99), 2) if lags else -1.0,
        "lag_max_ms": round(max(lags), 2) if lags else -1.0,
        "backlog": backlog,
        "backlog_delivered": delivered,
        "deliveries_per_s": round(delivered / max(last - enabled, 1e-6), 0),
    }
