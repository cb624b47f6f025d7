"""The database: one declarative Base, engines for SQLite and PostgreSQL, migrations."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from typing import Any, Protocol, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    DateTime,
    Engine,
    MetaData,
    create_engine,
    event,
    select,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import DeclarativeBase, sessionmaker
from sqlalchemy.orm import Session as Session
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

from hotline.files import create_private, sqlite_file

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
        path = sqlite_file(url)
        if path is not None:
            # The contact log is for its owner only: a new database file is made 0600 before
            # SQLite opens it (its -wal and -shm files take the same mode).
            event.listen(engine, "do_connect", lambda *_: create_private(path)
                         if path.parent.is_dir() else None)
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
    def run(self, unit: Callable[[Connection], T], *, together: bool = False) -> T: ...


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

    def run(self, unit: Callable[[Connection], T], *, together: bool = False) -> T:
        """Run `unit`; `together`: a unit of several statements, which then commit as one
        transaction (still one BEGIN and one COMMIT on PostgreSQL, with no ping): the
        workers' sweep, whose statements would otherwise each be a transaction."""
        try:
            return self._run(unit, together)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            log.warning("database connection dropped (%s): running again on a new one",
                        type(exc.orig).__name__)
            return self._run(unit, together)

    def _run(self, unit: Callable[[Connection], T], together: bool) -> T:
        if not self._autocommit:
            with self._main.begin() as conn:
                return unit(conn)
        with self._autocommit_pool().connect() as conn:
            if not together:
                return unit(conn)
            # Back to autocommit when the connection returns to the pool.
            conn.execution_options(isolation_level="READ COMMITTED")
            with conn.begin():
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

    def run(self, unit: Callable[[Connection], T], *, together: bool = False) -> T:
        with self.conn.begin_nested():
            return unit(self.conn)


def add_once(session: Session, row: T, where: ColumnElement[bool]) -> tuple[T, bool]:
    """Add `row` unless a row matching `where` (its unique key) is there, whoever else is
    adding it at this moment: the row in the database, and whether this call added it."""
    model = type(row)
    existing: T | None = session.scalar(select(model).where(where))
    if existing is not None:
        return existing, False
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        found: T | None = session.scalar(select(model).where(where))
        assert found is not None, f"{model.__name__}: a key conflict but no row"
        return found, False
    session.flush()
    return row, True


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Create or migrate the schema by running the Alembic migrations."""
    from alembic import command

    if engine.dialect.name != "sqlite":
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), revision)
        return
    # SQLite changes a table by copying it and dropping the old one; with foreign keys on,
    # that DROP cascades (a chapter's numbers, members, ... deleted). Off for the migration,
    # which must be outside a transaction, and every key checked before committing.
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                command.upgrade(alembic_config(conn), revision)
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left rows without their parent: {broken[:5]}")
        finally:
            raw.execute("PRAGMA foreign_keys=ON")


def current_revisions(engine: Engine) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


class SchemaNotReady(Exception):
    """The database is missing, empty, or not at the code's migrations; the message says
    what to run, in one line."""


def check_schema(engine: Engine) -> None:
    """Raise SchemaNotReady unless the database is at this code's migrations. A SQLite file
    that does not exist is reported without being created (connecting would create it)."""
    path = sqlite_file(engine.url.render_as_string(hide_password=False))
    if path is not None and not path.exists():
        raise SchemaNotReady(f"the database {path} does not exist yet: run `hotline db upgrade` "
                             "to create it")
    current = current_revisions(engine)
    if not current:
        raise SchemaNotReady("the database is not set up (no tables yet): run "
                             "`hotline db upgrade`")
    script = _scripts()
    heads = set(script.get_heads())
    if current == heads:
        return
    known = {rev.revision for rev in script.walk_revisions()}
    unknown = sorted(current - known)
    if unknown:
        raise SchemaNotReady(f"the database is at revision {', '.join(unknown)}, which this "
                             "version of hotline does not know (a newer one migrated it): "
                             "install that version")
    raise SchemaNotReady(f"the database is behind the code's migrations (at "
                         f"{', '.join(sorted(current))}, the code needs "
                         f"{', '.join(sorted(heads))}): run `hotline db upgrade`")


@functools.cache
def _scripts() -> Any:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def alembic_config(connection: Any = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("hotline") / "migrations"))
    cfg.attributes["connection"] = connection
    return cfg
