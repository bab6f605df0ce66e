"""Every IdP dialect fix, in one place, before strict RFC 7644 processing.

Each rule names the client that needs it (see ``idp-wire-shapes.md``); `normalise_resource`
prepares POST/PUT bodies and `normalise_patch` PATCH bodies. After these steps the handlers
see RFC-shaped documents only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.scim.attributes import IGNORED, Vocabulary
from app.scim.errors import invalid_syntax, invalid_value
from app.scim.extras import MULTI_VALUED
from app.scim.patch_paths import Operation
from app.scim.wire import (
    ENTERPRISE_TYPO,
    ENTERPRISE_URN,
    GROUP_URN,
    MS_GROUP_URN,
    PATCH_URN,
    ROSTER_URN,
    USER_URN,
)

OPS = ("add", "replace", "remove")
# Read-only or never-stored attributes dropped from request bodies: id/meta/groups are
# read-only (RFC 7643 §3.1); the deliberate ignores of `app.scim.attributes.IGNORED` (password,
# roles — Entra's JSON-in-a-string or not — and entitlements) are listed on the event.
DROPPED = {
    "User": ("id", "meta", "groups", *IGNORED),
    "Group": ("id", "meta"),
}
_BOOLEANS = frozenset({"active", "primary"})
_SKIPPED = frozenset({"schemas", "id", "meta", "groups"})  # read-only keys of a no-path value
_EXTENSIONS = frozenset({ENTERPRISE_URN.lower(), ROSTER_URN.lower()})


def _bool(value: Any) -> Any:
    """Entra sends "True"/"False" (legacy dialect, validator POSTs)."""
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _clean(value: Any, key: str = "", *, nulls: bool = False) -> Any:
    """Fix string booleans; drop nulls (Entra's explicit nulls in POST) unless ``nulls`` keeps
    them at this level (a PATCH value's null means "unassign"). Key case is the resolver's
    (`app.scim.attributes`)."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            cleaned = _clean(v, str(k))
            if cleaned is not None or nulls:
                out[str(k)] = cleaned
        return out
    if isinstance(value, list):
        return [c for c in (_clean(v) for v in value) if c is not None]
    return _bool(value) if key.lower() in _BOOLEANS else value


def _manager(value: Any) -> Any:
    """Entra's manager shapes: {value}, a raw id string, "" (= none), an array with $ref."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str):
        return {"value": value} if value.strip() else None
    if isinstance(value, dict):
        # Keys in any case (rule 18): the resolver canonicalises them afterwards.
        value = {k: v for k, v in value.items() if str(k).lower() != "$ref"}
        given = next((v for k, v in value.items() if str(k).lower() == "value"), None)
        return value if given not in (None, "") else None
    return value


def _wrap_multi(doc: dict[str, Any]) -> None:
    """OneLogin sends a single object where the RFC wants a list."""
    for attr in MULTI_VALUED:
        if isinstance(doc.get(attr), dict):
            doc[attr] = [doc[attr]]


def _check_schemas(doc: dict[str, Any], kind: str, urns: Sequence[str]) -> None:
    schemas = doc.get("schemas")
    if not isinstance(schemas, list) or not all(isinstance(s, str) for s in schemas):
        raise invalid_value("schemas must be a list of schema URNs")
    core = USER_URN if kind == "User" else GROUP_URN
    tolerated = {ENTERPRISE_TYPO.lower()} if kind == "User" else {MS_GROUP_URN.lower()}
    allowed = {core.lower(), *(u.lower() for u in urns), *tolerated}
    unknown = [s for s in schemas if s.lower() not in allowed]
    if unknown:
        raise invalid_value(f"unknown schema(s) in schemas: {', '.join(unknown)}")
    if core.lower() not in {s.lower() for s in schemas}:
        raise invalid_value(f"schemas must include {core}")


def _extension_keys(doc: dict[str, Any], urns: Sequence[str]) -> None:
    by_lower = {u.lower(): u for u in urns}
    for key in [k for k in doc if k.lower().startswith("urn:")]:
        urn = by_lower.get(key.lower())
        if key.lower() == ENTERPRISE_TYPO.lower():
            urn = ENTERPRISE_URN
        value = doc.pop(key)
        if urn is not None and isinstance(value, dict) and value:
            doc[urn] = {**doc.get(urn, {}), **value}


def normalise_resource(
    body: Any, vocabulary: Vocabulary, ignored: list[str] | None = None
) -> dict[str, Any]:
    """A POST/PUT body, normalised; raises ScimError on a body no dialect explains, or one
    naming an attribute in no schema. Deliberately ignored attributes sent with a value are
    appended to ``ignored``."""
    if not isinstance(body, dict):
        raise invalid_syntax("the request body must be a JSON object")
    kind, urns = vocabulary.kind, vocabulary.extensions
    doc: dict[str, Any] = _clean(vocabulary.canonical_resource(body))
    _check_schemas(doc, kind, urns)
    for key in DROPPED[kind]:
        if doc.pop(key, None) not in (None, [], "") and key in IGNORED and ignored is not None:
            ignored.append(key)
    _extension_keys(doc, urns)
    _wrap_multi(doc)
    ent = doc.get(ENTERPRISE_URN)
    if isinstance(ent, dict) and "manager" in ent:
        manager = _manager(ent.pop("manager"))
        if manager is not None:
            ent["manager"] = manager
    return doc


def _operations(body: Any) -> list[Any]:
    if not isinstance(body, dict):
        raise invalid_syntax("the request body must be a JSON object")
    schemas = body.get("schemas")
    # Okta sends some group PATCHes without `schemas` (jelhub/scimgateway#113).
    if schemas is not None and PATCH_URN not in (schemas if isinstance(schemas, list) else []):
        raise invalid_value(f"schemas must be [{PATCH_URN!r}]")
    ops = next((v for k, v in body.items() if k.lower() == "operations"), None)
    if not isinstance(ops, list) or not ops:
        raise invalid_value("Operations must be a non-empty list")
    return ops


def _one(raw: Any) -> Operation:
    if not isinstance(raw, dict):
        raise invalid_value("each operation must be an object")
    fields = {k.lower(): v for k, v in raw.items()}
    op = fields.get("op")
    # Entra's legacy dialect capitalises ops (Add/Replace/Remove).
    if not isinstance(op, str) or op.lower() not in OPS:
        raise invalid_value(f"unsupported PATCH op {op!r}: use add, replace or remove")
    path = fields.get("path")
    if path is not None and not isinstance(path, str):
        raise invalid_value("path must be a string")
    path = path.strip() if path and path.strip() else None
    value = _clean(fields.get("value"), nulls=True)
    return Operation(op.lower(), path, value, "value" in fields)


def _leaf(path: str) -> str:
    return path.rsplit(":", 1)[-1].rsplit(".", 1)[-1].split("[", 1)[0].lower()


def _expand(op: Operation, kind: str) -> list[Operation]:
    """A no-path add/replace becomes one op per key; keys may be dotted or URN-qualified."""
    if op.path is not None and op.path.lower() in _EXTENSIONS and op.op != "remove":
        # A path naming an extension schema with an object value: one op per attribute.
        if not isinstance(op.value, dict):
            raise invalid_value(f"{op.path} takes an object value")
        return [
            Operation(op.op, f"{op.path}:{k}", v, True)
            for k, v in op.value.items()
            if k.lower() != "schemas"
        ]
    if op.path is not None or op.op == "remove":
        return [op]
    if not isinstance(op.value, dict):
        raise invalid_value(f"{op.op} without a path needs an object value")
    out: list[Operation] = []
    for key, value in op.value.items():
        if key.lower() in _SKIPPED:
            continue  # Okta's no-path replace carries the read-only id
        if key.lower() in _EXTENSIONS and isinstance(value, dict):
            out += [
                Operation(op.op, f"{key}:{k}", v, True)
                for k, v in value.items()
                if k.lower() != "schemas"
            ]
        else:
            out.append(Operation(op.op, key, value, True))
    return out


_MANAGER_PATHS = frozenset(
    p.lower()
    # Entra's documented path omits the URN; `.value` of an id is the manager itself.
    for p in ("manager", "manager.value", f"{ENTERPRISE_URN}:manager.value")
)


def _is_ignored(path: str, ignored: list[str] | None) -> bool:
    """password and roles: dropped before any parse (Entra's roles paths are never stored)."""
    leaf = _leaf(path)
    if leaf in ("password", "roles") or path.lower().startswith("roles"):
        if ignored is not None:
            ignored.append(path)
        return True
    return False


def _fix_user_op(op: Operation, ignored: list[str] | None) -> Operation | None:
    if op.path is None:
        return op  # a remove without a path: the PATCH engine answers noTarget
    path, leaf = op.path, _leaf(op.path)
    if _is_ignored(path, ignored):
        return None
    if path.lower() in _MANAGER_PATHS:
        path = f"{ENTERPRISE_URN}:manager"
    value = op.value
    if path.lower().endswith(":manager") and op.op != "remove":
        value = _manager(value)
        if value is None:
            return Operation("remove", path)
    elif leaf in _BOOLEANS:
        value = _bool(value)
    if leaf in {m.lower() for m in MULTI_VALUED} and isinstance(value, dict):
        value = [value]
    return Operation(op.op, path, value, op.has_value)


def _bare_members(op: Operation) -> Operation:
    """Microsoft's SCIM reference tests add members as a bare id or a list of bare ids:
    read as ``[{"value": id}]``."""
    if op.path is None or op.path.lower() != "members":
        return op
    value = op.value
    if isinstance(value, str) or (
        isinstance(value, list) and value and all(isinstance(v, str) for v in value)
    ):
        items = value if isinstance(value, list) else [value]
        return Operation(op.op, op.path, [{"value": v} for v in items], op.has_value)
    return op


def normalise_patch(body: Any, kind: str, ignored: list[str] | None = None) -> list[Operation]:
    """The operations of a PatchOp body in RFC form; raises ScimError. Operations on
    attributes deliberately ignored are dropped and their paths appended to ``ignored``."""
    ops = [e for raw in _operations(body) for e in _expand(_one(raw), kind)]
    if kind == "Group":
        return [_bare_members(op) for op in ops]
    return [fixed for op in ops if (fixed := _fix_user_op(op, ignored)) is not None]
