"""The one SCIM attribute resolver: names and schema URNs are case-insensitive (rule 18,
RFC 7643 §2.1, RFC 7644 §3.10).

A `Vocabulary` knows every attribute (and sub-attribute) of the schemas one resource type
serves: the RFC 7643 User, Group and enterprise schemas as scim2-models publishes them, the
common attributes, and the roster extension's custom attributes of the live catalogue. It gives
each name its canonical spelling, or refuses a name in no schema with a 400 that names it.
Request bodies (`canonical_resource`), PATCH paths and values (`app.scim.patch`,
`app.scim.group_patch`) go through it; filters and ``sortBy`` resolve against
`app.scim.paths`, whose keys are lower case, and ``attributes`` lists match case-insensitively
(`app.scim.projection`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from scim2_models import EnterpriseUser, Group, User

from app.scim.errors import invalid_path, invalid_value
from app.scim.patch_paths import Path
from app.scim.wire import (
    ENTERPRISE_TYPO,
    ENTERPRISE_URN,
    GROUP_URN,
    MS_GROUP_URN,
    ROSTER_URN,
    USER_URN,
)

_META_SUBS = ("resourceType", "created", "lastModified", "location", "version")
# What each User's request may carry and Roster deliberately does not keep (rule 18), listed
# on the provisioning event: `password` (Roster does not authenticate), `roles` and
# `entitlements` (rule 10: SCIM never grants roles).
IGNORED = ("password", "roles", "entitlements")


@dataclass(frozen=True, slots=True)
class Attr:
    """One attribute: its canonical name and its sub-attributes (lower case → canonical)."""

    name: str
    subs: Mapping[str, str]
    multi: bool = False


def _attrs(names: Iterable[tuple[str, Iterable[str], bool]]) -> dict[str, Attr]:
    return {n.lower(): Attr(n, {s.lower(): s for s in subs}, multi) for n, subs, multi in names}


def _from_schema(model: Any) -> dict[str, Attr]:
    return _attrs(
        (a.name, (s.name for s in a.sub_attributes or []), bool(a.multi_valued))
        for a in model.to_schema().attributes
    )


_COMMON = _attrs(
    [
        ("id", (), False),
        ("externalId", (), False),
        ("schemas", (), True),
        ("meta", _META_SUBS, False),
    ]
)
USER_ATTRS: Mapping[str, Attr] = {**_COMMON, **_from_schema(User)}
ENTERPRISE_ATTRS: Mapping[str, Attr] = _from_schema(EnterpriseUser)
GROUP_ATTRS: Mapping[str, Attr] = {**_COMMON, **_from_schema(Group)}


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The attributes of one resource type, by schema (lower-case URN → canonical URN, attrs)."""

    kind: str  # "User" or "Group"
    core: str
    schemas: Mapping[str, tuple[str, Mapping[str, Attr]]]
    tolerated: Mapping[str, str]  # lower-case URNs IdPs send for a schema we serve (or none)

    @property
    def extensions(self) -> tuple[str, ...]:
        """The canonical extension URNs."""
        return tuple(urn for urn, _ in self.schemas.values() if urn != self.core)

    @property
    def where(self) -> str:
        """How an error names the schemas."""
        return "the Group schema" if self.kind == "Group" else "the User schemas"

    def urn(self, text: str) -> str | None:
        """The canonical URN of a schema this resource type serves (core included)."""
        lowered = text.lower()
        found = self.schemas.get(lowered)
        if found is not None:
            return found[0]
        return self.tolerated.get(lowered)

    def attr(self, urn: str | None, name: str) -> Attr | None:
        """The attribute ``name`` of schema ``urn`` (None: the core schema)."""
        entry = self.schemas.get((urn or self.core).lower())
        return None if entry is None else entry[1].get(name.lower())

    def resolve(self, path: Path, text: str) -> tuple[Attr, str | None]:
        """A PATCH path's attribute and canonical sub-attribute; 400 invalidPath naming
        the attribute when no schema has it."""
        found = self.attr(path.urn, path.attr)
        if found is None:
            raise invalid_path(f"{text!r}: {path.attr} is not an attribute of {self.where}")
        if path.sub is None:
            return found, None
        sub = found.subs.get(path.sub.lower())
        if sub is None:
            raise invalid_path(f"{text!r}: {path.sub} is not a sub-attribute of {found.name}")
        return found, sub

    def value(self, found: Attr, value: Any, shown: str, *, element: bool = False) -> Any:
        """A value of ``found`` with its sub-attribute keys in canonical spelling; 400
        invalidValue naming a key that is no sub-attribute. ``element``: one element of a
        multi-valued attribute."""
        if not found.subs:
            return value
        if isinstance(value, list) and found.multi and not element:
            return [self.value(found, v, shown, element=True) for v in value]
        if not isinstance(value, dict):
            return value
        out: dict[str, Any] = {}
        for key, sub_value in value.items():
            sub = found.subs.get(str(key).lower())
            if sub is None:
                raise invalid_value(f"{shown}.{key} is not an attribute of {self.where}")
            _put(out, sub, sub_value, f"{shown}.{key}")
        return out

    def canonical_resource(self, doc: Mapping[str, Any]) -> dict[str, Any]:
        """A POST/PUT body with every name in canonical spelling; 400 invalidValue naming
        an attribute in no schema, or one given twice in different case."""
        out: dict[str, Any] = {}
        for raw, value in doc.items():
            key = str(raw)
            if key.lower().startswith("urn:"):
                self._urn_key(out, key, value)
                continue
            found = self.attr(None, key)
            if found is None and value is None:
                continue  # Entra's explicit nulls (`department: null` outside its schema)
            if found is None:
                raise invalid_value(f"{key} is not an attribute of {self.where}")
            _put(out, found.name, self.value(found, value, key), key)
        return out

    def _urn_key(self, out: dict[str, Any], key: str, value: Any) -> None:
        urn = self.urn(key)
        if urn is not None:
            if urn == self.core or not isinstance(value, dict):
                out.setdefault(urn, value)  # the core URN as a key: nothing Roster reads
                return
            block = out.setdefault(urn, {})
            for name, sub_value in value.items():
                self._in_extension(block, urn, str(name), sub_value, f"{key}:{name}")
            return
        # `urn:…:User:department`: one attribute of an extension, named by its full path.
        head, _, name = key.rpartition(":")
        urn = self.urn(head)
        if urn is None or not name:
            raise invalid_value(f"{key} is not a schema or attribute of {self.where}")
        self._in_extension(out.setdefault(urn, {}), urn, name, value, key)

    def _in_extension(
        self, block: dict[str, Any], urn: str, name: str, value: Any, shown: str
    ) -> None:
        if name.lower() == "schemas":
            return
        found = self.attr(urn, name)
        if found is None and value is None:
            return
        if found is None:
            raise invalid_value(f"{shown} is not an attribute of {self.where}")
        _put(block, found.name, self.value(found, value, shown), shown)


