"""`make schema`: write the published contracts under schema/ from the code.

schema/graphql/schema.graphql comes from the Strawberry schema; schema/scim/*.json from the
SCIM discovery documents (built-in catalogue) and the OpenAPI description of the SCIM surface.
A test fails when the committed files drift from what this writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import orjson

from app.settings import Settings

ROOT = Path(__file__).resolve().parent.parent / "schema"


def contract_settings() -> Settings:
    """Default settings, whatever the environment says, with a neutral public URL."""
    return Settings.model_construct(public_url="https://roster.example.com")


def expected_files(settings: Settings | None = None) -> dict[Path, bytes]:
    """Every contract file and its exact expected content."""
    settings = settings or contract_settings()
    from app.graphql.schema import sdl
    from app.scim.discovery import scim_documents

    files: dict[Path, bytes] = {ROOT / "graphql" / "schema.graphql": sdl().encode()}
    docs = scim_documents(settings)
    names = {
        "Schemas": "Schemas.json",
        "ResourceTypes": "ResourceTypes.json",
        "ServiceProviderConfig": "ServiceProviderConfig.json",
        "openapi": "openapi.json",
    }
    for key, name in names.items():
        body = orjson.dumps(docs[key], option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
        files[ROOT / "scim" / name] = body
    return files


def main() -> int:
    """Write the files; print what changed."""
    for path, content in expected_files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_bytes() != content:
            path.write_bytes(content)
            print(f"wrote {path.relative_to(ROOT.parent)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
