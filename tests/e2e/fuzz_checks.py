"""Schemathesis checks of our own, loaded by `st` through ``SCHEMATHESIS_HOOKS``.

Schemathesis' own ``not_a_server_error`` treats every GraphQL ``errors`` entry as a server
error, but Roster answers expected refusals of queries (a bad id, a page over the cap) as
errors with a domain code, by design (docs/architecture.md). What must never happen is a 5xx,
an error the ErrorPolicy masked (``INTERNAL``: a resolver crashed), or an error that escaped
it unmasked (a resolver's exception text, with no code).
"""

from __future__ import annotations

import json
from typing import Any

import schemathesis

from app import errors

# Codes a client may see: the domain's, and the authentication answers of app.graphql.app.
EXPECTED_CODES = frozenset(
    {
        c.code
        for c in vars(errors).values()
        if isinstance(c, type) and issubclass(c, errors.RosterError)
    }
    - {errors.RosterError.code}
    | {"UNAUTHENTICATED", "FORBIDDEN", "UNAVAILABLE"}
)
_LEAKS = ("Traceback (most recent call last)", 'File "/', "Error(", "Exception(")


def problems(status: int, body: Any) -> list[str]:
    """What is wrong with one GraphQL answer (empty when nothing is)."""
    if status >= 500:
        return [f"HTTP {status}"]
    if not isinstance(body, dict):
        return ["the body is not a JSON object"]
    found = []
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        message = str(error.get("message", ""))
        if code == errors.RosterError.code:
            found.append(f"masked internal error (a resolver crashed): {message}")
        elif "path" in error and code not in EXPECTED_CODES:
            found.append(f"unmasked resolver error without a domain code: {message}")
        elif any(leak in message for leak in _LEAKS):
            found.append(f"internal details in an error message: {message}")
    return found


@schemathesis.check
def graphql_errors_are_expected(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
) -> bool | None:
    """No 5xx, no masked or unmasked internal error; expected refusals carry a domain code."""
    try:
        body = json.loads(response.content) if response.content else None
    except ValueError:
        body = None
    found = problems(response.status_code, body)
    if found:
        raise AssertionError("; ".join(found))
    return None
