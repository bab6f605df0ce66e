"""POST /Bulk (RFC 7644 §3.7): many writes in one request, each in its own savepoint.

- The request is one transaction; each operation runs in a savepoint of it through the same
  handler function a single request uses (`app.scim.users`, `app.scim.groups`), and records
  its own provisioning event. A failed operation changes nothing of its own; the others commit.
- Limits (§3.7.4, announced in ServiceProviderConfig): at most ``maxOperations`` operations and
  ``maxPayloadSize`` bytes, else 413 with a detail naming the limit (the RFC's example carries
  no scimType, and §3.12 defines none for 413).
- ``bulkId`` (§3.7.2): a POST names the resource it creates; other operations use it as
  ``bulkId:<id>`` in their path or as any whole string value of their data (``members[].value``,
  ``manager.value``). An operation waits until the operations whose bulkIds it uses are done, so
  references may point forward. A bulkId no operation defines answers 400 invalidValue; one whose
  POST failed, and a cycle of references, answer 409 (§3.7.1 lets a service provider stop there).
- ``failOnErrors``: processing stops once that many operations have failed; the response lists
  the operations processed, in request order. Results carry ``location``, ``version`` and
  ``status`` (a string, as in the RFC's examples) and, for a failure, the Error as ``response``;
  successful ones carry no resource body (§3.7: the server MAY omit it), so no resource is
  rendered or re-read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from app.scim.body import parse_json, read_body
from app.scim.bulk_request import (
    METHODS,
    PREFIX,
    BulkOp,
    read_envelope,
    resolve,
    resolve_path,
    target,
)
from app.scim.errors import ScimError, error_body, invalid_value
from app.scim.params import expected_version
from app.scim.pipeline import Call, Op, Session, Written, write_in_savepoint, write_many
from app.scim.projection import projection
from app.scim.wire import scim_json
from app.scim.writes import WORK

RESPONSE_URN = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
_NO_PROJECTION = projection(None, None, ())


@dataclass(slots=True)
class Outcome:
    """What became of one operation."""

    op: BulkOp
    result: Written | ScimError
    location: str | None


def _refusal(err: ScimError) -> Callable[[Session], Awaitable[Written]]:
    async def refuse(_session: Session) -> Written:
        raise err

    return refuse


class _Run:
    """The operations of one request, run in dependency order (see the module docstring)."""

    def __init__(self, call: Call, session: Session, fail_on_errors: int | None) -> None:
        self.call, self.session, self.fail_on_errors = call, session, fail_on_errors
        self.owner: dict[str, int] = {}  # bulkId -> index of the POST defining it
        self.ids: dict[str, str] = {}  # bulkId -> id of the resource created
        self.failed: set[str] = set()
        self.errors = 0
        self.outcomes: list[Outcome] = []

    @property
    def stopped(self) -> bool:
        return self.fail_on_errors is not None and self.errors >= self.fail_on_errors

    def waiting(self, op: BulkOp) -> list[str]:
        """The bulkIds ``op`` uses whose POST has not run yet."""
        return sorted(
            r for r in op.refs if r in self.owner and r not in self.ids and r not in self.failed
        )

    async def all(self, ops: list[BulkOp]) -> None:
        for op in ops:
            if op.method == "POST" and op.bulk_id:
                if op.bulk_id in self.owner and op.error is None:
                    op.error = invalid_value(f"bulkId {op.bulk_id!r} is not unique in the request")
                self.owner.setdefault(op.bulk_id, op.index)
        pending = list(ops)
        while pending and not self.stopped:
            ready = next((op for op in pending if op.error or not self.waiting(op)), None)
            if ready is None:  # every remaining operation waits on another: cycles
                for op in pending:
                    cycle = ", ".join(self.waiting(op))
                    op.error = ScimError(409, f"circular bulkId references (waits on {cycle})")
                ready = pending[0]
            pending.remove(ready)
            await self.one(ready)

    def check(self, op: BulkOp) -> ScimError | None:
        if op.error is not None:
            return op.error
        missing = sorted(op.refs - self.owner.keys())
        if missing:
            return invalid_value(f"no operation of the request defines bulkId {missing[0]!r}")
        lost = sorted(op.refs & self.failed)
        if lost:
            return ScimError(409, f"the operation defining bulkId {lost[0]!r} failed")
        return None

    async def one(self, op: BulkOp) -> None:
        err = self.check(op)
        path = op.path if err else resolve_path(op.path, self.ids)
        found = target(path)
        method = op.method if op.method in METHODS else "POST"
        resource_id = found[1] if found and not (found[1] or "").startswith(PREFIX) else None
        if err is None and found is not None:
            handler = WORK[(op.method, found[0])]
            data = resolve(op.data, self.ids)
            version = expected_version(op.version)
            todo = Op(resource_id, self.call.base, _NO_PROJECTION, version, data=data, render=False)
            work: Callable[[Session], Awaitable[Written]] = lambda s: handler(s, todo)  # noqa: E731
        else:
            work = _refusal(err or invalid_value(f"cannot run {op.method} {op.path}"))
        what = (method, op.resource_type, resource_id)
        result = await write_in_savepoint(self.call, self.session, what, work, sent=op.data)
        self.record(op, result, path)

    def record(self, op: BulkOp, result: Written | ScimError, path: str) -> None:
        owns = op.bulk_id is not None and self.owner.get(op.bulk_id) == op.index
        location: str | None = None
        if isinstance(result, ScimError):
            self.errors += 1
            if owns:
                self.failed.add(op.bulk_id or "")
        else:
            location = result.response.headers.get("location")
            if owns and result.resource_id:
                self.ids[op.bulk_id or ""] = result.resource_id
        if location is None and op.method != "POST" and PREFIX not in path:
            location = f"{self.call.base}/{path.strip().strip('/')}"
        self.outcomes.append(Outcome(op, result, location))


def result_doc(outcome: Outcome) -> dict[str, Any]:
    """One entry of the BulkResponse's Operations."""
    op, result = outcome.op, outcome.result
    doc: dict[str, Any] = {"method": op.method}
    if op.bulk_id is not None:
        doc["bulkId"] = op.bulk_id
    if outcome.location is not None:
        doc["location"] = outcome.location
    if isinstance(result, ScimError):
        doc["status"] = str(result.status)
        doc["response"] = error_body(result)
        return doc
    version = result.response.headers.get("etag")
    if version is not None:
        doc["version"] = version
    doc["status"] = str(result.response.status_code)
    return doc


async def bulk(call: Call) -> Response:
    """POST /Bulk: 200 with a BulkResponse, whatever became of each operation."""
    limit = call.settings.scim_bulk_max_payload_bytes
    try:
        raw = await read_body(call, limit)
    except ScimError as exc:
        if exc.status != 413:
            raise
        raise ScimError(413, f"the request is larger than maxPayloadSize ({limit} bytes)") from None

    async def work(s: Session) -> list[Outcome]:
        ops, fail_on_errors = read_envelope(parse_json(raw), call.settings)
        run = _Run(call, s, fail_on_errors)
        await run.all(ops)
        return run.outcomes

    outcomes = sorted(await write_many(call, work), key=lambda o: o.op.index)
    return scim_json({"schemas": [RESPONSE_URN], "Operations": [result_doc(o) for o in outcomes]})
