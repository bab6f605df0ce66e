"""What an IdP sends of the RFC 7643 User that no Profile Editor attribute maps.

An IdP may send an email of type ``other``, a ``fax`` number or a ``home`` address, and marks
one element ``primary`` (RFC 7643 §2.4, §4.1.2). The profile keeps one value per mapped type;
everything else the IdP sent is kept beside it (``users.scim_extras``) so that a read returns
what was written (rule 18). Per multi-valued attribute: ``extra`` holds the unmapped elements
as sent (only the sub-attributes the User schema advertises) and ``primary`` the flags sent on
mapped elements. With neither flag nor extra primary stored, the work element is primary, as
before. ``ims``, ``photos`` and ``x509Certificates`` have no Profile Editor attribute: every
element is extra. ``name`` keeps its sub-attributes no attribute maps (``formatted``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from app.scim.attributes import USER_ATTRS
from app.scim.errors import invalid_value

MULTI_VALUED = ("emails", "phoneNumbers", "addresses", "ims", "photos", "x509Certificates")
_WHOLE = frozenset({"ims", "photos", "x509Certificates"})  # no Profile Editor attribute maps
_FLAGS = ("type", "primary")
_NAME_SUBS = frozenset(USER_ATTRS["name"].subs.values())
# The sub-attributes kept here whatever the catalogue maps (discovery advertises them).
KEPT_SUBS: dict[str, frozenset[str]] = {
    **{a: frozenset(USER_ATTRS[a.lower()].subs.values()) for a in _WHOLE},
    "name": frozenset({"formatted"}),
}
_DEFAULT = "work"  # the element marked primary when the IdP said nothing


@dataclass(frozen=True, slots=True)
class Layout:
    """What the catalogue maps of one multi-valued attribute."""

    types: frozenset[str]  # the mapped `type` values, lower case
    first: str | None  # the type an element without `type` stands for (OneLogin)
    subs: frozenset[str]  # the sub-attributes the User schema lists


def layouts(slots: Iterable[tuple[str, str | None, str | None]]) -> dict[str, Layout]:
    """Per multi-valued attribute, from the (attr, type, sub) of each mapped slot."""
    types: dict[str, list[str]] = {a: [] for a in MULTI_VALUED}
    subs: dict[str, set[str]] = {a: set(_FLAGS) | KEPT_SUBS.get(a, set()) for a in MULTI_VALUED}
    name = set(_NAME_SUBS)
    for attr, kind, sub in slots:
        if attr in types and kind is not None:
            types[attr].append(kind)
            subs[attr].add(sub or "value")
        elif attr == "name" and kind is None:
            name.discard(sub or "")
    out = {
        a: Layout(frozenset(types[a]), types[a][0] if types[a] else None, frozenset(subs[a]))
        for a in MULTI_VALUED
    }
    out["name"] = Layout(frozenset(), None, frozenset(name))
    return out


def _flag(attr: str, element: Mapping[str, Any]) -> bool | None:
    flag = element.get("primary")
    if flag is not None and not isinstance(flag, bool):
        raise invalid_value(f"{attr}.primary must be a boolean, not {flag!r}")
    return flag


def _kept(element: Mapping[str, Any], layout: Layout) -> dict[str, Any]:
    return {k: v for k, v in element.items() if k in layout.subs and v not in (None, "")}


def _split(attr: str, elements: list[Any], layout: Layout) -> dict[str, Any]:
    # RFC 7644 §3.5.2.1: a value added with primary true demotes the earlier primary one.
    flags = [_flag(attr, e) if isinstance(e, Mapping) else None for e in elements]
    last = max((i for i, f in enumerate(flags) if f), default=-1)
    extra: list[dict[str, Any]] = []
    mapped: dict[str, bool] = {}
    for i, element in enumerate(elements):
        if not isinstance(element, Mapping):
            raise invalid_value(f"{attr} must be a list of objects")
        flag = None if flags[i] is None else i == last
        kind = str(element.get("type") or "").lower() or layout.first
        if kind in layout.types:
            if flag is not None:
                mapped[kind] = mapped.get(kind, False) or flag
            continue
        kept = _kept(element, layout)
        if any(k not in _FLAGS for k in kept):
            extra.append(kept if flag is None else {**kept, "primary": flag})
    if mapped == {_DEFAULT: True} and not any("primary" in e for e in extra):
        mapped = {}  # what the default already renders
    return {k: v for k, v in (("extra", extra), ("primary", mapped)) if v}


def split_extras(doc: Mapping[str, Any], layout: Mapping[str, Layout]) -> dict[str, Any]:
    """The extras of a normalised User resource (the mapping reads the rest)."""
    out: dict[str, Any] = {}
    name = doc.get("name")
    if isinstance(name, Mapping):
        kept = {k: v for k, v in name.items() if k in layout["name"].subs and v not in (None, "")}
        if kept:
            out["name"] = kept
    for attr in MULTI_VALUED:
        elements = doc.get(attr)
        if elements is None:
            continue
        if not isinstance(elements, list):
            raise invalid_value(f"{attr} must be a list of objects")
        entry = _split(attr, elements, layout[attr])
        if entry:
            out[attr] = entry
    return out


def merge_extras(doc: dict[str, Any], extras: Mapping[str, Any]) -> None:
    """Add the stored extras to a rendered User and mark primary as the IdP did."""
    if not extras:  # most users: nothing kept beside the profile
        return
    if "name" in extras:
        doc["name"] = {**extras["name"], **doc.get("name", {})}
    for attr in MULTI_VALUED:
        entry = extras.get(attr) or {}
        extra: list[dict[str, Any]] = entry.get("extra", [])
        flags: dict[str, bool] = entry.get("primary", {})
        elements: list[dict[str, Any]] = doc.get(attr, [])
        if flags or any("primary" in e for e in extra):
            for element in elements:
                element.pop("primary", None)
                if element["type"] in flags:
                    element["primary"] = flags[element["type"]]
        elements += [dict(e) for e in extra]
        if elements:
            doc[attr] = elements
