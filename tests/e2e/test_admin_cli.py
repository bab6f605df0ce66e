"""The admin commands (`roster users|groups|provisioning`) as real processes against a real
server, on both engines: the CLI is a client of the public GraphQL API and nothing else."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.admin_cli.commands import AUTH_PROVIDERS
from tests.e2e.conftest import Live

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"


class Like:
    """Equal to any string matching a pattern (for ids and clocks in whole-JSON asserts)."""

    __hash__ = None  # type: ignore[assignment]

    def __init__(self, pattern: str) -> None:
        self.pattern = re.compile(pattern)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and self.pattern.fullmatch(other) is not None

    def __repr__(self) -> str:
        return f"Like({self.pattern.pattern!r})"


class Number:
    """Equal to any non-negative int or float."""

    __hash__ = None  # type: ignore[assignment]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, int | float) and not isinstance(other, bool) and other >= 0

    def __repr__(self) -> str:
        return "Number()"


STAMP = Like(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
UUID = Like(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def node_id(kind: str, raw: str) -> str:
    """A Relay global id as the schema documents it: base64 of "Type:rawId"."""
    return base64.b64encode(f"{kind}:{raw}".encode()).decode()


@dataclass
class Done:
    """A finished `python -m app ...`."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        """stdout as JSON (asserting success first)."""
        assert self.code == 0, self.err
        return json.loads(self.out)


def _env(base: str | None, token: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ROSTER_TOKEN", "ROSTER_SERVER")}
    if base is not None:
        env["ROSTER_SERVER"] = base
    if token is not None:
        env["ROSTER_TOKEN"] = token
    return env


async def roster(*args: str, base: str | None, token: str | None) -> Done:
    """Run `python -m app ARGS` with $ROSTER_SERVER and $ROSTER_TOKEN set as given."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        *args,
        env=_env(base, token),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return Done(proc.returncode, out.decode(), err.decode())


async def cli(live: Live, *args: str) -> Done:
    """An admin command against the live server with its OWNER token."""
    return await roster(*args, base=live.base, token=live.admin)


async def scim_user(
    client: httpx.AsyncClient, live: Live, login: str, request_id: str, **extra: Any
) -> str:
    """Create a user over SCIM; returns its raw id."""
    body = {"schemas": [USER_SCHEMA], "userName": login, "active": True, **extra}
    answer = await client.post(
        live.base + "/scim/v2/Users",
        headers={**live.scim_headers(), "X-Request-Id": request_id},
        json=body,
    )
    assert answer.status_code == 201, answer.text
    raw: str = answer.json()["id"]
    return raw


async def graphql(live: Live, query: str) -> Any:
    """One admin GraphQL request (test set-up only)."""
    async with httpx.AsyncClient(timeout=30) as client:
        answer = await client.post(
            live.base + "/graphql",
            headers={"Authorization": f"Bearer {live.admin}"},
            json={"query": query},
        )
    body = answer.json()
    assert "errors" not in body, body
    return body["data"]


@dataclass
class Directory:
    """What `seeded` created."""

    ada: str
    grace: str
    eng: str


@pytest.fixture
async def seeded(live: Live) -> Directory:
    """Okta as the IdP; over SCIM Ada (active), Grace (inactive) and group eng (Ada in it)."""
    done = await graphql(
        live,
        'mutation { configureAuthentication(input: {type: OKTA, displayName: "Okta"}) {'
        " userErrors { code } } }",
    )
    assert done == {"configureAuthentication": {"userErrors": []}}
    async with httpx.AsyncClient(timeout=30) as client:
        ada = await scim_user(
            client,
            live,
            "ada@example.com",
            "cli-ada",
            externalId="00u-ada",
            name={"givenName": "Ada", "familyName": "Lovelace"},
            emails=[{"value": "ada@example.com", "type": "work", "primary": True}],
            title="Analyst",
        )
        grace = await scim_user(
            client,
            live,
            "grace@example.com",
            "cli-grace",
            externalId="00u-grace",
            name={"givenName": "Grace", "familyName": "Hopper"},
            displayName="Grace H.",
            active=False,
        )
        answer = await client.post(
            live.base + "/scim/v2/Groups",
            headers={**live.scim_headers(), "X-Request-Id": "cli-eng"},
            json={
                "schemas": [GROUP_SCHEMA],
                "displayName": "eng",
                "externalId": "00g-eng",
                "members": [{"value": ada}],
            },
        )
        assert answer.status_code == 201, answer.text
    return Directory(ada, grace, answer.json()["id"])


