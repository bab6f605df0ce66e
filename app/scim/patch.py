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

from app.scim.attributes import IGNORED, Attr, Vocabulary
from app.scim.errors import invalid_path, invalid_value, mutability, no_target
from app.scim.mapping import UserMapping
from app.scim.patch_paths import Operation, Path, eq_pairs, matches, parse_path

READ_ONLY = frozenset({"id", "meta", "groups", "schemas"})
# Required in the User schema: a PATCH may change them but never unassign them (RFC 7644
# §3.5.2.2, RFC 7643 §2.2). A user is deactivated with active=false.
REQUIRED = {"userName": "", "active": ": replace it with false to deactivate the user"}


@dataclass(frozen=True, slots=True)
class UserShape:
    """The attributes a User resource may carry: the catalogue's `Vocabulary`."""

    vocabulary: Vocabulary

    @property
    def urns(self) -> tuple[str, ...]:
        """The extension schema URNs, canonical."""
        return self.vocabulary.extensions

    @classmethod
    def of(cls, mapping: UserMapping) -> UserShape:
        """The RFC 7643 User and enterprise schemas plus the catalogue's custom attributes."""
        return cls(mapping.vocabulary)


def apply_user_patch(
    doc: Mapping[str, Any],
    ops: Sequence[Operation],
    shape: UserShape,
    ignored: list[str] | None = None,
) -> dict[str, Any]:
    """A new document with every operation applied; raises ScimError, leaving ``doc`` as is.
    Operations on deliberately ignored attributes (`IGNORED`) are appended to ``ignored``."""
    result = copy.deepcopy(dict(doc))
    vocabulary = shape.vocabulary
    for op in ops:
        if op.path is None:
            # dialects.normalise_patch expands no-path add/replace into one op per attribute
            raise no_target(f"{op.op} without a path must carry an object value")
        whole = vocabulary.urn(op.path)
        if op.op == "remove" and whole is not None and whole != vocabulary.core:
            result.pop(whole, None)  # the whole extension
            continue
        path, found = _resolved(op, vocabulary)
        if found is None:
            if ignored is not None:
                ignored.append(op.path)
            continue
        _apply(result, path, found, op, vocabulary)
    return result


def _apply(
    result: dict[str, Any], path: Path, found: Attr, op: Operation, vocabulary: Vocabulary
) -> None:
    """One operation on a resolved path; its value's keys in canonical spelling."""
    value = op.value
    if path.sub is None:
        value = vocabulary.value(found, value, str(op.path), element=path.filter is not None)
    op = Operation(op.op, op.path, value, op.has_value)
    _refuse_unassigning(path, found.name, op)
    holder = _holder(result, path.urn, create=op.op != "remove")
    if holder is None:
        return
    if path.filter is not None:
        _on_filtered(holder, found, path, op)
    elif path.sub is not None:
        _on_sub(holder, found, path.sub, op)
    else:
        _on_attr(holder, found, op)


def _resolved(op: Operation, vocabulary: Vocabulary) -> tuple[Path, Attr | None]:
    """The path in canonical spelling and its attribute; None for an ignored attribute."""
    assert op.path is not None
    path = parse_path(op.path, vocabulary.extensions)
    found, sub = vocabulary.resolve(path, op.path)
    if path.urn is None and found.name in READ_ONLY:
        raise mutability(f"{path.attr} is read-only")
    canonical = Path(path.urn, found.name, path.filter, sub)
    return canonical, None if path.urn is None and found.name in IGNORED else found


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


def _on_attr(holder: dict[str, Any], found: Attr, op: Operation) -> None:
    attr = found.name
    if op.op == "remove" or op.value is None:
        holder.pop(attr, None)
        return
    current = holder.get(attr)
    if found.multi:
        items = _as_list(attr, op.value)
        base = list(current) if op.op == "add" and isinstance(current, list) else []
        holder[attr] = base + [i for i in items if i not in base]
    elif isinstance(op.value, dict) and isinstance(current, dict):
        # A complex attribute: sub-attributes not named are left unchanged (§3.5.2.3).
        holder[attr] = {**current, **op.value}
    else:
        holder[attr] = op.value


def _on_sub(holder: dict[str, Any], found: Attr, sub: str, op: Operation) -> None:
    attr = found.name
    current = holder.get(attr)
    if isinstance(current, list) or found.multi:
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


def _select(holder: dict[str, Any], found: Attr, path: Path, op: Operation) -> list[Any]:
    """The matching elements; a missing one is created for add/replace when the filter is
    a conjunction of ``eq`` (Entra's "Replace Attributes Verbose" targets elements that do
    not exist yet), else noTarget (RFC 7644 §3.5.2)."""
    assert path.filter is not None
    attr = found.name
    elements = holder.get(attr) or []
    if not isinstance(elements, list):
        raise invalid_path(f"{attr} is not multi-valued")
    chosen = [e for e in elements if isinstance(e, dict) and matches(path.filter, e)]
    if chosen:
        return chosen
    seed = eq_pairs(path.filter) if op.op != "remove" else None
    if seed is None:
        raise no_target(f"{op.path} matches no value")
    holder[attr] = [*elements, {found.subs.get(k.lower(), k): v for k, v in seed.items()}]
    return [holder[attr][-1]]


def _on_filtered(holder: dict[str, Any], found: Attr, path: Path, op: Operation) -> None:
    attr = found.name
    chosen = _select(holder, found, path, op)
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
