"""Kept for importers of the old module (app.graphql.types): the pager and the cursor codec
are app.domain.directory's. New code imports from there."""

from app.domain.directory.cursor import decode_cursor, encode_cursor
from app.domain.directory.pager import Keyset, Page, PageRequest, fetch_page

__all__ = ["Keyset", "Page", "PageRequest", "decode_cursor", "encode_cursor", "fetch_page"]