def _user_row(
    raw: str, login: str, provider: str, status: str, provisioned: bool, **names: str | None
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": node_id("User", raw),
        "databaseId": raw,
        "loginId": login,
        "authProvider": provider,
        "status": status,
        "createdAt": STAMP,
        "updatedAt": STAMP,
        "lastProvisionedAt": STAMP if provisioned else None,
        "email": None,
        "firstName": None,
        "lastName": None,
        "displayName": None,
        "externalId": None,
    }
    row.update(names)
    return row


async def test_users_list_and_show(live: Live, seeded: Directory) -> None:
    ada = _user_row(
        seeded.ada,
        "ada@example.com",
        "OKTA",
        "ACTIVE",
        True,
        email="ada@example.com",
        firstName="Ada",
        lastName="Lovelace",
        externalId="00u-ada",
    )
    grace = _user_row(
        seeded.grace,
        "grace@example.com",
        "OKTA",
        "INACTIVE",
        True,
        firstName="Grace",
        lastName="Hopper",
        displayName="Grace H.",
        externalId="00u-grace",
    )
    listed = (await cli(live, "users", "list", "--json")).json()
    owner_raw = listed["users"][2]["databaseId"]
    assert owner_raw == UUID
    owner = _user_row(owner_raw, "owner@example.com", "LOCAL", "ACTIVE", False)
    assert listed == {"totalCount": 3, "users": [ada, grace, owner]}

    inactive = await cli(live, "users", "list", "--status", "inactive", "--json")
    assert inactive.json() == {"totalCount": 1, "users": [grace]}
    okta_first = await cli(
        live, "users", "list", "--auth-provider", "OKTA", "--limit", "1", "--json"
    )
    assert okta_first.json() == {"totalCount": 2, "users": [ada]}
    searched = await cli(live, "users", "list", "--search", "HOPPER", "--json")
    assert searched.json() == {"totalCount": 1, "users": [grace]}

    text = await cli(live, "users", "list")
    assert text.code == 0, text.err
    lines = text.out.splitlines()
    assert re.fullmatch(r"LOGIN +STATUS +PROVIDER +NAME +EMAIL", lines[0])
    assert re.fullmatch(r"ada@example\.com +ACTIVE +OKTA +Ada Lovelace +ada@example\.com", lines[1])
    assert re.fullmatch(r"grace@example\.com +INACTIVE +OKTA +Grace H\. +-", lines[2])
    assert re.fullmatch(r"owner@example\.com +ACTIVE +LOCAL +- +-", lines[3])
    assert len(lines) == 4
    assert lines[0].index("STATUS") == lines[1].index("ACTIVE") == lines[3].index("ACTIVE")
    assert text.err == "3 of 3 users\n"

    shown = (await cli(live, "users", "show", "ADA@example.com", "--json")).json()
    locked = shown.pop("lockedFields")
    assert {"loginId", "firstName", "lastName", "email", "title"} <= set(locked)
    assert shown == {
        **ada,
        "statusReason": None,
        "notes": None,
        "version": 1,
        "roles": [],
        "effectiveRoles": [],
        "groups": ["eng"],
        "profile": {
            "email": "ada@example.com",
            "firstName": "Ada",
            "lastName": "Lovelace",
            "loginId": "ada@example.com",
            "title": "Analyst",
        },
    }
    page = await cli(live, "users", "show", "ada@example.com")
    assert page.code == 0, page.err
    assert re.search(r"^loginId +ada@example\.com$", page.out, re.M)
    assert re.search(r"^authProvider +OKTA$", page.out, re.M)
    assert re.search(r"^groups +eng$", page.out, re.M)
    assert re.search(r"^  title +Analyst$", page.out, re.M)

    missing = await cli(live, "users", "show", "nobody@example.com")
    assert (missing.code, missing.out) == (1, "")
    assert missing.err == "roster: no user with login 'nobody@example.com'\n"


