"""The per-process cache a `Database` hands every transaction (`Tx.cache`).

It holds data keyed by a version read inside each transaction (the Profile Editor catalogue,
the fields compiled from it, the live-id checkpoints), so a cached value is never served after
another worker changed what it was built from: the reader compares the version first. Entries
are typed by their key: a module declares ``NAME: CacheKey[Thing] = CacheKey("name")`` and
`get` returns ``Thing | None``. Writers put only what a committed transaction read
(``tx.after_commit``), so a rolled-back change leaves nothing behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class CacheKey(Generic[T]):
    """The name of one entry and, through ``T``, the type of its value."""

    name: str


class ProcessCache:
    """Typed entries shared by every transaction of one Database in one process."""

    __slots__ = ("_values",)

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}

    @overload
    def get(self, key: CacheKey[T]) -> T | None: ...

    @overload
    def get(self, key: str) -> Any: ...

    def get(self, key: CacheKey[Any] | str) -> Any:
        """The entry, or None. (A plain string key is untyped: for callers that have not
        declared a CacheKey yet.)"""
        return self._values.get(key if isinstance(key, str) else key.name)

    def put(self, key: CacheKey[T], value: T) -> None:
        """Set the entry."""
        self._values[key.name] = value

    def pop(self, key: CacheKey[Any] | str, default: Any = None) -> Any:
        """Drop the entry (tests drop the catalogue to read it again); returns what it held."""
        return self._values.pop(key if isinstance(key, str) else key.name, default)

    def __setitem__(self, key: str, value: Any) -> None:
        """Untyped set, for callers that have not declared a CacheKey yet."""
        self._values[key] = value

    def clear(self) -> None:
        """Forget everything."""
        self._values.clear()