def _put(out: dict[str, Any], name: str, value: Any, shown: str) -> None:
    if name in out:
        raise invalid_value(f"{shown}: {name} is given twice")
    out[name] = value


def user_vocabulary(custom: Mapping[str, Iterable[str]]) -> Vocabulary:
    """The User vocabulary; ``custom``: extension URN → the attribute names the catalogue
    maps there (the roster extension's custom attributes)."""
    schemas: dict[str, tuple[str, Mapping[str, Attr]]] = {
        USER_URN.lower(): (USER_URN, USER_ATTRS),
        ENTERPRISE_URN.lower(): (ENTERPRISE_URN, ENTERPRISE_ATTRS),
    }
    # The roster extension is always served (its Schema is listed), custom attributes or not.
    for urn, names in {ROSTER_URN: (), **custom}.items():
        if urn.lower() not in schemas or urn == ROSTER_URN:
            schemas[urn.lower()] = (urn, _attrs((n, (), False) for n in names))
    return Vocabulary("User", USER_URN, schemas, {ENTERPRISE_TYPO.lower(): ENTERPRISE_URN})


GROUP_VOCABULARY = Vocabulary(
    "Group",
    GROUP_URN,
    {GROUP_URN.lower(): (GROUP_URN, GROUP_ATTRS)},
    {MS_GROUP_URN.lower(): GROUP_URN},
)
