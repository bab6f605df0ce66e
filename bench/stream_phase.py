"""The ``group_stream`` phase: a full read of the big group (50,000 members at
BENCH_SIZES=100000), its time to first byte and the server's resident memory growth.

Each of three reads goes over a fresh socket: the time from sending the request to the first
byte of the answer (TTFB), the time to its last byte, and how far the server's resident set
rose above what it was just before the read. The rise is the larger of the peak sampled from
/proc/<pid>/status (VmRSS, every millisecond) and VmHWM after resetting it through
/proc/<pid>/clear_refs (which catches a peak shorter than a sample). The server's streaming
threshold is its own setting: run once with ROSTER_SCIM_STREAM_MEMBERS_OVER at a very high
value to measure the in-memory response (docs/performance.md).
"""

from __future__ import annotations

import socket
import statistics
import threading
import time
from pathlib import Path
from typing import Any


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _serving(pid: int) -> list[int]:
    """The server and its worker processes."""
    found = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            if f"\nPPid:\t{pid}\n" in status:
                found.append(int(entry.name))
    return found


class _Sampler(threading.Thread):
    """The highest VmRSS of each process while the read runs."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.peak = {p: _status_kb(p, "VmRSS") for p in pids}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            for p in self.pids:
                self.peak[p] = max(self.peak[p], _status_kb(p, "VmRSS"))
            time.sleep(0.001)


def _reset_hwm(pid: int) -> bool:
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM := VmRSS
        return True
    except OSError:
        return False


def _read(base: str, path: str, token: str, pids: list[int]) -> dict[str, float]:
    host, port = base.removeprefix("http://").split(":")
    reset = all(_reset_hwm(p) for p in pids)
    before = {p: _status_kb(p, "VmRSS") for p in pids}
    sampler = _Sampler(pids)
    sampler.start()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    received = 0
    with socket.create_connection((host, int(port)), timeout=120) as sock:
        start = time.perf_counter()
        sock.sendall(request)
        first = sock.recv(65536)
        ttfb = time.perf_counter() - start
        received += len(first)
        while chunk := sock.recv(1 << 20):
            received += len(chunk)
        total = time.perf_counter() - start
    sampler.done.set()
    sampler.join()
    growth = 0
    for p in pids:
        peak = sampler.peak[p]
        if reset:
            peak = max(peak, _status_kb(p, "VmHWM"))
        growth = max(growth, peak - before[p])
    return {
        "ttfb_ms": ttfb * 1000,
        "total_ms": total * 1000,
        "rss_growth_kb": growth,
        "bytes": received,
    }


def group_stream_phase(base: str, setup: Any, pid: int) -> dict[str, Any]:
    """Three full reads of the big group (see the module doc); medians, and the largest rise."""
    pids = _serving(pid)
    path = f"/scim/v2/Groups/{setup.big_group}"
    reads = [_read(base, path, setup.scim_token, pids) for _ in range(3)]
    return {
        "members": setup.big_group_size,
        "ttfb_ms": round(statistics.median(r["ttfb_ms"] for r in reads), 1),
        "total_ms": round(statistics.median(r["total_ms"] for r in reads), 1),
        "rss_growth_kb_max": max(r["rss_growth_kb"] for r in reads),
        "rss_growth_kb_first": reads[0]["rss_growth_kb"],
        "bytes": int(reads[0]["bytes"]),
        "reads": [{k: round(v, 1) for k, v in r.items()} for r in reads],
    }
