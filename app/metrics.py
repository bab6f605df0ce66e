"""Prometheus metrics, in the text exposition format that ``promtool check metrics`` accepts.

Each family has one ``# HELP`` and one ``# TYPE`` line, then all of its samples. Metrics are
per process (each worker exposes its own; scrape them all or aggregate as usual). Labels come
from bounded sets only: route templates (`route_of`), the configured IdP, status codes.
"""

from __future__ import annotations

import os
import platform
import resource
import time
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version

from app.db import Database
from app.domain.guard.model import GuardState
from app.domain.guard.review import guard_status
from app.errors import DatabaseUnavailable

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
Labels = tuple[tuple[str, str], ...]

# name -> (type, help): every family Roster exposes.
FAMILIES: dict[str, tuple[str, str]] = {
    "roster_http_requests_total": ("counter", "HTTP requests by surface, route and status."),
    "roster_http_request_duration_seconds": (
        "histogram",
        "Time to answer an HTTP request, by surface and route.",
    ),
    "roster_scim_operations_total": (
        "counter",
        "SCIM writes by the configured IdP of the token, method and outcome.",
    ),
    "roster_scim_errors_total": (
        "counter",
        "SCIM requests answered with an error, by HTTP status code.",
    ),
    "roster_scim_token_expiry_seconds": (
        "gauge",
        "Seconds until each live SCIM token expires (negative never: expired tokens drop out).",
    ),
    "roster_build_info": ("gauge", "Always 1: the Roster and Python versions of this process."),
    "roster_db_pool_size": ("gauge", "Database connections open in this worker's pool."),
    "roster_db_pool_in_use": ("gauge", "Database connections of this worker's pool in use."),
    "roster_db_pool_snapshots": (
        "gauge",
        "Read snapshots this worker holds open for streamed responses (a large group's full"
        " read): one connection each.",
    ),
    "roster_guard_tripped": (
        "gauge",
        "1 while the deprovisioning guard holds destructive IdP writes (rule 19), else 0.",
    ),
    "roster_guard_enabled": ("gauge", "1 when the deprovisioning guard is switched on, else 0."),
    "roster_guard_held_writes": (
        "gauge",
        "Destructive IdP writes held by the deprovisioning guard, waiting for an admin.",
    ),
    "roster_webhook_deliveries_total": (
        "counter",
        "Webhook delivery attempts by endpoint id and outcome (delivered, failed: to be"
        " retried, gave_up: failing for 24 hours).",
    ),
    "roster_webhook_endpoints_failing": (
        "gauge",
        "Webhook endpoints marked FAILING (a delivery failed for 24 hours; a success clears it).",
    ),
    "process_cpu_seconds_total": ("counter", "User and system CPU time spent, in seconds."),
    "process_resident_memory_bytes": ("gauge", "Resident memory size in bytes."),
    "process_virtual_memory_bytes": ("gauge", "Virtual memory size in bytes."),
    "process_open_fds": ("gauge", "Open file descriptors."),
    "process_max_fds": ("gauge", "Most file descriptors the process may open."),
    "process_start_time_seconds": ("gauge", "Start time of the process, in seconds since 1970."),
}


class Metrics:
    """Request counters and latency histograms of one process, and named counters."""

    def __init__(self) -> None:
        self.requests: dict[tuple[str, str, str, int], int] = defaultdict(int)
        self.latency: dict[tuple[str, str], list[float]] = {}
        self.counters: dict[tuple[str, Labels], int] = defaultdict(int)

    def observe(self, surface: str, method: str, route: str, status: int, seconds: float) -> None:
        """Count one request and record its latency."""
        self.requests[(surface, method, route, status)] += 1
        hist = self.latency.setdefault((surface, route), [0.0] * (len(BUCKETS) + 2))
        hist[bisect_left(BUCKETS, seconds)] += 1
        hist[-1] += seconds

    def inc(self, name: str, **labels: str) -> None:
        """Increase a counter of `FAMILIES` (e.g. SCIM operations by IdP and outcome)."""
        assert name in FAMILIES, name
        self.counters[(name, tuple(sorted(labels.items())))] += 1

    def render(
        self,
        gauges: dict[str, float],
        labelled: dict[str, list[tuple[Labels, float]]] | None = None,
    ) -> str:
        """The exposition text: these metrics, ``gauges`` and ``labelled`` gauges, build info
        and process metrics."""
        samples: dict[str, list[str]] = defaultdict(list)
        for (surface, method, route, status), n in sorted(self.requests.items()):
            labels = (("surface", surface), ("method", method), ("route", route))
            samples["roster_http_requests_total"].append(
                _sample("roster_http_requests_total", (*labels, ("status", str(status))), n)
            )
        for (surface, route), hist in sorted(self.latency.items()):
            samples["roster_http_request_duration_seconds"] += _histogram(
                "roster_http_request_duration_seconds",
                (("surface", surface), ("route", route)),
                hist,
            )
        for (name, labels_t), n in sorted(self.counters.items()):
            samples[name].append(_sample(name, labels_t, n))
        info = (("python", platform.python_version()), ("version", roster_version()))
        samples["roster_build_info"].append(_sample("roster_build_info", info, 1))
        for name, value in (*gauges.items(), *process_metrics().items()):
            samples[name].append(_sample(name, (), value))
        for name, found in (labelled or {}).items():
            if found:
                samples[name] += [_sample(name, labels, value) for labels, value in found]
        out: list[str] = []
        for name, lines in samples.items():
            kind, text = FAMILIES.get(name, ("gauge", name.replace("_", " ")))
            out += [f"# HELP {name} {text}", f"# TYPE {name} {kind}", *lines]
        return "\n".join(out) + "\n"


