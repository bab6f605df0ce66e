"""How loginId and group displayName compare (rules 6 and 18): after Unicode NFC and case
folding, so `José` (NFC), `José` (e + combining acute, NFD) and `JOSÉ` are one name.

Names are stored as sent; each row also keeps its key (`users.login_key`,
`groups.display_name_key`), on which uniqueness among live records, equality lookups, SCIM
`eq` filters and sorting by name run as indexed comparisons.
"""

from __future__ import annotations

from unicodedata import normalize


def name_key(name: str) -> str:
    """The comparison key of a name: NFC(casefold(NFC(name))).

    NFC first, so a decomposed accent folds like its composed form; NFC again after folding,
    since folding can decompose (`ǰ` folds to `j` + combining caron) and keys must be unique
    per spelling class.
    """
    return normalize("NFC", normalize("NFC", name).casefold())


def search_fold(text: str) -> str:
    """The folding of the search columns (`login_id_norm`, `display_name_norm`) and of the
    text searched for: NFC, then lower-case, like the SQL `lower()` of the other searched
    columns."""
    return normalize("NFC", text).lower()
