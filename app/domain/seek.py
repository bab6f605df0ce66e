"""Kept for importers of the old module: keyset pages are app.domain.directory.pager's."""

from app.domain.directory.cursor import Position
from app.domain.directory.pager import Seek, SeekPage
from app.domain.directory.search import seek_groups, seek_users

__all__ = ["Position", "Seek", "SeekPage", "seek_groups", "seek_users"]
