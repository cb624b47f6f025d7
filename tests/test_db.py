from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url

from hotline.db import normalise_url
from hotline.models import Base, Chapter
from hotline.runtime import Runtime
from tests.conftest import database_url_from_env


def test_migrations_build_exactly_the_models(engine: Engine) -> None:
    """The schema the migrations made is the schema the models declare."""
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_timestamps_come_back_aware_utc(runtime: Runtime) -> None:
    eastern = timezone(timedelta(hours=-5))
    with runtime.transaction() as s:
        s.add(Chapter(slug="x", name="X", timezone="UTC",
                      created_at=datetime(2026, 1, 1, 7, 0, tzinfo=eastern)))
    with runtime.sessions() as s:
        s.expire_all()
        got = s.scalars(select(Chapter.created_at).where(Chapter.slug == "x")).one()
    assert got == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert got.tzinfo is not None and got.utcoffset() == timedelta(0)


def test_migrations_run_down_and_up_again(tmp_path: Path) -> None:
    """Every migration has a working downgrade, on the database this run uses."""
    from alembic import command

    from hotline.db import alembic_config, current_revisions, make_engine, upgrade

    url = f"sqlite:///{tmp_path / 'm.db'}"
    admin = None
    configured = database_url_from_env()
    if configured and configured.startswith("postgresql"):
        base = make_url(normalise_url(configured))
        name = f"hotline_migrations_{uuid.uuid4().hex[:8]}"
        admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = base.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        upgrade(engine)
        head = current_revisions(engine)
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "base")
        assert current_revisions(engine) == set()
        upgrade(engine)
        assert current_revisions(engine) == head == {"0005"}
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
