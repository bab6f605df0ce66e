"""``attributes`` and ``excludedAttributes`` (RFC 7644 §3.4.2.5, §3.9).

Names may be dotted (``name.givenName``) or URN-qualified, and match case-insensitively.
``id`` and ``schemas`` are always returned. Handlers ask `wants` before reading optional data,
so ``excludedAttributes=members`` never runs a member query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.scim.patch_paths import GROUP_CORE, USER_CORE

ALWAYS = frozenset({"id", "schemas"})
Name = tuple[str | None, str | None, str | None]  # (extension urn, attr, sub), lower case


def _split(raw: Any) -> list[str]:
    if raw is None:
        return []
    items = raw if isinstance(raw, list) else str(raw).split(",")
    return [str(i).strip() for i in items if str(i).strip()]


def _name(text: str, urns: Sequence[str]) -> Name:
    lowered = text.lower()
    for core in (USER_CORE, GROUP_CORE):
        if lowered.startswith(core + ":"):
            lowered = lowered[len(core) + 1 :]
    for urn in sorted((u.lower() for u in urns), key=len, reverse=True):
        if lowered == urn:
            return urn, None, None
        if lowered.startswith(urn + ":"):
            attr, _, sub = lowered[len(urn) + 1 :].partition(".")
            return urn, attr, sub or None
    attr, _, sub = lowered.partition(".")
    return None, attr, sub or None


@dataclass(frozen=True, slots=True)
class Projection:
    """Which attributes a read returns."""

    include: tuple[Name, ...] | None
    exclude: tuple[Name, ...]

    @property
    def given(self) -> bool:
        """The client named attributes either way."""
        return self.include is not None or bool(self.exclude)

    def wants(self, attr: str) -> bool:
        """Whether a top-level core attribute (``groups``, ``members``) is returned."""
        attr = attr.lower()
        if self.include is not None:
            return any(urn is None and a == attr for urn, a, _ in self.include)
        return not any(urn is None and a == attr and s is None for urn, a, s in self.exclude)

    def requests(self, attr: str, sub: str) -> bool:
        """Whether a core sub-attribute returned only on request was named (RFC 7643 §7)."""
        return self.include is not None and (None, attr.lower(), sub.lower()) in self.include

    def apply(self, doc: dict[str, Any]) -> dict[str, Any]:
        """The document with only the selected attributes."""
        if not self.given:
            return doc
        out = _include(doc, self.include) if self.include is not None else dict(doc)
        for name in self.exclude:
            _drop(out, name)
        out["schemas"] = [s for i, s in enumerate(doc["schemas"]) if i == 0 or s in out]
        return out


#: No ``attributes`` and no ``excludedAttributes``: the default set of every resource type.
EVERYTHING = Projection(None, ())


def projection(attributes: Any, excluded: Any, urns: Sequence[str]) -> Projection:
    """Parse the two parameters (comma-separated strings or lists)."""
    include = _split(attributes)
    return Projection(
        tuple(_name(n, urns) for n in include) if include else None,
        tuple(_name(n, urns) for n in _split(excluded)),
    )


def _find(holder: dict[str, Any], lowered: str) -> str | None:
    return next((k for k in holder if k.lower() == lowered), None)


def _include(doc: dict[str, Any], names: tuple[Name, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {k: v for k, v in doc.items() if k in ALWAYS}
    for urn, attr, sub in names:
        src, dst = doc, out
        if urn is not None:
            key = _find(doc, urn)
            if key is None:
                continue
            src = doc[key]
            dst = out.setdefault(key, {}) if attr is not None else out
            if attr is None:
                out[key] = src
                continue
        assert attr is not None
        key = _find(src, attr)
        if key is None:
            continue
        value = src[key]
        if sub is None or not isinstance(value, dict | list):
            dst[key] = value
        else:
            dst[key] = _sub_only(value, sub, dst.get(key))
    return out


def _sub_only(value: Any, sub: str, have: Any) -> Any:
    if isinstance(value, dict):
        keep = {k: v for k, v in value.items() if k.lower() == sub}
        return {**(have or {}), **keep}
    rows = [{k: v for k, v in e.items() if k.lower() == sub} for e in value]
    return [r for r in rows if r] if have is None else have


def _drop(out: dict[str, Any], name: Name) -> None:
    urn, attr, sub = name
    holder: Any = out
    if urn is not None:
        key = _find(out, urn)
        if key is None:
            return
        if attr is None:
            del out[key]
            return
        holder = out[key]
    assert attr is not None
    key = _find(holder, attr)
    if key is None or (urn is None and key in ALWAYS):
        return
    if sub is None:
        del holder[key]
        return
    value = holder[key]
    for element in value if isinstance(value, list) else [value]:
        if isinstance(element, dict) and (k := _find(element, sub)) is not None:
            del element[k]
