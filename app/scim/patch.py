"""The PATCH engine for Users (RFC 7644 §3.5.2).

Operations apply, in order, to the in-memory SCIM representation of one user (a few hundred
bytes); the handler then maps the result and hands the domain only the attributes that changed.
All operations of a request succeed or the request fails as a whole. Group membership is not
patched here: `app.scim.group_patch` turns member operations into set operations in SQL.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.scim.errors import invalid_path, invalid_value, mutability, no_target
from app.scim.extras import MULTI_VALUED
from app.scim.mapping import UserMapping
from app.scim.patch_paths import Operation, Path, eq_pairs, matches, parse_path
from app.scim.wire import ENTERPRISE_URN, ROSTER_URN

READ_ONLY = frozenset({"id", "meta", "groups", "schemas"})
# Required in the User schema: a PATCH may change them but never unassign them (RFC 7644
# §3.5.2.2, RFC 7643 §2.2). A user is deactivated with active=false.
REQUIRED = {"userName": "", "active": ": replace it with false to deactivate the user"}
# RFC 7643 User attributes Roster does not store: accepted and ignored, like `password`.
IGNORED = frozenset({"password", "roles", "ims", "photos", "entitlements", "x509certificates"})


@dataclass(frozen=True, slots=True)
class UserShape:
    """The attribute names a User resource may carry, by schema (None = core)."""

    names: Mapping[str | None, Mapping[str, str]]  # lower-case name -> canonical name
    urns: tuple[str, ...]

    @classmethod
    def of(cls, mapping: UserMapping) -> UserShape:
        """Core identity attributes plus every attribute the catalogue maps."""
        names: dict[str | None, dict[str, str]] = {
            None: {n.lower(): n for n in ("userName", "externalId", "active")}
        }
        names.update({ENTERPRISE_URN: {}, ROSTER_URN: {}})
        for slot in mapping.slots:
            names.setdefault(slot.urn, {})[slot.attr.lower()] = slot.attr
        return cls(names, tuple(u for u in names if u is not None))


def apply_user_patch(
    doc: Mapping[str, Any], ops: Sequence[Operation], shape: UserShape
) -> dict[str, Any]:
    """A new document with every operation applied; raises ScimError, leaving ``doc`` as is."""
    result = copy.deepcopy(dict(doc))
    by_lower = {u.lower(): u for u in shape.urns}
    for op in ops:
        if op.path is None:
            # dialects.normalise_patch expands no-path add/replace into one op per attribute
            raise no_target(f"{op.op} without a path must carry an object value")
        if op.op == "remove" and op.path.lower() in by_lower:
            result.pop(by_lower[op.path.lower()], None)  # the whole extension
            continue
        path = parse_path(op.path, shape.urns)
        attr = _canonical(path, shape)
        if attr is None:
            continue
        _refuse_unassigning(path, attr, op)
        holder = _holder(result, path.urn, create=op.op != "remove")
        if holder is None:
            continue
        if path.filter is not None:
            _on_filtered(holder, attr, path, op)
        elif path.sub is not None:
            _on_sub(holder, attr, path.sub, op)
        else:
            _on_attr(holder, attr, op)
    return result


def _canonical(path: Path, shape: UserShape) -> str | None:
    lowered = path.attr.lower()
    if path.urn is None and lowered in READ_ONLY:
        raise mutability(f"{path.attr} is read-only")
    if path.urn is None and lowered in IGNORED:
        return None
    known = shape.names.get(path.urn, {})
    if lowered not in known:
        where = f" of {path.urn}" if path.urn else ""
        raise invalid_path(f"{path.attr!r} is not an attribute{where} that Roster maps")
    return known[lowered]


def _refuse_unassigning(path: Path, attr: str, op: Operation) -> None:
    whole = path.urn is None and path.filter is None and path.sub is None
    if whole and attr in REQUIRED and (op.op == "remove" or op.value is None):
        raise mutability(f"{attr} is required and cannot be removed{REQUIRED[attr]}")


def _holder(doc: dict[str, Any], urn: str | None, *, create: bool) -> dict[str, Any] | None:
    if urn is None:
        return doc
    ext = doc.get(urn)
    if ext is None and create:
        ext = doc[urn] = {}
    if ext is not None and not isinstance(ext, dict):
        raise invalid_value(f"{urn} must be an object")
    return ext


def _as_list(attr: str, value: Any) -> list[Any]:
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(i, dict) for i in items):
        raise invalid_value(f"{attr} must be a list of objects")
    return items


def _on_attr(holder: dict[str, Any], attr: str, op: Operation) -> None:
    if op.op == "remove" or op.value is None:
        holder.pop(attr, None)
        return
    current = holder.get(attr)
    if attr in MULTI_VALUED:
        items = _as_list(attr, op.value)
        base = list(current) if op.op == "add" and isinstance(current, list) else []
        holder[attr] = base + [i for i in items if i not in base]
    elif isinstance(op.value, dict) and isinstance(current, dict):
        # A complex attribute: sub-attributes not named are left unchanged (§3.5.2.3).
        holder[attr] = {**current, **op.value}
    else:
        holder[attr] = op.value


def _on_sub(holder: dict[str, Any], attr: str, sub: str, op: Operation) -> None:
    current = holder.get(attr)
    if isinstance(current, list) or attr in MULTI_VALUED:
        raise invalid_path(f"{attr}.{sub} needs a value filter: {attr}[type eq ...].{sub}")
    if op.op == "remove" or op.value is None:
        if isinstance(current, dict):
            current.pop(sub, None)
            if not current:
                holder.pop(attr, None)
        return
    if not isinstance(current, dict):
        current = holder[attr] = {}
    current[sub] = op.value


def _select(holder: dict[str, Any], attr: str, path: Path, op: Operation) -> list[Any]:
    """The matching elements; a missing one is created for add/replace when the filter is
    a conjunction of ``eq`` (Entra's "Replace Attributes Verbose" targets elements that do
    not exist yet), else noTarget (RFC 7644 §3.5.2)."""
    assert path.filter is not None
    elements = holder.get(attr) or []
    if not isinstance(elements, list):
        raise invalid_path(f"{attr} is not multi-valued")
    chosen = [e for e in elements if isinstance(e, dict) and matches(path.filter, e)]
    if chosen:
        return chosen
    seed = eq_pairs(path.filter) if op.op != "remove" else None
    if seed is None:
        raise no_target(f"{op.path} matches no value")
    holder[attr] = [*elements, dict(seed)]
    return [holder[attr][-1]]


def _on_filtered(holder: dict[str, Any], attr: str, path: Path, op: Operation) -> None:
    chosen = _select(holder, attr, path, op)
    if op.op == "remove" and path.sub is None:
        holder[attr] = [e for e in holder[attr] if not any(e is c for c in chosen)]
    for element in chosen if path.sub is not None or op.op != "remove" else []:
        if path.sub is None:
            if not isinstance(op.value, dict):
                raise invalid_value(f"{op.path} takes an object value")
            element.update(op.value)
        elif op.op == "remove" or op.value is None:
            element.pop(path.sub, None)
        else:
            element[path.sub] = op.value
    if not holder.get(attr):
        holder.pop(attr, None)