async def test_groups_provisioning_status_and_events(live: Live, seeded: Directory) -> None:
    groups = (await cli(live, "groups", "list", "--json")).json()
    assert groups == {
        "totalCount": 1,
        "groups": [
            {
                "id": node_id("Group", seeded.eng),
                "databaseId": seeded.eng,
                "displayName": "eng",
                "externalId": "00g-eng",
                "authProvider": "OKTA",
                "memberCount": 1,
                "roles": [],
                "createdAt": STAMP,
                "updatedAt": STAMP,
                "lastProvisionedAt": STAMP,
            }
        ],
    }
    text = await cli(live, "groups", "list")
    assert text.out.splitlines()[1].split() == ["eng", "OKTA", "1", "-", "00g-eng"]
    assert text.err == "1 group\n"

    status = (await cli(live, "provisioning", "status", "--json")).json()
    token_id = status["tokens"][0]["id"]
    assert base64.b64decode(token_id).decode() == Like(r"ScimToken:" + UUID.pattern.pattern)
    assert status == {
        "enabled": True,
        "scimBaseUrl": live.base + "/scim/v2",
        "stats": {
            "usersByProvider": [
                {"authProvider": "LOCAL", "count": 1},
                {"authProvider": "OKTA", "count": 2},
            ],
            "groupsByProvider": [{"authProvider": "OKTA", "count": 1}],
            "requestsLast24h": 3,
            "errorsLast24h": 0,
            "lastRequestAt": STAMP,
        },
        "tokens": [
            {
                "id": token_id,
                "name": "e2e",
                "hint": live.scim[-4:],
                "state": "ACTIVE",
                "createdBy": "system",
                "createdAt": STAMP,
                "expiresAt": STAMP,
                "revokedAt": None,
                "lastUsedAt": STAMP,
            }
        ],
    }
    page = await cli(live, "provisioning", "status")
    assert re.search(r"^provisioning +enabled$", page.out, re.M)
    assert re.search(r"^users by provider +LOCAL 1, OKTA 2$", page.out, re.M)
    assert re.search(rf"^e2e +\.\.\.{re.escape(live.scim[-4:])} +ACTIVE ", page.out, re.M)
    assert live.scim not in page.out

    def event(kind: str, raw: str, request_id: str, external_id: str) -> dict[str, Any]:
        return {
            "id": UUID,
            "at": STAMP,
            "tokenId": token_id,
            "method": "POST",
            "resourceType": kind,
            "resourceId": raw,
            "resourceNodeId": node_id(kind, raw),
            "externalId": external_id,
            "outcome": "SUCCESS",
            "statusCode": 201,
            "errorDetail": None,
            "durationMs": Number(),
            "requestId": request_id,
        }

    events = (await cli(live, "provisioning", "events", "--limit", "2", "--json")).json()
    assert events == {
        "events": [
            event("Group", seeded.eng, "cli-eng", "00g-eng"),
            event("User", seeded.grace, "cli-grace", "00u-grace"),
        ]
    }
    log = await cli(live, "provisioning", "events")
    lines = log.out.splitlines()
    assert re.fullmatch(
        r"AT +METHOD +TYPE +STATUS +OUTCOME +RESOURCE +EXTERNAL ID +DETAIL", lines[0]
    )
    assert lines[3].split()[1:] == ["POST", "User", "201", "SUCCESS", seeded.ada, "00u-ada", "-"]
    assert (len(lines), log.err) == (4, "3 events, newest first\n")


async def _line(stream: asyncio.StreamReader, seconds: float) -> str:
    return (await asyncio.wait_for(stream.readline(), seconds)).decode()


