"""Reading a Bulk request (RFC 7644 §3.7): the envelope, each operation, ``bulkId`` references.

An operation that cannot run at all (unknown method, a path that names no resource, a POST
without bulkId, missing data) is read with its `error`, so it fails alone (§3.7.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.scim.errors import ScimError, invalid_syntax, invalid_value
from app.settings import Settings

REQUEST_URN = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
PREFIX = "bulkId:"
METHODS = ("POST", "PUT", "PATCH", "DELETE")
TYPES = {"Users": "User", "Groups": "Group"}


def _get(doc: dict[str, Any], name: str) -> Any:
    """An attribute by name; SCIM attribute names are case-insensitive (RFC 7643 §2.1)."""
    lowered = name.lower()
    return next((v for k, v in doc.items() if k.lower() == lowered), None)


def target(path: str) -> tuple[str, str | None] | None:
    """(endpoint, id) of an operation path such as ``/Users`` or ``/Groups/abc``."""
    endpoint, _, rest = path.strip().strip("/").partition("/")
    if endpoint not in TYPES or "/" in rest:
        return None
    return endpoint, rest or None


def _refs(value: Any) -> set[str]:
    """The bulkIds a value refers to (whole strings ``bulkId:<id>``)."""
    if isinstance(value, str):
        return {value[len(PREFIX) :]} if value.startswith(PREFIX) else set()
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return set().union(*(_refs(v) for v in items)) if items else set()


def _path_ref(path: str) -> set[str]:
    """The bulkId a path such as ``/Users/bulkId:qwerty`` names."""
    found = target(path)
    rid = found[1] if found else None
    return {rid[len(PREFIX) :]} if rid and rid.startswith(PREFIX) else set()


def resolve_path(path: str, ids: dict[str, str]) -> str:
    found = target(path)
    if found is None or not found[1] or not found[1].startswith(PREFIX):
        return path
    return f"/{found[0]}/{ids[found[1][len(PREFIX) :]]}"


def resolve(value: Any, ids: dict[str, str]) -> Any:
    """``value`` with every ``bulkId:<id>`` replaced by the id of the resource created."""
    if isinstance(value, str):
        return ids[value[len(PREFIX) :]] if value.startswith(PREFIX) else value
    if isinstance(value, dict):
        return {k: resolve(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, ids) for v in value]
    return value


@dataclass(slots=True)
class BulkOp:
    """One operation as read from the request; ``error`` when it cannot run at all."""

    index: int
    method: str
    path: str
    bulk_id: str | None
    version: str | None
    data: Any
    refs: frozenset[str]
    error: ScimError | None = None

    @property
    def resource_type(self) -> str:
        """The resource type the path names, for its provisioning event."""
        found = target(self.path)
        return TYPES[found[0]] if found else "Bulk"


def _problem(op: BulkOp) -> ScimError | None:
    if op.method not in METHODS:
        return invalid_value(f"method must be POST, PUT, PATCH or DELETE, not {op.method!r}")
    found = target(op.path)
    if found is None:
        return ScimError(400, f"no Bulk operation applies to path {op.path!r}", "invalidPath")
    if (op.method == "POST") != (found[1] is None):
        want = "an endpoint (/Users, /Groups)" if op.method == "POST" else "a resource"
        return ScimError(400, f"{op.method} needs {want} as path, not {op.path!r}", "invalidPath")
    if op.method == "POST" and not op.bulk_id:
        return invalid_value("bulkId is required for POST operations (RFC 7644 §3.7)")
    if op.method != "DELETE" and not isinstance(op.data, dict):
        return invalid_value(f"data is required for {op.method} and must be an object")
    return None


def read_op(index: int, raw: Any) -> BulkOp:
    """One operation of the request, checked as far as it can be before it runs."""
    if not isinstance(raw, dict):
        error = invalid_syntax("each operation must be a JSON object")
        return BulkOp(index, "POST", "", None, None, None, frozenset(), error)
    path, bulk_id, version = (_get(raw, n) for n in ("path", "bulkId", "version"))
    data = _get(raw, "data")
    op_path = path if isinstance(path, str) else ""
    op = BulkOp(
        index,
        str(_get(raw, "method") or "").upper(),
        op_path,
        bulk_id if isinstance(bulk_id, str) else None,
        version if isinstance(version, str) else None,
        data,
        frozenset(_path_ref(op_path) | _refs(data)),
    )
    op.error = _problem(op)
    return op


def read_envelope(doc: Any, settings: Settings) -> tuple[list[BulkOp], int | None]:
    """The operations and failOnErrors; raises 400, or 413 beyond maxOperations."""
    if not isinstance(doc, dict):
        raise invalid_syntax("the request body must be a BulkRequest object")
    schemas = _get(doc, "schemas")
    if schemas is not None and REQUEST_URN not in (schemas if isinstance(schemas, list) else []):
        raise invalid_value(f"schemas must be [{REQUEST_URN!r}]")
    ops, fail = _get(doc, "Operations"), _get(doc, "failOnErrors")
    if not isinstance(ops, list):
        raise invalid_syntax("Operations is required and must be an array")
    limit = settings.scim_bulk_max_operations
    if len(ops) > limit:
        raise ScimError(413, f"the request has {len(ops)} operations; maxOperations is {limit}")
    if fail is not None and (isinstance(fail, bool) or not isinstance(fail, int) or fail < 1):
        raise invalid_value("failOnErrors must be a positive integer")
    return [read_op(i, raw) for i, raw in enumerate(ops)], fail