def _histogram(name: str, labels: Labels, hist: list[float]) -> list[str]:
    """Cumulative buckets, +Inf, count and sum of one label set."""
    lines, running = [], 0.0
    for bound, count in zip(BUCKETS, hist, strict=False):
        running += count
        lines.append(_sample(f"{name}_bucket", (*labels, ("le", str(bound))), int(running)))
    total = int(running + hist[len(BUCKETS)])
    lines.append(_sample(f"{name}_bucket", (*labels, ("le", "+Inf")), total))
    lines.append(_sample(f"{name}_count", labels, total))
    lines.append(f"{name}_sum{_labels(labels)} {hist[-1]:.6f}")
    return lines


def _sample(name: str, labels: Iterable[tuple[str, str]], value: float) -> str:
    return f"{name}{_labels(labels)} {value}"


def _labels(labels: Iterable[tuple[str, str]]) -> str:
    text = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
    return f"{{{text}}}" if text else ""


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def roster_version() -> str:
    """The installed distribution's version ("unknown" when run from an uninstalled tree)."""
    try:
        return version("roster")
    except PackageNotFoundError:
        return "unknown"


_STARTED = time.time()


def process_metrics() -> dict[str, float]:
    """CPU, memory, descriptors and start time of this process: from /proc where there is
    one (Linux), else what the ``resource`` module knows."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    found: dict[str, float] = {
        "process_cpu_seconds_total": round(usage.ru_utime + usage.ru_stime, 6),
        "process_max_fds": float(resource.getrlimit(resource.RLIMIT_NOFILE)[0]),
        "process_start_time_seconds": round(_STARTED, 3),
    }
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = [int(n) for n in statm.read().split()[:2]]
        found["process_virtual_memory_bytes"] = float(pages[0] * resource.getpagesize())
        found["process_resident_memory_bytes"] = float(pages[1] * resource.getpagesize())
        found["process_open_fds"] = float(len(os.listdir("/proc/self/fd")))
        found["process_start_time_seconds"] = _proc_start_time()
    except (OSError, ValueError, IndexError):
        found["process_resident_memory_bytes"] = float(usage.ru_maxrss * 1024)  # peak, in KiB
    return found


def _proc_start_time() -> float:
    """Field 22 of /proc/self/stat (clock ticks after boot) plus the boot time."""
    with open("/proc/self/stat", encoding="ascii") as stat:
        ticks = int(stat.read().rpartition(")")[2].split()[19])
    with open("/proc/stat", encoding="ascii") as system:
        boot = next(int(line.split()[1]) for line in system if line.startswith("btime "))
    return round(boot + ticks / os.sysconf("SC_CLK_TCK"), 3)


# The SCIM routes, as templates: any other path is "/other", so that label cardinality stays
# bounded whatever a client sends (an id that is not a UUID must not mint a new series).
_SCIM_ITEMS = {"Users": "{id}", "Groups": "{id}", "Schemas": "{urn}", "ResourceTypes": "{name}"}
_SCIM_TOP = frozenset({*_SCIM_ITEMS, "ServiceProviderConfig", ".search", "openapi.json"})
_OPS = frozenset({"/healthz", "/readyz", "/metrics"})
# The surface of each fixed path: the ops endpoints, app.feed's events and their keys.
_FIXED = {
    **dict.fromkeys(_OPS, "ops"),
    **dict.fromkeys(("/events", "/.well-known/jwks.json"), "feed"),
}


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
    if path == "/graphql":
        return "graphql", "/graphql"
    if path.startswith("/graphiql/"):
        return "graphql", "/graphiql/*"  # GraphiQL's assets (app.graphql.ide)
    if path in _FIXED:
        return _FIXED[path], path
    if path in ("/", "/console") or path.startswith("/console/"):
        return "console", "/console/*"
    return "other", "/other"


async def guard_gauges(db: Database) -> dict[str, float]:
    """The deprovisioning guard's gauges (shared by every worker: read from the database)."""
    try:
        async with db.transaction(write=False) as tx:
            status = await guard_status(tx)
    except DatabaseUnavailable:  # /metrics still answers during an outage
        return {}
    return {
        "roster_guard_tripped": float(status.state is GuardState.TRIPPED),
        "roster_guard_enabled": float(status.settings.enabled),
        "roster_guard_held_writes": float(status.held_count),
    }
