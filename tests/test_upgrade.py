"""Upgrading from the previous release's schema (migration 0009): `db upgrade` keeps the data,
and the app then serves. Before it, the new code reports the database as behind."""

from __future__ import annotations

import json
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, Boolean, Engine, Integer, MetaData

from hotline.db import make_engine, upgrade
from tests.conftest import database_url_from_env, own_database
from tests.served.gunicorn import free_port, served_env, serving
from tests.test_cli import run

PREVIOUS_RELEASE = "0009"


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    """A database of its own: a SQLite file, or a fresh PostgreSQL database dropped after."""
    configured = database_url_from_env()
    if not (configured and configured.startswith("postgresql")):
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    with own_database(configured, f"hotline_upgrade_{uuid.uuid4().hex[:8]}") as url:
        yield url


def insert(engine: Engine, table: str, **values: Any) -> None:
    """A row as the old schema has it: every required column given a plain value."""
    meta = MetaData()
    meta.reflect(engine, only=[table])
    columns = meta.tables[table].columns
    row: dict[str, Any] = {}
    for column in columns:
        if column.name in values or column.nullable or column.primary_key:
            continue
        if column.server_default is not None:
            continue
        kind = column.type
        row[column.name] = (
            [] if isinstance(kind, JSON) else True if isinstance(kind, Boolean)
            else 30 if isinstance(kind, Integer)
            else datetime.now(UTC) if "TIME" in str(kind).upper() or "DATE" in str(kind).upper()
            else "")
    row.update(values)
    with engine.begin() as conn:
        conn.execute(meta.tables[table].insert().values(**row))


def test_upgrade_from_the_previous_release_keeps_the_data_and_serves(
    empty_database: str, tmp_path: Path,
) -> None:
    old = make_engine(empty_database)
    upgrade(old, PREVIOUS_RELEASE)
    insert(old, "chapters", id=1, slug="old-line", name="Old Line", timezone="Europe/London",
           ring_strategy="ring_all", accept_mode="press_1", language="en")
    insert(old, "chapter_numbers", chapter_id=1, number="+442079460958")
    insert(old, "volunteers", id=1, name="Pat Old", phone="+447700900123", active=True)
    old.dispose()
    env = served_env(empty_database, free_port(), free_port())

    behind = run(["status"], tmp_path, **env)
    assert behind.returncode == 1 and "run `hotline db upgrade`" in behind.stdout

    upgraded = run(["db", "upgrade"], tmp_path, **env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "database migrated to" in upgraded.stdout
    exported = run(["rota", "export"], tmp_path, **env)
    assert exported.returncode == 0, exported.stderr
    for kept in ("old-line", "Old Line", "Europe/London", "+442079460958", "Pat Old",
                 "+447700900123"):
        assert kept in exported.stdout, exported.stdout
    assert run(["status"], tmp_path, **env).returncode == 0

    with serving(env, tmp_path) as server, \
            urllib.request.urlopen(f"{server.url}/readyz", timeout=10) as ready:  # noqa: S310
        assert ready.status == 200 and json.loads(ready.read()) == {"status": "ok"}
