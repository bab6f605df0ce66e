"""Kept for importers of the old module: the compiler is app.domain.directory.compiler."""

from app.domain.directory.compiler import compile_predicate, like_pattern, order_by
from app.domain.directory.fields import GROUP_FIELDS, Field, Fields, Kind, user_fields

__all__ = [
    "GROUP_FIELDS",
    "Field",
    "Fields",
    "Kind",
    "compile_predicate",
    "like_pattern",
    "order_by",
    "user_fields",
]
