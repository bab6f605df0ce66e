"""Fixtures of the attack tests: the real-server fixture of the end-to-end suite."""

from tests.e2e.conftest import live  # noqa: F401
