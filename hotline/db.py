"""The database: one declarative Base, engines for SQLite and PostgreSQL, migrations."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, sessionmaker
from sqlalchemy.orm import Session as Session
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)

T = TypeVar("T")

# Stable constraint names so Alembic migrations are the same on both databases.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every database (SQLite forgets the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """Now, aware, in UTC: the default for timestamp columns."""
    return datetime.now(UTC)


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever driver the URL names."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the per-database settings this app relies on."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        connect_args = {"check_same_thread": False, "timeout": 30}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs.setdefault("poolclass", StaticPool)
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy issue BEGIN itself so that BEGIN IMMEDIATE below takes effect.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # IMMEDIATE takes the write lock at the start, so two writers queue up instead of
    # failing with "database is locked" half way (SQLite has no row locks).
    conn.exec_driver_sql("BEGIN IMMEDIATE")


class AtomicRunner(Protocol):
    def run(self, unit: Callable[[Connection], T]) -> T: ...


class Atomic:
    """Runs a small unit of work that commits by itself, as cheaply as the database allows.

    For the hottest path (the incoming-call webhook), where the ORM session's BEGIN, ping
    and COMMIT would cost more round trips than the work. On PostgreSQL a unit is meant to
    be one statement and runs on a second pool of autocommit connections: one round trip.
    That pool has no pre-ping; a connection found dropped (the database restarted) is
    replaced and the unit run once more, so a unit must be idempotent. On SQLite the unit
    runs in one transaction (BEGIN IMMEDIATE) on the main engine.
    """

    def __init__(self, engine: Engine) -> None:
        self._main = engine
        self._autocommit = engine.dialect.name == "postgresql"
        self._pool: Engine | None = None          # made on first use
        self._lock = threading.Lock()

    def run(self, unit: Callable[[Connection], T]) -> T:
        try:
            return self._run(unit)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            log.warning("database connection dropped (%s): running again on a new one",
                        type(exc.orig).__name__)
            return self._run(unit)

    def _run(self, unit: Callable[[Connection], T]) -> T:
        if not self._autocommit:
            with self._main.begin() as conn:
                return unit(conn)
        with self._autocommit_pool().connect() as conn:
            return unit(conn)

    def _autocommit_pool(self) -> Engine:
        with self._lock:
            if self._pool is None:
                self._pool = make_engine(self._main.url.render_as_string(hide_password=False),
                                         isolation_level="AUTOCOMMIT", pool_pre_ping=False)
            return self._pool

    def dispose(self) -> None:
        """Close the autocommit pool (the main engine is its owner's to dispose)."""
        with self._lock:
            if self._pool is not None:
                self._pool.dispose()
                self._pool = None


class SavepointAtomic:
    """Runs units inside a transaction someone else owns (a drill or test rolls it back)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def run(self, unit: Callable[[Connection], T]) -> T:
        with self.conn.begin_nested():
            return unit(self.conn)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Create or migrate the schema by running the Alembic migrations."""
    from alembic import command

    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)


def current_revisions(engine: Engine) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def alembic_config(connection: Any = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("hotline") / "migrations"))
    cfg.attributes["connection"] = connection
    return cfg
