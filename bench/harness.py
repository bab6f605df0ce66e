"""Processes and measurements for the benchmark: servers, wrk runs, sequential phases."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LUA = Path(__file__).resolve().parent / "load.lua"


def free_port() -> int:
    """A port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A server process on loopback."""

    proc: subprocess.Popen[bytes]
    base: str
    workdir: Path

    @property
    def pid(self) -> int:
        """The top process id."""
        return self.proc.pid

    @classmethod
    @contextlib.contextmanager
    def ceiling(cls, env: dict[str, str]) -> Iterator[Server]:
        """bench/ceiling.py on uvicorn with uvloop and httptools, one worker."""
        port = free_port()
        cmd = [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.ceiling:app",
            "--port",
            str(port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        with cls._run(cmd, {**os.environ, **env}, port, "/x") as srv:
            yield srv

    @classmethod
    @contextlib.contextmanager
    def roster(cls, root: Path, env: dict[str, str], workers: int) -> Iterator[Server]:
        """`roster serve` with access logs off."""
        port = free_port()
        full = {
            **os.environ,
            **env,
            "ROSTER_PORT": str(port),
            "ROSTER_WORKERS": str(workers),
            "ROSTER_ACCESS_LOG": "false",
            "ROSTER_LOG_LEVEL": "warning",
            "ROSTER_RATE_LIMIT_PER_SECOND": "0",
        }
        cmd = [str(root / ".venv" / "bin" / "roster"), "serve"]
        with cls._run(cmd, full, port, "/readyz") as srv:
            yield srv

    @classmethod
    @contextlib.contextmanager
    def _run(cls, cmd: list[str], env: dict[str, str], port: int, probe: str) -> Iterator[Server]:
        workdir = Path(tempfile.mkdtemp(prefix="roster-bench-"))
        log = (workdir / "server.log").open("wb")
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait(port, probe)
            yield cls(proc, base, workdir)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()


def _wait(port: int, probe: str) -> None:
    for _ in range(300):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", probe)
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not start")


def wrk(base: str, phase: str, env: dict[str, str], duration: int, conns: int) -> dict[str, float]:
    """One timed wrk run of a phase: rps, p50/p99 in ms, non-2xx count."""
    cmd = [
        "wrk",
        f"-t{conns}",
        f"-c{conns}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        base,
    ]
    done = subprocess.run(
        cmd,
        env={**os.environ, **env, "BENCH_PHASE": phase},
        capture_output=True,
        text=True,
        check=False,
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result for {phase}: {done.stdout}\n{done.stderr}")
    raw = json.loads(line.split(" ", 1)[1])
    seconds = raw["duration_us"] / 1e6
    time.sleep(1)  # let abandoned requests drain before the next phase
    return {
        "rps": round(raw["requests"] / seconds, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 3),
        "p99_ms": round(raw["p99_us"] / 1000, 3),
        "non2xx": raw["non2xx"],
    }


def _call(
    base: str, method: str, path: str, token: str, body: Any = None
) -> tuple[int, float, bytes]:
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=120)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
    data = json.dumps(body).encode() if body is not None else None
    start = time.perf_counter()
    conn.request(method, path, body=data, headers=headers)
    resp = conn.getresponse()
    payload = resp.read()
    elapsed = time.perf_counter() - start
    conn.close()
    return resp.status, elapsed, payload


def _add_batches(base: str, token: str, group: str, ids: list[str], batches: int) -> list[float]:
    times = []
    for b in range(batches):
        chunk = ids[b * 100 : (b + 1) * 100]
        body = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "add", "path": "members", "value": [{"value": i} for i in chunk]}
            ],
        }
        status, elapsed, _ = _call(base, "PATCH", f"/scim/v2/Groups/{group}", token, body)
        if status not in (200, 204):
            raise RuntimeError(f"member PATCH answered {status}")
        times.append(elapsed * 1000)
    return times


def members_phase(base: str, setup: Any) -> dict[str, float]:
    """+100 members per PATCH: into an empty group vs into the big group, interleaved (medians
    of 10)."""
    _status, _, payload = _call(
        base,
        "POST",
        "/scim/v2/Groups",
        setup.scim_token,
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": f"bench-empty-{time.time_ns()}",
        },
    )
    empty = json.loads(payload)["id"]
    spare = setup.non_members
    first: list[float] = []
    last: list[float] = []
    for k in range(10):  # interleaved, so that a burst of load elsewhere hits both alike
        batch = slice(k * 100, (k + 1) * 100)
        first += _add_batches(base, setup.scim_token, empty, spare[:1000][batch], 1)
        last += _add_batches(base, setup.scim_token, setup.big_group, spare[1000:2000][batch], 1)
    a, b = statistics.median(first), statistics.median(last)
    return {
        "empty_group_ms": round(a, 3),
        "big_group_ms": round(b, 3),
        "big_group_size": setup.big_group_size,
        "ratio": round(b / a, 3),
    }


def group_full_phase(base: str, setup: Any) -> dict[str, float]:
    """A full read of the big group (all members), three times; latency and body size."""
    times, size = [], 0
    for _ in range(3):
        _status, elapsed, payload = _call(
            base, "GET", f"/scim/v2/Groups/{setup.big_group}", setup.scim_token
        )
        times.append(elapsed * 1000)
        size = len(payload)
    return {
        "ms": round(statistics.median(times), 1),
        "bytes": size,
        "members": setup.big_group_size,
    }


def _user(login: str) -> dict[str, Any]:
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": login,
        "externalId": login,
        "name": {"givenName": "Bulk", "familyName": login},
        "emails": [{"value": login, "type": "work", "primary": True}],
        "active": True,
    }


def bulk_phase(base: str, setup: Any, count: int = 1000) -> dict[str, float]:
    """``count`` user creates in one SCIM Bulk request vs as ``count`` POSTs on one connection."""
    run = time.time_ns()
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "failOnErrors": 1,
        "Operations": [
            {
                "method": "POST",
                "path": "/Users",
                "bulkId": f"u{k}",
                "data": _user(f"bulk-{run}-{k}@example.com"),
            }
            for k in range(count)
        ],
    }
    status, bulk_s, payload = _call(base, "POST", "/scim/v2/Bulk", setup.scim_token, body)
    created = [op for op in json.loads(payload).get("Operations", []) if op["status"] == "201"]
    if status != 200 or len(created) != count:
        raise RuntimeError(f"Bulk answered {status} with {len(created)} of {count} created")
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=120)
    headers = {
        "Authorization": f"Bearer {setup.scim_token}",
        "Content-Type": "application/scim+json",
    }
    start = time.perf_counter()
    for k in range(count):
        conn.request(
            "POST", "/scim/v2/Users", json.dumps(_user(f"post-{run}-{k}@example.com")), headers
        )
        resp = conn.getresponse()
        resp.read()
        if resp.status != 201:
            raise RuntimeError(f"POST /Users answered {resp.status}")
    posts_s = time.perf_counter() - start
    conn.close()
    return {
        "operations": count,
        "bulk_s": round(bulk_s, 3),
        "posts_s": round(posts_s, 3),
        "speedup": round(posts_s / bulk_s, 2),
    }


def _server_processes(pid: int, name: str) -> Iterator[str]:
    """The /proc file ``name`` of the server ``pid`` and of each of its worker processes."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / name).read_text()
            stat = text if name == "stat" else (entry / "stat").read_text()
        except OSError:
            continue
        parent = stat.rsplit(")", 1)[1].split()[1]  # after the command name, which may hold spaces
        if int(entry.name) == pid or parent == str(pid):
            yield text


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds used so far by the server and its worker processes."""
    total = 0
    for stat in _server_processes(pid, "stat"):
        fields = stat.rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def rss_peak_kb(pid: int) -> int:
    """Largest peak resident set (VmHWM) among the server and its worker processes."""
    peak = 0
    for status in _server_processes(pid, "status"):
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        peak = max(peak, int(fields.get("VmHWM", "0 kB").split()[0]))
    return peak
