"""Record ids: UUID version 7, strictly increasing within a process."""

from __future__ import annotations

import time
import uuid

import pytest

from app.domain import clock


def test_ids_are_version_7_and_increase_even_within_a_millisecond() -> None:
    before = time.time_ns() // 1_000_000
    ids = [clock.new_id() for _ in range(5000)]
    after = time.time_ns() // 1_000_000
    parsed = [uuid.UUID(i) for i in ids]
    assert ids == sorted(set(ids))
    assert {(u.version, u.variant) for u in parsed} == {(7, uuid.RFC_4122)}
    assert all(before <= u.int >> 80 <= after + 1 for u in parsed)


def test_ids_keep_increasing_when_the_clock_steps_back(monkeypatch: pytest.MonkeyPatch) -> None:
    first = clock.new_id()
    monkeypatch.setattr(time, "time_ns", lambda: 1_000_000_000)  # 1970
    later = [clock.new_id() for _ in range(100)]
    assert [first, *later] == sorted({first, *later})


def test_a_full_tail_moves_to_the_next_millisecond(monkeypatch: pytest.MonkeyPatch) -> None:
    ms = time.time_ns() // 1_000_000 + 10
    monkeypatch.setattr(clock, "_last", [ms, (1 << 74) - 2])
    nxt = uuid.UUID(clock.new_id())
    assert (nxt.int >> 80, nxt.version, nxt.variant) == (ms + 1, 7, uuid.RFC_4122)
