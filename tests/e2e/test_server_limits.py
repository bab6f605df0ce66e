"""The HTTP server's own limits, as `roster serve` configures uvicorn (docs/security.md#limits).

uvicorn closes a keep-alive connection idle for ``timeout_keep_alive`` seconds and gives
in-flight requests ``timeout_graceful_shutdown`` seconds on SIGTERM. It has no timeout for a
client that never finishes its request headers: that, header size limits and connection caps
belong to the reverse proxy in front (see the docs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import uvicorn

from app import cli


def test_serve_sets_the_server_timeouts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def run(app: str, **options: Any) -> None:
        seen.update(options, app=app)

    monkeypatch.setattr(uvicorn, "run", run)
    monkeypatch.setenv("ROSTER_DATABASE_URL", f"sqlite:///{tmp_path / 'serve.db'}")
    monkeypatch.setenv("ROSTER_PORT", "8765")
    assert cli.main(["serve"]) == 0
    assert seen["app"] == "app.main:app_from_env"
    assert (seen["timeout_keep_alive"], seen["timeout_graceful_shutdown"]) == (30, 10)
    assert (seen["host"], seen["port"], seen["workers"]) == ("127.0.0.1", 8765, 1)
