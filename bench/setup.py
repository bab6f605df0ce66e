"""A fresh, seeded directory for one benchmark configuration."""

from __future__ import annotations

import base64
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Setup:
    """What the phases need to know about the seeded directory."""

    env: dict[str, str]
    scim_token: str
    admin_token: str
    ids_file: Path
    gids_file: Path
    big_group: str
    big_group_size: int
    non_members: list[str]


def _roster(root: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(root / ".venv" / "bin" / "roster"), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def pg_url() -> str:
    """The PostgreSQL database the benchmark drops and recreates for each configuration."""
    return os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/roster_bench")


def _fresh_url(engine: str, workdir: Path) -> str:
    if engine == "sqlite":
        return f"sqlite:///{workdir / 'bench.db'}"
    import psycopg

    url = pg_url()
    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return url


def _ids(url: str) -> tuple[list[str], str]:
    sql_users = "SELECT id FROM users ORDER BY id"
    sql_group = "SELECT id FROM groups ORDER BY id LIMIT 1"
    if url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            users = [r[0] for r in conn.execute(sql_users)]
            group = conn.execute(sql_group).fetchone()[0]
        return users, group
    import psycopg

    with psycopg.connect(url) as conn:
        users = [r[0] for r in conn.execute(sql_users)]
        row = conn.execute(sql_group).fetchone()
        assert row is not None
        return users, row[0]


def prepare_directory(root: Path, engine: str, size: int) -> Setup:
    """Migrate a fresh database, seed ``size`` users and a big group, issue tokens."""
    workdir = Path(tempfile.mkdtemp(prefix=f"roster-bench-{engine}-"))
    env = {"ROSTER_DATABASE_URL": _fresh_url(engine, workdir)}
    big = min(50_000, size // 2)
    _roster(
        root,
        env,
        "dev",
        "seed",
        "--users",
        str(size + 2000),
        "--groups",
        "1",
        "--group-size",
        str(big),
    )
    scim = _roster(root, env, "token", "create-scim", "--name", "bench")
    admin = _roster(root, env, "token", "create-admin", "--login", "bench-admin", "--role", "owner")
    users, group = _ids(env["ROSTER_DATABASE_URL"])
    seeded = users[: size + 2000]
    ids_file, gids_file = workdir / "ids.txt", workdir / "gids.txt"
    sample = seeded[: size : max(1, size // 2000)]
    ids_file.write_text("\n".join(sample) + "\n")
    gids = [base64.b64encode(f"User:{u}".encode()).decode() for u in sample]
    gids_file.write_text("\n".join(gids) + "\n")
    return Setup(env, scim, admin, ids_file, gids_file, group, big, seeded[size : size + 2000])
