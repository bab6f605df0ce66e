"""The plain HTTP event feed, ``GET /events`` (rule 20), for services that do not speak GraphQL."""

from app.feed.app import build_feed_app

__all__ = ["build_feed_app"]
