"""The real-server fixture of the end-to-end tests, for the attacks here."""

from tests.e2e.conftest import live  # noqa: F401
