"""User resources in and out through the Profile Editor mapping (RFC 7643 §4.1, §4.3).

Each catalogue attribute's ``scim_path`` compiles once per catalogue version into a `Slot`
(where the value sits in a SCIM User); `UserMapping` reads and writes whole resources with
those slots and nothing else, so a custom attribute is provisioned as soon as it exists.
Attributes HIDDEN in the Profile Editor are still provisioned and returned: HIDDEN is a
presentation setting for admin consoles, and an IdP must read back what it wrote.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.db import Tx
from app.domain.settings.catalogue import Catalogue
from app.domain.types import AttributeStatus, Datatype, UserRecord
from app.scim.attributes import user_vocabulary
from app.scim.errors import invalid_value
from app.scim.extras import layouts, merge_extras, split_extras
from app.scim.wire import ENTERPRISE_URN, USER_URN, etag

_SLOT = re.compile(
    r'^(?:(?P<urn>urn:.+):)?(?P<attr>[A-Za-z][\w$]*)(?:\[type eq "(?P<type>\w+)"\])?'
    r"(?:\.(?P<sub>[A-Za-z$][\w]*))?$"
)


@dataclass(frozen=True, slots=True)
class Slot:
    """Where one profile attribute lives in a SCIM User."""

    name: str  # catalogue variable name
    urn: str | None  # extension schema, None for the core schema
    attr: str
    sub: str | None
    type: str | None  # the `type` of the multi-valued element
    datatype: Datatype
    hidden: bool = False  # HIDDEN: stored and written, never returned (app.domain.users.visibility)

    @property
    def path(self) -> str:
        """The attribute path as the catalogue spells it."""
        head = f"{self.urn}:{self.attr}" if self.urn else self.attr
        head += f'[type eq "{self.type}"]' if self.type else ""
        return f"{head}.{self.sub}" if self.sub else head


def _compile(catalogue: Catalogue) -> tuple[Slot, ...]:
    slots = []
    for a in catalogue.profile_attributes:
        m = _SLOT.match(a.scim_path or "")
        if m is None:
            continue
        urn = m["urn"] if m["urn"] != USER_URN else None
        hidden = a.status is AttributeStatus.HIDDEN
        slots.append(Slot(a.name, urn, m["attr"], m["sub"], m["type"], a.datatype, hidden))
    return tuple(slots)


@dataclass(frozen=True, slots=True)
class ScimUserInput:
    """A User resource reduced to what the domain stores."""

    login_id: Any
    external_id: Any
    active: Any
    profile: dict[str, Any]
    extras: dict[str, Any]  # see app.scim.extras


def _container(doc: Mapping[str, Any], urn: str | None) -> Mapping[str, Any]:
    if urn is None:
        return doc
    ext = doc.get(urn)
    if ext is None:
        return {}
    if not isinstance(ext, Mapping):
        raise invalid_value(f"{urn} must be an object")
    return ext


def _pick(elements: Any, slot: Slot, first_type: str | None) -> Mapping[str, Any] | None:
    """The element of a multi-valued attribute that holds this slot's value.

    Elements of the slot's type win (the primary one, else the last one); an element without
    a type (OneLogin sends none) stands for the first type the catalogue maps.
    """
    if elements is None:
        return None
    if not isinstance(elements, list) or not all(isinstance(e, Mapping) for e in elements):
        raise invalid_value(f"{slot.attr} must be a list of objects")
    typed = [e for e in elements if str(e.get("type") or "").lower() == slot.type]
    if not typed and slot.type == first_type:
        typed = [e for e in elements if not e.get("type")]
    if not typed:
        return None
    primary = [e for e in typed if e.get("primary") is True]
    chosen: Mapping[str, Any] = (primary or typed)[-1]
    return chosen


def _read(doc: Mapping[str, Any], slot: Slot, first_types: Mapping[str, str | None]) -> Any:
    holder = _container(doc, slot.urn)
    value = holder.get(slot.attr)
    if slot.type is not None:
        value = _pick(value, slot, first_types.get(slot.attr))
    if slot.sub is None or value is None:
        return value
    if not isinstance(value, Mapping):
        raise invalid_value(f"{slot.attr} must be an object with {slot.sub}")
    return value.get(slot.sub)


class UserMapping:
    """The compiled mapping of one catalogue version."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.version = catalogue.version
        self.slots = _compile(catalogue)
        self.by_name = {s.name: s for s in self.slots}
        self.position = {s.name: i for i, s in enumerate(self.slots)}
        self._orders: dict[tuple[str, ...], tuple[Slot, ...]] = {}
        firsts: dict[str, str | None] = {}
        for s in self.slots:
            if s.type is not None:
                firsts.setdefault(s.attr, s.type)
        self.first_types = firsts
        self.layouts = layouts((s.attr, s.type, s.sub) for s in self.slots)
        self.extensions = tuple(dict.fromkeys(s.urn for s in self.slots if s.urn))
        custom: dict[str, list[str]] = {}
        for s in self.slots:
            if s.urn is not None and s.urn != ENTERPRISE_URN:
                custom.setdefault(s.urn, []).append(s.attr)
        self.vocabulary = user_vocabulary(custom)

    def scim_path(self, name: str) -> str:
        """The SCIM path of a catalogue attribute (for error details)."""
        slot = self.by_name.get(name)
        return slot.path if slot else name

    def read(self, doc: Mapping[str, Any]) -> ScimUserInput:
        """Every mapped value of a (normalised) User resource; None where absent."""
        profile = {s.name: _read(doc, s, self.first_types) for s in self.slots}
        active = doc.get("active")
        if active is not None and not isinstance(active, bool):
            raise invalid_value(f"active must be a boolean, not {active!r}")
        extras = split_extras(doc, self.layouts)
        return ScimUserInput(doc.get("userName"), doc.get("externalId"), active, profile, extras)

    def core(self, user: UserRecord, *, export: bool = False) -> dict[str, Any]:
        """The User resource without groups and meta (what PATCH operates on: every stored
        value); ``export`` leaves out HIDDEN attributes (what a response carries)."""
        doc: dict[str, Any] = {"schemas": [USER_URN], "id": user.id}
        if user.external_id is not None:
            doc["externalId"] = user.external_id
        doc["userName"] = user.login_id
        profile = user.profile
        for slot in self._order(tuple(profile)):
            value = profile[slot.name]
            if value is not None and not (export and slot.hidden):
                _write(doc, slot, value)
        merge_extras(doc, user.scim_extras)
        doc["active"] = user.idp_active  # under rule 17's lock, the IdP's own value
        doc["schemas"] += [u for u in self.extensions if u in doc]
        return doc

    def _order(self, keys: tuple[str, ...]) -> tuple[Slot, ...]:
        """The slots of these profile keys in slot order (the order elements are written in).

        Users share few key sets, so this is a dictionary hit per user rather than a look-up
        of every slot: a page of 100 users spent a third of its time in that loop.
        """
        order = self._orders.get(keys)
        if order is None:
            if len(self._orders) >= 1024:
                self._orders.clear()
            found = sorted(self.position[k] for k in keys if k in self.position)
            order = self._orders[keys] = tuple(self.slots[i] for i in found)
        return order

    def render(
        self, user: UserRecord, base: str, groups: Sequence[tuple[str, str]] | None
    ) -> dict[str, Any]:
        """The full User resource as returned: core without HIDDEN attributes, read-only
        groups and meta."""
        doc = self.core(user, export=True)
        if groups:
            doc["groups"] = [
                {"value": gid, "$ref": f"{base}/Groups/{gid}", "display": name}
                for gid, name in groups
            ]
        doc["meta"] = {
            "resourceType": "User",
            "created": user.created_at,
            "lastModified": user.updated_at,
            "location": f"{base}/Users/{user.id}",
            "version": etag(user.version),
        }
        return doc


def _write(doc: dict[str, Any], slot: Slot, value: Any) -> None:
    holder = doc if slot.urn is None else doc.setdefault(slot.urn, {})
    if slot.type is None:
        if slot.sub is None:
            holder[slot.attr] = value
        else:
            holder.setdefault(slot.attr, {})[slot.sub] = value
        return
    elements: list[dict[str, Any]] = holder.setdefault(slot.attr, [])
    element = next((e for e in elements if e["type"] == slot.type), None)
    if element is None:
        element = {"type": slot.type}
        if slot.type == "work":
            element["primary"] = True
        elements.append(element)
    element[slot.sub or "value"] = value


def user_mapping(tx: Tx, catalogue: Catalogue) -> UserMapping:
    """The mapping for this catalogue version, compiled once per process and version."""
    cached = tx.cache.get("scim.mapping")
    if isinstance(cached, UserMapping) and cached.version == catalogue.version:
        return cached
    mapping = UserMapping(catalogue)
    tx.cache["scim.mapping"] = mapping
    return mapping
