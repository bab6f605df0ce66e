"""The `events` phase of `make bench`: how soon a feed consumer sees a SCIM deactivation.

A consumer long-polls ``GET /events?wait=30`` on one keep-alive connection while SCIM
deactivations arrive at a steady rate (BENCH_EVENTS_RATE, 50 per second, for
BENCH_EVENTS_SECONDS, 10 s) from a few client threads, each on its own keep-alive connection.
Per deactivated user, the latency is the time from the SCIM response's arrival at the client
to the arrival of the ``user.deactivated`` event at the consumer (p50, p99, max). Then the
feed's read rate at saturation: the whole feed read back-to-back in pages of 1,000, in events
per second. The phase switches the deprovisioning guard off first (it would hold the
deactivations) and creates the users it deactivates.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
GUARD_OFF = (
    "mutation { updateDeprovisioningGuard(input: {enabled: false}) { userErrors { message } } }"
)
CLIENTS = 4


class Client:
    """One keep-alive connection to the server."""

    def __init__(self, base: str, token: str) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=120)
        self.headers = {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, body: Any = None, kind: str = "scim+json") -> Any:
        data = json.dumps(body).encode() if body is not None else None
        headers = {**self.headers, "Content-Type": f"application/{kind}"}
        self.conn.request(method, path, body=data, headers=headers)
        resp = self.conn.getresponse()
        payload = resp.read()
        if resp.status >= 300:
            raise RuntimeError(f"{method} {path}: {resp.status} {payload[:300]!r}")
        return json.loads(payload) if payload else None


def _read_all(client: Client, after: int) -> tuple[int, int]:
    """Read the feed from ``after`` to its end in pages of 1,000: (events read, cursor)."""
    count = 0
    while True:
        page = client.call("GET", f"/events?after={after}&limit=1000")
        count += len(page["events"])
        if not page["events"]:
            return count, after
        after = page["next"]


class Consumer(threading.Thread):
    """Long-polls the feed and notes when each user's deactivation arrived."""

    def __init__(self, base: str, token: str, after: int, expected: int) -> None:
        super().__init__(daemon=True)
        self.client, self.after, self.expected = Client(base, token), after, expected
        self.arrived: dict[str, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set() and len(self.arrived) < self.expected:
            page = self.client.call("GET", f"/events?after={self.after}&limit=1000&wait=30")
            now = time.perf_counter()
            for event in page["events"]:
                if event["type"] == "user.deactivated":
                    self.arrived.setdefault(event["resourceId"], now)
            self.after = page["next"]


def deactivate_at_rate(
    base: str, token: str, ids: list[str], rate: float
) -> tuple[dict[str, float], float]:
    """SCIM-deactivate ``ids`` at a steady ``rate`` per second from `CLIENTS` threads (one
    keep-alive connection each): when each response arrived, and the seconds it all took."""
    answered: dict[str, float] = {}
    local = threading.local()

    def deactivate(user_id: str) -> None:
        if not hasattr(local, "client"):
            local.client = Client(base, token)
        body = {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": False}}]}
        local.client.call("PATCH", f"/scim/v2/Users/{user_id}", body)
        answered[user_id] = time.perf_counter()

    start = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        for k, user_id in enumerate(ids):
            time.sleep(max(0.0, start + k / rate - time.perf_counter()))
            pool.submit(deactivate, user_id)
    return answered, time.perf_counter() - start


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def events_phase(base: str, setup: Any) -> dict[str, float]:
    """Deactivation-to-consumer latency at a steady rate, and the feed's read rate."""
    rate = float(os.environ.get("BENCH_EVENTS_RATE", "50"))
    count = int(rate * float(os.environ.get("BENCH_EVENTS_SECONDS", "10")))
    admin, scim = Client(base, setup.admin_token), Client(base, setup.scim_token)
    answer = admin.call("POST", "/graphql", {"query": GUARD_OFF}, kind="json")
    if answer.get("errors") or answer["data"]["updateDeprovisioningGuard"]["userErrors"]:
        raise RuntimeError(f"could not switch the deprovisioning guard off: {answer}")
    run = time.time_ns()
    ids = [
        scim.call("POST", "/scim/v2/Users", {"schemas": [USER], "userName": f"ev-{run}-{k}"})["id"]
        for k in range(count)
    ]
    _, cursor = _read_all(admin, 0)
    consumer = Consumer(base, setup.admin_token, cursor, count)
    consumer.start()
    time.sleep(0.5)  # the consumer's first long poll is waiting
    answered, sent_seconds = deactivate_at_rate(base, setup.scim_token, ids, rate)
    consumer.join(timeout=30)
    consumer.stop.set()
    lags = [(consumer.arrived[u] - answered[u]) * 1000 for u in ids if u in consumer.arrived]
    reads, started = 0, time.perf_counter()
    while time.perf_counter() - started < 3:  # saturation: the whole feed, back to back
        reads += _read_all(admin, 0)[0]
    read_rate = reads / (time.perf_counter() - started)
    return {
        "deactivations": count,
        "rate_per_s": round(count / sent_seconds, 1),
        "received": len(lags),
        "lag_p50_ms": round(statistics.median(lags), 2) if lags else -1.0,
        "lag_p99_ms": round(_percentile(lags, 0.99), 2) if lags else -1.0,
        "lag_max_ms": round(max(lags), 2) if lags else -1.0,
        "feed_read_events_per_s": round(read_rate, 0),
    }