async def test_events_follow_streams_scim_writes_until_ctrl_c(live: Live) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        "provisioning",
        "events",
        "--follow",
        "--json",
        env=_env(live.base, live.admin),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    try:
        ready = await _line(proc.stderr, 30)
        assert ready == f"roster: following provisioning events on {live.base} (Ctrl-C to stop)\n"
        created: dict[str, str] = {}
        line = ""
        async with httpx.AsyncClient(timeout=30) as client:
            # The subscription may reach the server a moment after the ready line: write until
            # the first event shows up, then match it to the write it reports.
            for attempt in range(20):
                raw = await scim_user(client, live, f"f{attempt}@example.com", f"follow-{attempt}")
                created[raw] = f"follow-{attempt}"
                try:
                    line = await _line(proc.stdout, 1)
                    break
                except TimeoutError:
                    continue
        shown = json.loads(line)
        raw = shown["resourceId"]
        assert shown == {
            "id": UUID,
            "at": STAMP,
            "tokenId": Like(".+"),
            "method": "POST",
            "resourceType": "User",
            "resourceId": raw,
            "resourceNodeId": node_id("User", raw),
            "externalId": None,
            "outcome": "SUCCESS",
            "statusCode": 201,
            "errorDetail": None,
            "durationMs": Number(),
            "requestId": created[raw],
        }
        proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0
    assert err == b""
    assert all(json.loads(more)["resourceType"] == "User" for more in out.splitlines())


async def test_a_bad_token_exits_1_with_a_message_and_never_prints_it(live: Live) -> None:
    bad = "rad_" + "x" * 43
    for args in (("users", "list"), ("provisioning", "events", "--follow", "--json")):
        done = await roster(*args, base=live.base, token=bad)
        assert (done.code, done.out) == (1, ""), done.err
        assert done.err.startswith("roster: the server refused the token (401 Unauthorized")
        assert "ROSTER_TOKEN" in done.err
        assert bad not in done.err


async def test_an_unreachable_server_exits_1_with_a_message() -> None:
    from tests.e2e.test_health import free_port

    base = f"http://127.0.0.1:{free_port()}"
    for args in (("groups", "list", "--json"), ("provisioning", "events", "--follow")):
        done = await roster(*args, base=base, token="rad_whatever")
        assert (done.code, done.out) == (1, "")
        assert done.err.startswith(f"roster: cannot reach the Roster server at {base} ("), done.err
        assert "Traceback" not in done.err


async def test_usage_errors_exit_2() -> None:
    no_token = await roster("users", "list", base=None, token=None)
    assert (no_token.code, no_token.out) == (2, "")
    assert (
        no_token.err
        == "roster: set ROSTER_TOKEN to an admin API token (roster token create-admin)\n"
    )
    bad_server = await roster("users", "list", "--server", "ftp://x", base=None, token="t")
    assert (bad_server.code, bad_server.err) == (
        2,
        "roster: --server must be an http(s) URL such as http://127.0.0.1:8000\n",
    )
    for args in (
        ("users", "list", "--limit", "0"),
        ("users", "list", "--status", "gone"),
        ("users", "list", "--auth-provider", "nope"),
        ("users", "show"),
        ("provisioning",),
        ("users", "list", "--token", "t"),
    ):
        done = await roster(*args, base=None, token="t")
        assert (done.code, done.out) == (2, ""), args
        assert "usage: roster" in done.err


async def test_the_cli_module_loads_no_gql_and_the_providers_match_the_schema() -> None:
    probe = (
        "import sys, app.cli; app.cli._parser();"
        "print(sorted(m for m in ('gql', 'httpx', 'websockets', 'graphql') if m in sys.modules))"
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", probe, cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    assert out.decode() == "[]\n"
    sdl = (ROOT / "schema" / "graphql" / "schema.graphql").read_text()
    enum = re.search(r"enum AuthProvider \{([^}]*)\}", sdl)
    assert enum is not None
    # Each value has its description above it ("""…"""): the values are the bare names.
    body = re.sub(r'"""[\s\S]*?"""', "", enum.group(1))
    assert tuple(body.split()) == AUTH_PROVIDERS
