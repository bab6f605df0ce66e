"""`roster token list|revoke`, `--version` and the choices in `--help`: real processes, both
engines."""

from __future__ import annotations

import json
import re
from importlib.metadata import version
from typing import Any

from app.admin_cli.commands import AUTH_PROVIDERS
from app.cli import AUTH_TYPES
from app.domain.types import AuthType
from app.settings import Settings
from tests.test_cli import cli_db, roster

__all__ = ["cli_db"]  # the fixture, imported for these tests

STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"
ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


class Like:
    """Equal to any string matching a pattern."""

    __hash__ = None  # type: ignore[assignment]

    def __init__(self, pattern: str) -> None:
        self.pattern = re.compile(pattern)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and self.pattern.fullmatch(other) is not None

    def __repr__(self) -> str:
        return f"Like({self.pattern.pattern!r})"


def _listed(settings: Settings) -> list[dict[str, Any]]:
    done = roster(settings, "token", "list", "--json")
    assert done.returncode == 0, done.stderr
    rows: list[dict[str, Any]] = json.loads(done.stdout)
    return rows


def _token(kind: str, name: str, owner: str, state: str = "ACTIVE") -> dict[str, Any]:
    return {
        "id": Like(ID),
        "name": name,
        "kind": kind,
        "owner": owner,
        "state": state,
        "created_at": Like(STAMP),
        "expires_at": Like(STAMP),
        "last_used_at": None,
    }


def test_token_list_shows_both_kinds_without_secrets_and_revoke_takes_a_name_or_id(
    cli_db: Settings,
) -> None:
    admin = roster(cli_db, "token", "create-admin", "--login", "ops@example.com").stdout.strip()
    okta = roster(cli_db, "token", "create-scim", "--name", "okta").stdout.strip()
    spare = roster(cli_db, "token", "create-scim", "--name", "spare").stdout.strip()
    third = roster(cli_db, "token", "create-scim", "--name", "third")
    assert (third.returncode, third.stdout, third.stderr) == (
        1,
        "",
        "roster: at most 2 active SCIM tokens may exist: revoke one first (`roster token list`"
        " shows them, `roster token revoke NAME` revokes one)\n",
    )
    assert _listed(cli_db) == [
        _token("scim", "spare", "system"),
        _token("scim", "okta", "system"),
        _token("admin", "cli:ops@example.com", "ops@example.com"),
    ]
    table = roster(cli_db, "token", "list")
    assert table.returncode == 0
    lines = table.stdout.splitlines()
    assert lines[0] == (
        "ID"
        + " " * 36
        + "NAME"
        + " " * 17
        + "KIND   OWNER"
        + " " * 12
        + "STATE   CREATED"
        + " " * 22
        + "EXPIRES"
        + " " * 22
        + "LAST USED"
    )
    assert [line.split()[1:5] for line in lines[1:]] == [
        ["spare", "scim", "system", "ACTIVE"],
        ["okta", "scim", "system", "ACTIVE"],
        ["cli:ops@example.com", "admin", "ops@example.com", "ACTIVE"],
    ]
    assert table.stderr == "3 tokens, 3 active\n"
    for secret in (admin, okta, spare):
        assert secret not in table.stdout + table.stderr
        assert secret[-4:] not in json.dumps(_listed(cli_db))  # not even the hint

    by_name = roster(cli_db, "token", "revoke", "okta")
    okta_id = _listed(cli_db)[1]["id"]
    assert (by_name.returncode, by_name.stdout, by_name.stderr) == (
        0,
        "",
        f"revoked SCIM token 'okta' ({okta_id})\n",
    )
    assert roster(cli_db, "token", "create-scim", "--name", "third").returncode == 0
    admin_id = _listed(cli_db)[-1]["id"]
    by_id = roster(cli_db, "token", "revoke", admin_id)
    assert (by_id.returncode, by_id.stderr) == (
        0,
        f"revoked admin API token 'cli:ops@example.com' ({admin_id})\n",
    )
    again = roster(cli_db, "token", "revoke", admin_id)
    assert (again.returncode, again.stderr) == (
        0,
        f"was already revoked: admin API token 'cli:ops@example.com' ({admin_id})\n",
    )
    assert _listed(cli_db) == [
        _token("scim", "third", "system"),
        _token("scim", "spare", "system"),
        {**_token("scim", "okta", "system", "REVOKED"), "id": okta_id},
        {**_token("admin", "cli:ops@example.com", "ops@example.com", "REVOKED"), "id": admin_id},
    ]
    gone = roster(cli_db, "token", "revoke", "okta")  # only active tokens go by name
    assert (gone.returncode, gone.stderr) == (
        1,
        "roster: no token with id 'okta' and no active token named 'okta';"
        " `roster token list` shows them\n",
    )


def test_a_name_shared_by_active_tokens_must_be_revoked_by_id(cli_db: Settings) -> None:
    for _ in range(2):
        roster(cli_db, "token", "create-admin", "--login", "twice@example.com")
    ids = [t["id"] for t in _listed(cli_db)]
    done = roster(cli_db, "token", "revoke", "cli:twice@example.com")
    assert (done.returncode, done.stdout, done.stderr) == (
        2,
        "",
        "roster: 2 active tokens are named 'cli:twice@example.com': revoke one by id: "
        f"{ids[0]} (admin), {ids[1]} (admin)\n",
    )
    assert {t["state"] for t in _listed(cli_db)} == {"ACTIVE"}


def test_version_is_the_installed_distributions(cli_db: Settings) -> None:
    done = roster(cli_db, "--version")
    assert (done.returncode, done.stdout, done.stderr) == (0, f"roster {version('roster')}\n", "")


def test_help_lists_every_choice_and_the_defaults(cli_db: Settings) -> None:
    assert list(AUTH_TYPES) == [t.value for t in AuthType]
    auth = roster(cli_db, "auth", "configure", "--help").stdout
    assert "one of " + ", ".join(AUTH_TYPES) in " ".join(auth.split())
    # the help cites nothing a user's clone lacks (the reference material outside the repo)
    assert re.search(r"\b[A-Z]+\.md\b|\.\./", auth) is None
    users = " ".join(roster(cli_db, "users", "list", "--help").stdout.split())
    assert "one of " + ", ".join(AUTH_PROVIDERS) in users
    assert "{ACTIVE,INACTIVE}" in users
    admin = " ".join(roster(cli_db, "token", "create-admin", "--help").stdout.split())
    assert "{owner,admin,viewer}" in admin
    assert "lifetime in days (default 90)" in admin
    serve = " ".join(roster(cli_db, "serve", "--help").stdout.split())
    for text in (
        "--host ADDRESS address to listen on (default 127.0.0.1; overrides ROSTER_HOST)",
        "--port PORT TCP port (default 8000; overrides ROSTER_PORT)",
        "--workers N worker processes (default 1; more than one needs PostgreSQL or a SQLite"
        " file in WAL mode; overrides ROSTER_WORKERS)",
    ):
        assert text in serve
    bad = roster(cli_db, "auth", "configure", "--type", "nope")
    assert (bad.returncode, bad.stdout) == (2, "")
    assert "invalid choice: 'NOPE' (choose from 'INTERNAL', 'OKTA'," in bad.stderr
