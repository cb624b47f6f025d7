from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, create_engine, select, text
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
        assert current_revisions(engine) == head == {"0019"}
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def test_atomic_units_commit_on_their_own(clean_database_url: str) -> None:
    """The hot path's runner: what a unit wrote is there for everyone once it returns."""
    from hotline.db import Atomic, make_engine

    engine = make_engine(clean_database_url)
    atomic = Atomic(engine)
    try:
        atomic.run(lambda conn: conn.execute(
            Chapter.__table__.insert().values(slug="a", name="A", timezone="UTC",
                                              created_at=datetime.now(UTC))))
        with engine.connect() as other:
            assert other.scalar(select(Chapter.name).where(Chapter.slug == "a")) == "A"
    finally:
        atomic.dispose()
        engine.dispose()


def test_an_atomic_unit_run_together_is_one_transaction(clean_database_url: str) -> None:
    """The workers' sweep: several statements, one transaction (all or nothing), and the
    pooled connection is back to one transaction a statement afterwards (PostgreSQL)."""
    from hotline.db import Atomic, make_engine

    engine = make_engine(clean_database_url)
    atomic = Atomic(engine)

    def half_done(conn: Connection) -> None:
        conn.execute(Chapter.__table__.insert().values(
            slug="b", name="B", timezone="UTC", created_at=datetime.now(UTC)))
        raise RuntimeError("the second statement failed")

    def transaction_ids(conn: Connection) -> tuple[object, object]:
        return (conn.exec_driver_sql("SELECT txid_current()").scalar(),
                conn.exec_driver_sql("SELECT txid_current()").scalar())

    try:
        with pytest.raises(RuntimeError):
            atomic.run(half_done, together=True)
        with engine.connect() as other:
            assert other.scalar(select(Chapter.name).where(Chapter.slug == "b")) is None
        if engine.dialect.name == "postgresql":
            first, second = atomic.run(transaction_ids, together=True)
            assert first == second
            first, second = atomic.run(transaction_ids)
            assert first != second                  # autocommit again
    finally:
        atomic.dispose()
        engine.dispose()


def test_atomic_runs_again_on_a_dropped_connection_but_not_on_an_error(
    clean_database_url: str, caplog: Any,
) -> None:
    """PostgreSQL restarted under the pool: the unit runs once more, on a new connection."""
    if not clean_database_url.startswith("postgresql"):
        pytest.skip("the autocommit pool is PostgreSQL's")
    from sqlalchemy.exc import ProgrammingError

    from hotline.db import Atomic, make_engine

    engine = make_engine(clean_database_url)
    atomic = Atomic(engine)
    calls: list[int] = []

    def backend_pid(conn: Connection) -> int:
        calls.append(1)
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        assert isinstance(pid, int)
        return pid

    try:
        first = atomic.run(backend_pid)
        with engine.connect() as admin:
            admin.exec_driver_sql(f"SELECT pg_terminate_backend({first})")
            admin.commit()
        calls.clear()
        second = atomic.run(backend_pid)
        assert second != first
        assert len(calls) == 2                     # the dropped try, then the new one
        assert "connection dropped" in caplog.text

        calls.clear()

        def broken(conn: Connection) -> None:
            calls.append(1)
            conn.exec_driver_sql("SELECT * FROM no_such_table")

        with pytest.raises(ProgrammingError):
            atomic.run(broken)
        assert len(calls) == 1
    finally:
        atomic.dispose()
        engine.dispose()
