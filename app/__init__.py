"""Roster: the identity admin service (SCIM 2.0 for IdPs, GraphQL for admin consoles)."""

__version__ = "0.1.0"
