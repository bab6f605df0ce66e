"""Group PATCH as set operations (RFC 7644 §3.5.2): the cost grows with the members named.

The operations of a request fold into one `GroupChange` without reading the group's members:
``add`` and ``remove`` sets (kept disjoint, later operations win) and an optional full
``replace``; the domain applies them in SQL in the order replace, remove, add, which gives the
same membership as applying the operations one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from app.domain.groups.members import MemberChange
from app.scim.attributes import GROUP_VOCABULARY
from app.scim.errors import ScimError, invalid_path, invalid_value, mutability, no_target
from app.scim.patch_paths import Operation, eq_values, parse_path


@dataclass(slots=True)
class GroupChange:
    """What one group PATCH asks for."""

    display_name: str | None = None
    external_id: str | None = None
    set_external_id: bool = False
    replace: dict[str, None] | None = None
    remove: dict[str, None] = field(default_factory=dict)
    add: dict[str, None] = field(default_factory=dict)

    def members(self) -> MemberChange | None:
        """The membership part for the domain, or None when members are untouched."""
        if self.replace is None and not self.remove and not self.add:
            return None
        return MemberChange(
            list(self.replace) if self.replace is not None else None,
            list(self.remove),
            list(self.add),
        )

    def add_ids(self, ids: Sequence[str]) -> None:
        for i in ids:
            self.remove.pop(i, None)
            self.add[i] = None

    def remove_ids(self, ids: Sequence[str]) -> None:
        for i in ids:
            self.add.pop(i, None)
            if self.replace is not None:
                self.replace.pop(i, None)
            else:
                self.remove[i] = None

    def replace_ids(self, ids: Sequence[str]) -> None:
        self.replace = dict.fromkeys(ids)
        self.add.clear()
        self.remove.clear()


def member_ids(value: Any) -> list[str]:
    """The ids of a members value: a list of {"value": id} (display, type, $ref ignored)."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    ids = []
    for item in items:
        member = item.get("value") if isinstance(item, dict) else None
        if not isinstance(member, str) or not member:
            raise invalid_value("each member must be an object with a string value (the user id)")
        ids.append(member)
    return ids


def _members(change: GroupChange, op: Operation, selected: list[Any] | None) -> None:
    if selected is not None:
        if op.op != "remove":
            raise invalid_path(f"{op.path}: only remove takes a member filter")
        change.remove_ids([str(v) for v in selected])
    elif op.op == "add":
        change.add_ids(member_ids(op.value))
    elif op.op == "replace":
        change.replace_ids(member_ids(op.value))
    elif op.value is not None and op.has_value:
        # Entra (legacy) and JumpCloud remove named members with a value array; RFC-wise
        # that would clear the group, which is never what they mean.
        change.remove_ids(member_ids(op.value))
    else:
        change.replace_ids([])


def _selected(op: Operation) -> list[Any] | None:
    assert op.path is not None
    path = parse_path(op.path, ())
    if path.filter is None:
        if path.sub is not None:
            raise invalid_path(f"{op.path}: members sub-attributes cannot be changed")
        return None
    values = eq_values(path.filter, "value")
    if values is None:
        raise ScimError(400, f"{op.path}: select members with value eq", "invalidFilter")
    return values


def _scalar(change: GroupChange, op: Operation, attr: str) -> None:
    if attr == "displayname":
        if op.op == "remove" or not isinstance(op.value, str):
            raise invalid_value("displayName is required and must be a string")
        change.display_name = op.value
        return
    if op.op != "remove" and op.value is not None and not isinstance(op.value, str):
        raise invalid_value("externalId must be a string")
    change.external_id = None if op.op == "remove" else op.value
    change.set_external_id = True


def _canonical(op: Operation) -> tuple[str, Operation]:
    """The operation's attribute (lower case) and its value in canonical spelling
    (`app.scim.attributes`); 400 invalidPath naming an attribute in no schema."""
    assert op.path is not None
    path = parse_path(op.path, ())
    found, _ = GROUP_VOCABULARY.resolve(path, op.path)
    if path.sub is None:
        value = GROUP_VOCABULARY.value(found, op.value, op.path, element=path.filter is not None)
        op = Operation(op.op, op.path, value, op.has_value)
    return found.name.lower(), op


def fold_group_patch(ops: Sequence[Operation]) -> GroupChange:
    """Fold normalised operations into one change; raises ScimError naming the bad path."""
    change = GroupChange()
    for raw in ops:
        if raw.path is None:
            raise no_target("remove needs a path")
        attr, op = _canonical(raw)
        if attr == "members":
            _members(change, op, _selected(op))
        elif attr in ("displayname", "externalid"):
            _scalar(change, op, attr)
        elif attr in ("id", "meta", "schemas"):
            raise mutability(f"{op.path} is read-only")
        else:
            raise invalid_path(f"{op.path!r} is not a Group attribute")
    return change
