"""Hostile input to /graphql: scalars out of range, unparsable timestamps, huge numbers, token
lifetimes that never end, schema names leaked through suggestions, request ids that disagree.

Each answer is a clear validation error or a userError with a code, never "Unexpected error";
nothing is created by a refused mutation.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.db import Database
from app.domain.access.bootstrap import issue_admin_token
from app.settings import Settings
from tests.e2e.conftest import Live, start_server, stop_server
from tests.security.graphql_support import post
from tests.test_cli import roster

pytestmark = pytest.mark.e2e

CREATE_TOKEN = (
    "mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) {"
    " apiToken { expiresAt } secret userErrors { code field message } } }"
)
DIGITS_400 = "9" * 400
UPDATE_COST = (
    "mutation($i: UpdateUserInput!) { updateUser(input: $i) { user { version }"
    " userErrors { code field message } } }"
)


async def _me(client: httpx.AsyncClient, token: str) -> str:
    body = (await post(client, token, "{ viewer { userId } }")).json()
    user_id: str = body["data"]["viewer"]["userId"]
    return user_id


def _never_internal(body: dict[str, Any]) -> None:
    text = json.dumps(body)
    assert "Unexpected error" not in text and "INTERNAL" not in text, text


async def test_scalars_out_of_range_are_clear_errors(live: Live) -> None:
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("{ users(first: 2147483648) { totalCount } }", {}, "Int cannot represent"),
        ('{ auditLog(filter: {from: "9999-99-99"}) { nodes { action } } }', {}, "DateTime"),
        (
            "query($t: DateTime) { auditLog(filter: {to: $t}) { nodes { action } } }",
            {"t": "9999-99-99"},
            "DateTime",
        ),
        (
            "query($t: DateTime) { users(filter: {createdAfter: $t}) { totalCount } }",
            {"t": "9999-12-31T23:59:59-23:59"},  # past year 9999 once in UTC
            "DateTime",
        ),
        (
            '{ users(filter: {updatedBefore: "0001-01-01T00:00:00+23:59"}) { totalCount } }',
            {},
            "DateTime",
        ),
    ]
    async with httpx.AsyncClient(base_url=live.base, timeout=30) as client:
        for query, variables, expected in cases:
            body = (await post(client, live.admin, query, variables)).json()
            _never_internal(body)
            assert body["data"] is None, (query, body)
            assert expected in body["errors"][0]["message"], (query, body)


async def test_a_400_digit_number_attribute_is_a_user_error(live: Live) -> None:
    create = (
        'mutation { createCustomAttribute(input: {variableName: "costCode", displayName: "Cost",'
        " datatype: NUMBER}) { userErrors { code } } }"
    )
    async with httpx.AsyncClient(base_url=live.base, timeout=30) as client:
        assert (await post(client, live.admin, create)).json()["data"] == {
            "createCustomAttribute": {"userErrors": []}
        }
        me = await _me(client, live.admin)
        literal = (
            f'mutation {{ updateUser(input: {{id: "{me}", customAttributes: [{{name: "costCode",'
            f" value: {DIGITS_400}}}]}}) {{ user {{ version }} userErrors {{ code field }} }} }}"
        )
        beyond_2_53 = {"id": me, "customAttributes": [{"name": "costCode", "value": 2**60}]}
        answers = [
            (await post(client, live.admin, literal)).json(),
            (await post(client, live.admin, UPDATE_COST, {"i": beyond_2_53})).json(),
        ]
        # In JSON variables, a number no double can hold is a body that does not parse.
        huge = {"id": me, "customAttributes": [{"name": "costCode", "value": int(DIGITS_400)}]}
        unparsable = await post(client, live.admin, UPDATE_COST, {"i": huge})
        float_in = {"id": me, "customAttributes": [{"name": "costCode", "value": 1e308}]}
        fine = (await post(client, live.admin, UPDATE_COST, {"i": float_in})).json()
    for body in answers:
        _never_internal(body)
        assert body["data"]["updateUser"]["user"] is None, body
        (error,) = body["data"]["updateUser"]["userErrors"]
        assert (error["code"], error["field"]) == ("INVALID_VALUE", "costCode")
    assert fine["data"]["updateUser"]["userErrors"] == []
    assert unparsable.status_code == 400
    assert unparsable.text.startswith("Unable to parse request body as JSON: "), unparsable.text


def _expires_in_days(expires_at: str) -> float:
    moment = datetime.fromisoformat(expires_at.replace("Z", "+00:00"))
    return (moment - datetime.now(UTC)) / timedelta(days=1)


async def test_json_no_database_can_store_is_a_400(live: Live) -> None:
    query = "mutation($i: CreateUserInput!) { createUser(input: $i) { userErrors { code } } }"
    bodies = [
        # A lone surrogate (valid JSON escape, but no UTF-8 string, so no database, holds it).
        b'{"query": "%s", "variables": {"i": {"loginId": "a\\ud800@example.com"}}}'
        % query.encode(),
        b'{"query": "%s", "variables": {"i": {"loginId": "x@example.com", "firstName": "\\udc00"}}}'
        % query.encode(),
        # Nesting past what a recursive parser survives.
        b'{"query": "{ viewer { loginId } }", "variables": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    ]
    async with httpx.AsyncClient(base_url=live.base, timeout=30) as client:
        answers = [
            await client.post(
                "/graphql",
                content=body,
                headers={
                    "Authorization": f"Bearer {live.admin}",
                    "Content-Type": "application/json",
                },
            )
            for body in bodies
        ]
        users = (await post(client, live.admin, "{ users { totalCount } }")).json()
    assert [(a.status_code, a.text.split(":")[0]) for a in answers] == [
        (400, "Unable to parse request body as JSON")
    ] * 3
    assert users == {"data": {"users": {"totalCount": 1}}}


async def test_api_tokens_always_expire_within_the_maximum(live: Live) -> None:
    async with httpx.AsyncClient(base_url=live.base, timeout=30) as client:
        me = await _me(client, live.admin)
        refused = {}
        for ttl in (0, -1, 366, 1_000_000_000):
            i = {"userId": me, "name": f"ttl{ttl}", "ttlDays": ttl}
            refused[ttl] = (await post(client, live.admin, CREATE_TOKEN, {"i": i})).json()
        default = {"userId": me, "name": "default"}
        made = (await post(client, live.admin, CREATE_TOKEN, {"i": default})).json()
        longest = {"userId": me, "name": "longest", "ttlDays": 365}
        most = (await post(client, live.admin, CREATE_TOKEN, {"i": longest})).json()
        names = (await post(client, live.admin, "{ apiTokens { name } }")).json()
    for ttl, body in refused.items():
        _never_internal(body)
        payload = body["data"]["createApiToken"]
        assert (payload["apiToken"], payload["secret"]) == (None, None)
        assert payload["userErrors"] == [
            {
                "code": "INVALID_VALUE",
                "field": "ttlDays",
                "message": f"ttlDays must be between 1 and 365 (got {ttl})",
            }
        ]
    assert 89.9 < _expires_in_days(made["data"]["createApiToken"]["apiToken"]["expiresAt"]) <= 90
    assert 364.9 < _expires_in_days(most["data"]["createApiToken"]["apiToken"]["expiresAt"]) <= 365
    assert sorted(t["name"] for t in names["data"]["apiTokens"]) == [
        "cli:owner@example.com",
        "default",
        "longest",
    ]


@pytest.fixture
async def quiet(settings: Settings, clean_db: Database) -> AsyncIterator[Live]:
    """A server with introspection off, logging its access lines (stderr kept for the test)."""
    async with clean_db.transaction() as tx:
        admin = await issue_admin_token(tx, login_id="owner@example.com", role="owner")
    proc, base = start_server(
        settings,
        ROSTER_GRAPHQL_INTROSPECTION="false",
        ROSTER_ACCESS_LOG="true",
        ROSTER_LOG_LEVEL="info",
    )
    live = Live(base, "", admin, settings)
    live.proc = proc  # type: ignore[attr-defined]
    try:
        yield live
    finally:
        if proc.poll() is None:
            stop_server(proc)


SUGGESTING = [
    ("mutation { createUsr { __typename } }", {}, "Cannot query field 'createUsr'"),
    ("{ users(frist: 1) { totalCount } }", {}, "Unknown argument 'frist'"),
    ("query($f: UserFiltr) { users(filter: $f) { totalCount } }", {}, "Unknown type 'UserFiltr'"),
    ("{ users(orderBy: {field: LOGIN}) { totalCount } }", {}, "Value 'LOGIN' does not exist"),
    (
        "query($o: UserOrder) { users(orderBy: $o) { totalCount } }",
        {"o": {"field": "LOGIN"}},
        "Value 'LOGIN' does not exist",
    ),
    (
        "mutation($i: CreateUserInput!) { createUser(input: $i) { userErrors { code } } }",
        {"i": {"loginI": "x@example.com"}},
        "not to include unknown field 'loginI'",
    ),
]


async def _messages(base: str, token: str) -> list[str]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        out = []
        for query, variables, expected in SUGGESTING:
            body = (await post(client, token, query, variables)).json()
            messages = [e["message"] for e in body["errors"]]
            assert any(expected in m for m in messages), (query, body)
            out += [m for m in messages if expected in m]
        return out


async def test_no_suggestions_name_the_schema_while_introspection_is_off(quiet: Live) -> None:
    messages = await _messages(quiet.base, quiet.admin)
    assert [m for m in messages if "Did you mean" in m] == []


async def test_suggestions_help_while_introspection_is_on(live: Live) -> None:
    messages = await _messages(live.base, live.admin)
    assert all("Did you mean" in m for m in messages), messages


async def test_one_request_id_per_response_the_one_logged(quiet: Live) -> None:
    async with httpx.AsyncClient(base_url=quiet.base, timeout=30) as client:
        mine = await client.post(
            "/graphql",
            json={"query": "{ viewer { loginId } }"},
            headers={"Authorization": f"Bearer {quiet.admin}", "X-Request-ID": "attack-42"},
        )
        fresh = await post(client, quiet.admin, "{ viewer { loginId } }")
        refused = await client.post("/graphql", json={"query": "{ viewer { loginId } }"})
    assert mine.headers.get_list("x-request-id") == ["attack-42"]
    (fresh_id,) = fresh.headers.get_list("x-request-id")
    (refused_id,) = refused.headers.get_list("x-request-id")
    proc = quiet.proc  # type: ignore[attr-defined]
    proc.terminate()
    _, stderr = proc.communicate(timeout=30)
    lines = [json.loads(x) for x in stderr.splitlines() if x.startswith("{")]
    logged = {x["request_id"] for x in lines if x.get("path") == "/graphql"}
    assert {"attack-42", fresh_id, refused_id} <= logged


async def test_cli_admin_tokens_expire_within_the_maximum(
    settings: Settings, clean_db: Database
) -> None:
    base = ("token", "create-admin", "--login", "cli@example.com", "--ttl-days")
    for bad in ("0", "-3", "366"):
        done = roster(settings, *base, bad)
        assert (done.returncode, done.stdout) == (2, "")
        assert done.stderr == f"roster: --ttl-days must be between 1 and 365 (got {bad})\n"
    made = [roster(settings, *base, "7"), roster(settings, *base[:-1])]
    assert [m.returncode for m in made] == [0, 0], [m.stderr for m in made]
    async with clean_db.transaction() as tx:
        rows = await tx.fetch(
            "SELECT t.expires_at FROM api_tokens t JOIN users u ON u.id = t.user_id"
            " WHERE u.login_id = :login ORDER BY t.created_at",
            {"login": "cli@example.com"},
        )
    assert [round(_expires_in_days(r["expires_at"])) for r in rows] == [7, 90]
