"""Typed configuration: every ROSTER_* environment variable is read here and nowhere else."""

from __future__ import annotations

from functools import cached_property
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DatabaseKind = Literal["sqlite", "postgresql"]


class Settings(BaseSettings):
    """Deployment settings. Passed explicitly into `create_app` and the CLI; never global."""

    model_config = SettingsConfigDict(
        env_prefix="ROSTER_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        default="sqlite:///./roster.db",
        description="sqlite:///path or postgresql://user@host:port/db (plain URLs).",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    public_url: str = Field(
        default="",
        description="Externally visible base URL (SCIM $ref/Location, the issuer `iss` of Security"
        " Event Tokens); default http://host:port.",
    )
    db_pool_min: int = Field(default=1, ge=1)
    db_pool_max: int = Field(default=10, ge=1)
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0)
    scim_token_ttl_days: int = Field(default=365, ge=1)
    scim_max_tokens: int = Field(default=2, ge=1)
    api_token_max_ttl_days: int = Field(
        default=365,
        ge=1,
        le=36500,
        description="Longest lifetime of an admin API token (ttlDays, --ttl-days); the default "
        "lifetime is 90 days (or this maximum when it is shorter).",
    )
    scim_max_page_size: int = Field(default=1000, ge=1)
    scim_default_page_size: int = Field(default=100, ge=1)
    scim_stream_members_over: int = Field(
        default=1000,
        ge=0,
        description="A full read of a group with more members than this is streamed: its "
        "members rendered and sent a batch at a time from one read snapshot, in bounded memory.",
    )
    scim_stream_batch: int = Field(
        default=1000, ge=1, description="Members read and sent per batch of a streamed group."
    )
    scim_max_body_bytes: int = Field(default=1_048_576, ge=1024)
    scim_max_filter_length: int = Field(default=4096, ge=64)
    scim_bulk_max_operations: int = Field(
        default=1000,
        ge=1,
        description="Operations per SCIM Bulk request (RFC 7644 §3.7.4); more answer 413.",
    )
    scim_bulk_max_payload_bytes: int = Field(
        default=2_097_152,
        ge=1024,
        description="Bytes per SCIM Bulk request; larger answer 413. 2 MiB leaves room for "
        "maxOperations users of about 2 KB each (1 MiB would make 1,000 rich users unreachable).",
    )
    scim_cursor_secret: SecretStr = Field(
        default=SecretStr(""),
        description="HMAC key of SCIM list cursors (RFC 9865). Empty: derived from "
        "ROSTER_DATABASE_URL, so every worker and replica of one deployment agrees; set a random "
        "value so that knowing the database URL is not enough to forge a cursor.",
    )
    scim_cursor_timeout_seconds: int = Field(
        default=3600, ge=1, description="How long a SCIM list cursor stays valid (cursorTimeout)."
    )
    provisioning_event_retention_days: int = Field(
        default=90, ge=0, description="`roster purge` deletes older provisioning events; 0: never."
    )
    audit_retention_days: int = Field(
        default=365, ge=0, description="`roster purge` deletes older audit entries; 0: never."
    )
    event_retention_days: int = Field(
        default=30,
        ge=0,
        description="`roster purge` deletes downstream events (GET /events, the outbox) older"
        " than this; 0: never.",
    )
    graphql_max_page_size: int = Field(default=100, ge=1)
    graphql_max_depth: int = Field(default=12, ge=2)
    graphql_max_aliases: int = Field(default=30, ge=1)
    graphql_max_tokens: int = Field(default=5000, ge=100)
    graphql_max_nodes: int = Field(
        default=50_000,
        ge=1,
        description="Nodes one query may return: the sum over its connections of first/last "
        "times the page sizes of the connections it is nested in (app/graphql/limits.py).",
    )
    graphql_max_fields: int = Field(
        default=2000,
        ge=10,
        description="Fields one query may select once its fragments are expanded (each "
        "fragment counted every time it is spread).",
    )
    graphql_max_duplicate_fields: int = Field(
        default=10,
        ge=1,
        description="How often one selection set may select the same response name.",
    )
    graphql_max_fragment_spreads: int = Field(
        default=100, ge=1, description="Fragment spreads one document may hold."
    )
    graphql_validation_budget_ms: int = Field(
        default=500,
        ge=10,
        description="CPU-time budget of graphql-core's validation of one document; past it "
        "the query is refused (the linear limit checks come first and are not timed).",
    )
    graphql_subscription_recheck_ms: int = Field(
        default=500,
        ge=50,
        description="How often an open subscription connection authenticates its token again; "
        "a revoked token, or a deactivated, deleted or demoted user, closes it with 4403.",
    )
    graphql_introspection: bool = True
    graphql_graphiql: bool = True
    log_level: str = "INFO"
    log_json: bool = True
    rate_limit_per_second: float = Field(
        default=200.0, ge=0, description="Requests per second per token and worker; 0 = off."
    )
    rate_limit_burst: int = Field(default=400, ge=1)
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins allowed to call /graphql from a browser (empty = none).",
    )
    health_flush_seconds: float = Field(
        default=10.0,
        gt=0,
        description="How often each worker adds the SCIM usage it counted in memory to the "
        "shared provisioning health figures, and checks for SCIM tokens about to expire.",
    )
    migrate_on_start: bool = Field(
        default=False,
        description="Keep retrying migrations in the background until the database answers "
        "(set by `roster serve` when the database was down at start).",
    )
    access_log: bool = Field(default=True, description="One JSON line per HTTP request.")
    webhook_allowed_targets: str = Field(
        default="",
        description="Webhook targets allowed although private, loopback or link-local"
        " (comma-separated host names, IP addresses or CIDR ranges; empty = none).",
    )
    webhook_retry_base_seconds: float = Field(
        default=1.0,
        gt=0,
        description="First webhook retry delay: attempt n waits up to base * 2^n seconds"
        " (full jitter), at most an hour.",
    )
    webhook_lease_seconds: float = Field(
        default=30.0,
        gt=0,
        description="How long a worker holds a webhook delivery it is sending; a worker that"
        " died releases it when this runs out.",
    )

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        scheme = urlsplit(value).scheme.split("+")[0]
        if scheme not in ("sqlite", "postgresql", "postgres"):
            raise ValueError(
                f"unsupported database URL scheme {scheme!r}: use sqlite:///path or "
                "postgresql://user@host:5432/dbname"
            )
        return value

    @cached_property
    def database_kind(self) -> DatabaseKind:
        """Which engine the URL names."""
        return "sqlite" if self.database_url.startswith("sqlite") else "postgresql"

    @cached_property
    def sqlite_path(self) -> str:
        """Filesystem path of the SQLite database (``:memory:`` allowed)."""
        rest = self.database_url.split(":", 1)[1]
        return rest[3:] if rest.startswith("///") else rest.lstrip("/")

    @cached_property
    def postgres_dsn(self) -> str:
        """The URL in the form asyncpg and psycopg expect (no SQLAlchemy driver suffix)."""
        scheme, rest = self.database_url.split("://", 1)
        return "postgresql://" + rest if scheme.split("+")[0] in ("postgresql", "postgres") else ""

    @cached_property
    def sqlalchemy_url(self) -> str:
        """The URL with the driver SQLAlchemy/Alembic should use for migrations."""
        if self.database_kind == "sqlite":
            return "sqlite:///" + self.sqlite_path
        return "postgresql+psycopg://" + self.postgres_dsn.split("://", 1)[1]

    @property
    def base_url(self) -> str:
        """Public base URL of the service, without a trailing slash."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")
