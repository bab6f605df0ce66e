"""Rendering for people (aligned tables, key/value blocks) and for scripts (stable JSON)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def to_json(data: Any) -> str:
    """Stable, indented JSON: sorted keys, UTF-8 kept as is."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)


def to_json_line(data: Any) -> str:
    """One compact JSON document on one line (JSON Lines), keys sorted."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def cell(value: object) -> str:
    """A value as table text: "-" for none, lists joined; control characters neutralised."""
    if value is None or value == []:
        text = "-"
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, list | tuple):
        text = ", ".join(cell(v) for v in value)
    elif isinstance(value, dict):
        text = to_json_line(value)
    else:
        text = str(value)
    return "".join(c if c.isprintable() else "?" for c in text)


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Left-aligned columns separated by two spaces, a header line first."""
    cells = [[cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    return "\n".join(fixed_row(row, widths) for row in [list(headers), *cells])


def fixed_row(values: Sequence[object], widths: Sequence[int]) -> str:
    """One line with each value padded to its width (longer values push the rest right)."""
    texts = [v if isinstance(v, str) else cell(v) for v in values]
    return "  ".join(t.ljust(w) for t, w in zip(texts, widths, strict=True)).rstrip()


def pairs(items: Iterable[tuple[str, object]], indent: str = "") -> str:
    """``key  value`` lines with the values aligned."""
    listed = [(k, cell(v)) for k, v in items]
    width = max((len(k) for k, _ in listed), default=0)
    return "\n".join(f"{indent}{k.ljust(width)}  {v}".rstrip() for k, v in listed)


def name_of(user: Mapping[str, Any]) -> str | None:
    """A person's name for a table: the display name, else first and last name."""
    if user.get("displayName"):
        return str(user["displayName"])
    parts = [str(user[k]) for k in ("firstName", "lastName") if user.get(k)]
    return " ".join(parts) or None


def plural(count: int, word: str) -> str:
    """``1 group``, ``2 groups``."""
    return f"{count} {word}{'' if count == 1 else 's'}"
