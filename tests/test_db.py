from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, select

from hotline.models import Base, Chapter
from hotline.runtime import Runtime


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
