"""docs/event-examples.md is what scripts/event_examples.py generates: one example of every
event type (the script runs, and the committed file names every type)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from app.domain.outbox.types import EVENT_TYPES

ROOT = Path(__file__).resolve().parents[2]


def _headings(text: str) -> list[str]:
    return [line[5:-1] for line in text.splitlines() if line.startswith("### `")]


def test_the_examples_cover_every_event_type_and_the_script_still_makes_them() -> None:
    committed = (ROOT / "docs" / "event-examples.md").read_text(encoding="utf-8")
    assert _headings(committed)[: len(EVENT_TYPES)] == list(EVENT_TYPES)
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "event_examples.py"), "--print"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert _headings(done.stdout)[: len(EVENT_TYPES)] == list(EVENT_TYPES)
    assert "urn:ietf:params:scim:event:prov:deactivate" in done.stdout
