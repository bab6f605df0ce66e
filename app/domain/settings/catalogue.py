"""The Profile Editor's catalogue of profile attributes, read once per catalogue version.

Validation of values against it is `app.domain.settings.values`; its edits,
`app.domain.settings.attributes`; its SQL, `app.domain.settings.store`.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.db import CacheKey, Row, Tx
from app.domain.settings import store
from app.domain.types import AttributeStatus, Datatype, SourcePriority

CUSTOM_URN = "urn:ietf:params:scim:schemas:extension:roster:2.0:User"
ALWAYS_VISIBLE = frozenset({"loginId", "email", "displayName"})


@dataclass(frozen=True, slots=True)
class Attribute:
    """One catalogue entry."""

    name: str
    display_name: str
    datatype: Datatype
    description: str
    builtin: bool
    source_priority: SourcePriority
    status: AttributeStatus
    scim_path: str | None
    position: int
    version: int
    created_at: str
    updated_at: str

    @property
    def idp_sourced(self) -> bool:
        """The IdP masters this attribute for IdP-owned users."""
        return self.source_priority is SourcePriority.INHERIT_FROM_IDP


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The whole catalogue at one ``catalogue_version``."""

    version: int
    attributes: tuple[Attribute, ...]

    def get(self, name: str) -> Attribute | None:
        """The attribute named ``name`` (exact variable name), if any."""
        for attr in self.attributes:
            if attr.name == name:
                return attr
        return None

    @property
    def profile_attributes(self) -> tuple[Attribute, ...]:
        """Every attribute stored in the profile document (all but loginId)."""
        return tuple(a for a in self.attributes if a.name != "loginId")


CATALOGUE: CacheKey[Catalogue] = CacheKey("catalogue")
"""The last committed catalogue read by this process (checked against the version first)."""


def _attribute(r: Row) -> Attribute:
    return Attribute(
        name=r["name"],
        display_name=r["display_name"],
        datatype=Datatype(r["datatype"]),
        description=r["description"],
        builtin=bool(r["builtin"]),
        source_priority=SourcePriority(r["source_priority"]),
        status=AttributeStatus(r["status"]),
        scim_path=r["scim_path"],
        position=int(r["position"]),
        version=int(r["version"]),
        created_at=r["created_at"],
        updated_at=r["updated_at"],
    )


async def get_catalogue(tx: Tx) -> Catalogue:
    """The current catalogue, served from the per-process memo when its version is current.

    Its version and, until commit, the catalogue itself are also kept in the transaction's memo:
    a SCIM Bulk runs many writes in one transaction and reads neither again.
    """
    version = tx.memo.get("catalogue_version")
    if version is None:
        version = tx.memo["catalogue_version"] = await store.catalogue_version(tx)
    for cached in (tx.cache.get(CATALOGUE), tx.memo.get("catalogue")):
        if isinstance(cached, Catalogue) and cached.version == version:
            return cached
    attrs = tuple(_attribute(r) for r in await store.attribute_rows(tx))
    catalogue = tx.memo["catalogue"] = Catalogue(version, attrs)
    # Memoise only once committed: a rolled-back change must not leave its catalogue behind
    # under a version number that the next committed change will reuse.
    tx.after_commit(lambda: tx.cache.put(CATALOGUE, catalogue))
    return catalogue


async def catalogue_changed(tx: Tx) -> None:
    """After an edit of the catalogue: drop this transaction's copy and bump the version, so
    every worker reads the catalogue again."""
    tx.memo.pop("catalogue_version", None)
    tx.memo.pop("catalogue", None)
    await store.bump_catalogue_version(tx)
