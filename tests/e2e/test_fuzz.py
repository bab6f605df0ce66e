"""Schemathesis against both APIs of a real server, with real tokens.

SCIM: generated from /scim/v2/openapi.json (examples, coverage, fuzzing and stateful phases;
requests valid and invalid). Every schemathesis check runs but the two that judge how strict
request validation is (``positive_data_acceptance``, ``negative_data_rejection``): the filter and
PATCH path grammars and the Profile Editor's attributes are not expressible in JSON Schema, so
a schema-valid request may rightly answer 400, and Roster accepts some shapes the document does
not advertise because identity providers send them (app/scim/dialects.py). What is checked:
no 5xx, status codes, content types, headers and bodies as declared, 405s with a true
``Allow``, no ignored authentication, deleted resources gone.

GraphQL: generated from the live schema (introspection), queries and mutations, with an OWNER
token. Checked by `tests.e2e.fuzz_checks`: no 5xx, no masked (``INTERNAL``) or unmasked
internal error; expected refusals carry a domain code; responses conform to the schema.

The CI-sized run (``make test``) fuzzes on SQLite only: it targets the HTTP layers (parsing,
validation, error mapping, response shapes), which are the same code on both engines, and it
is the slowest module of the suite; the engine-specific SQL is covered on both engines by the
filter and PATCH property tests and the HTTP suites. ``make fuzz`` runs longer, on both engines
(``ROSTER_FUZZ_SECONDS`` per API and engine). Requests are counted by the server itself, from
its /metrics counters.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import httpx
import pytest

from app.settings import Settings
from tests.e2e.conftest import Live
from tests.e2e.fuzz_checks import problems

ROOT = Path(__file__).resolve().parents[2]
LONG_SECONDS = int(os.environ.get("ROSTER_FUZZ_SECONDS", "0"))
MIN_REQUESTS = 1000
# Chosen so that each CI-sized run sends well over MIN_REQUESTS in about 20-30 s here.
EXAMPLES = {"scim": 15, "graphql": 40}
NOT_CHECKED = {
    "scim": "positive_data_acceptance,negative_data_rejection",
    # Replaced by fuzz_checks.graphql_errors_are_expected (see its docstring).
    "graphql": "not_a_server_error,positive_data_acceptance,negative_data_rejection",
}
_COUNTER = re.compile(r'^roster_http_requests_total\{surface="(\w+)",.*status="(\d+)"\} (\d+)$')


@pytest.fixture
def fuzz_live(settings: Settings, request: pytest.FixtureRequest) -> Live:
    """The `live` server, on SQLite only unless `make fuzz` asked for a long run."""
    if settings.database_kind == "postgresql" and not LONG_SECONDS:
        pytest.skip("the CI-sized fuzz runs on SQLite (see the module docstring); make fuzz: both")
    live: Live = request.getfixturevalue("live")
    return live


def served(base: str, surface: str) -> Counter[int]:
    """Requests the server has answered on ``surface``, by status (its own counters)."""
    counts: Counter[int] = Counter()
    for line in httpx.get(base + "/metrics", timeout=10).text.splitlines():
        m = _COUNTER.match(line)
        if m and m.group(1) == surface:
            counts[int(m.group(2))] += int(m.group(3))
    return counts


def schemathesis_run(api: str, location: str, token: str, report: Path) -> dict[str, object]:
    """`st run` in a subprocess; the parsed JSON report."""
    budget = ["--max-time", str(LONG_SECONDS)] if LONG_SECONDS else ["-n", str(EXAMPLES[api])]
    command = [
        *(sys.executable, "-m", "schemathesis.cli", "run", location),
        *("--header", f"Authorization: Bearer {token}", *budget),
        *("--seed", "20261129", "--workers", "1", "--generation-database", "none"),
        *("--checks", "all", "--exclude-checks", NOT_CHECKED[api]),
        *("--report", "json", "--report-json-path", str(report), "--no-color"),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if api == "graphql":
        env["SCHEMATHESIS_HOOKS"] = "tests.e2e.fuzz_checks"
    timeout = LONG_SECONDS * 3 + 300 if LONG_SECONDS else 300
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert report.exists(), done.stdout[-4000:] + done.stderr[-4000:]
    result: dict[str, object] = json.loads(report.read_text())
    assert (result["failures"], result["errors"]) == ([], []), done.stdout[-12000:]
    assert done.returncode == 0, done.stdout[-12000:]
    return result


def _fuzz(live: Live, api: str, location: str, token: str, tmp_path: Path) -> None:
    surface = "scim" if api == "scim" else "graphql"
    before = served(live.base, surface)
    report = schemathesis_run(api, location, token, tmp_path / f"{api}.json")
    after = served(live.base, surface)
    by_status = {s: after[s] - before[s] for s in sorted(after) if after[s] - before[s]}
    total = sum(by_status.values())
    cases = report["test_cases"]
    print(f"\nfuzz {api} on {live.settings.database_kind}: {total} requests, {by_status}; {cases}")
    assert total >= MIN_REQUESTS
    assert not [s for s in by_status if s >= 500]


def test_scim_fuzz(fuzz_live: Live, tmp_path: Path) -> None:
    location = fuzz_live.base + "/scim/v2/openapi.json"
    _fuzz(fuzz_live, "scim", location, fuzz_live.scim, tmp_path)


def test_graphql_fuzz(fuzz_live: Live, tmp_path: Path) -> None:
    _fuzz(fuzz_live, "graphql", fuzz_live.base + "/graphql", fuzz_live.admin, tmp_path)


@pytest.mark.parametrize(
    ("status", "body", "found"),
    [
        (200, {"data": {"viewer": {"loginId": "x"}}}, []),
        (200, {"data": None, "errors": [{"message": "Syntax Error: x"}]}, []),
        (
            200,
            {"errors": [{"message": "no", "path": ["user"], "extensions": {"code": "NOT_FOUND"}}]},
            [],
        ),
        (502, None, ["HTTP 502"]),
        (200, [], ["the body is not a JSON object"]),
        (
            200,
            {"errors": [{"message": "Unexpected error", "extensions": {"code": "INTERNAL"}}]},
            ["masked internal error (a resolver crashed): Unexpected error"],
        ),
        (
            200,
            {"errors": [{"message": "KeyError: 'x'", "path": ["users"]}]},
            ["unmasked resolver error without a domain code: KeyError: 'x'"],
        ),
        (
            200,
            {"errors": [{"message": 'File "/app/x.py", line 3'}]},
            ['internal details in an error message: File "/app/x.py", line 3'],
        ),
    ],
)
def test_the_graphql_check_can_fail(status: int, body: object, found: list[str]) -> None:
    assert problems(status, body) == found
