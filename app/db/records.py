"""Records from rows: one mapping, driven by the record's own fields, for every store."""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from app.db.interface import Row

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")
_NAMES: dict[type[Any], tuple[str, ...]] = {}


def record_of(cls: type[R], row: Row, **computed: Any) -> R:
    """A ``cls`` whose fields come from the row's columns of the same names; ``computed``
    gives the fields that need decoding, and a field the row does not select keeps its
    default."""
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(f.name for f in fields(cls))
    selected = set(row.keys())
    values = {n: row[n] for n in names if n in selected and n not in computed}
    return cls(**values, **computed)


def json_column(value: Any) -> Any:
    """A JSON column's value: SQLite returns the text, asyncpg (with its codec) the value."""
    return orjson.loads(value) if isinstance(value, str | bytes) else value
