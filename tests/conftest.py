"""Test harness: a migrated database per test session, rolled back per test.

The database and queue come from the environment, so the same suite runs on the
embedded default and on the real services:

    HOTLINE_TEST_DATABASE_URL   default: a SQLite file in a temporary folder;
                                a postgresql:// URL gets a fresh database made for this run
    HOTLINE_TEST_REDIS_URL      default: empty (jobs run in-process)
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from hotline.db import make_engine, normalise_url, upgrade
from hotline.jobs import JobRunner, ManualRunner
from hotline.runtime import Runtime, rolled_back_runtime
from hotline.settings import Settings, load_settings
from hotline.telephony import Telephony, TelephonyError

TEST_ACCOUNT_SID = "AC" + "0" * 31 + "1"
TEST_AUTH_TOKEN = "test-auth-token-0123456789abcdef"
TEST_PUBLIC_URL = "https://hotline.test"


def database_url_from_env() -> str | None:
    return os.environ.get("HOTLINE_TEST_DATABASE_URL") or None


def redis_url_from_env() -> str:
    return os.environ.get("HOTLINE_TEST_REDIS_URL", "")


@pytest.fixture
def redis_url() -> str:
    """The test Redis; tests that need one are skipped without HOTLINE_TEST_REDIS_URL."""
    url = redis_url_from_env()
    if not url:
        pytest.skip("HOTLINE_TEST_REDIS_URL not set")
    return url


def on_postgres() -> bool:
    url = database_url_from_env()
    return bool(url and url.startswith("postgresql"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database built for this run by running the migrations; dropped afterwards."""
    configured = database_url_from_env()
    if configured is None:
        path: Path = tmp_path_factory.mktemp("db") / "hotline-test.db"
        url = f"sqlite:///{path}"
        upgrade(make_engine(url))
        yield url
        return
    with own_database(configured, f"hotline_test_{os.getpid()}_{uuid.uuid4().hex[:6]}") as url:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url


@contextlib.contextmanager
def own_database(configured: str, name: str) -> Iterator[str]:
    """A new, empty PostgreSQL database `name` beside the configured one; dropped after."""
    base = make_url(normalise_url(configured))
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


def make_settings(database_url: str, **env: str) -> Settings:
    """Settings as a test deployment would have them, plus any HOTLINE_* overrides."""
    environ = {
        "HOTLINE_APP_PUBLIC_URL": TEST_PUBLIC_URL,
        "HOTLINE_APP_SECRET_KEY": "test-secret-key-0123456789",
        "HOTLINE_DATABASE_URL": database_url,
        "HOTLINE_QUEUE_REDIS_URL": "",
        "HOTLINE_TWILIO_ACCOUNT_SID": TEST_ACCOUNT_SID,
        "HOTLINE_TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
        "HOTLINE_PRIVACY_KEY": "test-privacy-key-0123456789",
        "HOTLINE_CALLS_EMERGENCY_LINE": "+18002738255",
        **env,
    }
    return load_settings(environ, path=None)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


class FixedClock:
    """A clock a test moves by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 10, 18, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


RuntimeFactory = Callable[..., Runtime]


@pytest.fixture
def make_runtime(settings: Settings, engine: Engine) -> Iterator[RuntimeFactory]:
    """Build runtimes whose every transaction is a savepoint of one outer transaction,
    rolled back after the test (hotline.runtime.rolled_back_runtime, as drills use)."""
    conn = engine.connect()
    outer = conn.begin()

    def factory(
        telephony: Telephony | None = None,
        clock: Callable[[], datetime] | None = None,
        jobs: JobRunner | None = None,
        settings_: Settings | None = None,
    ) -> Runtime:
        clk = clock or FixedClock()
        return rolled_back_runtime(
            settings_ or settings, conn, telephony=telephony or RecordingTelephony(),
            jobs=jobs if jobs is not None else ManualRunner(clk), clock=clk,
        )

    yield factory
    outer.rollback()
    conn.close()


@pytest.fixture
def runtime(make_runtime: RuntimeFactory) -> Runtime:
    return make_runtime()


class RecordingTelephony:
    """Remembers every request; for tests that look at what the app asked the network."""

    def __init__(self) -> None:
        self.placed: list[Any] = []
        self.stopped: list[str] = []
        self.moved: list[tuple[str, str]] = []
        self.sms: list[tuple[str, str, str]] = []
        self.returned: list[str] = []          # the SID given for each placed call
        self.recordings: dict[str, bytes] = {}  # RecordingSid -> its audio, as the network holds

    def place_call(self, call: Any) -> str:
        self.placed.append(call)
        self.returned.append("CA" + uuid.uuid4().hex)
        return self.returned[-1]

    def stop_call(self, call_sid: str) -> None:
        self.stopped.append(call_sid)

    def move_call(self, call_sid: str, url: str) -> None:
        self.moved.append((call_sid, url))

    def send_sms(self, to: str, from_: str, body: str) -> str:
        self.sms.append((to, from_, body))
        return "SM" + uuid.uuid4().hex

    def recording_audio(self, recording_sid: str) -> bytes:
        if recording_sid not in self.recordings:
            raise TelephonyError(f"no recording {recording_sid}", 20404)
        return self.recordings[recording_sid]


@pytest.fixture
def clean_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A database that commands may commit to: its own SQLite file, or PostgreSQL emptied after."""
    if not database_url.startswith("postgresql"):
        url = f"sqlite:///{tmp_path / 'hotline.db'}"
        upgrade(make_engine(url))
        yield url
        return
    yield database_url
    eng = make_engine(database_url)
    from hotline.models import Base

    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with eng.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    eng.dispose()


@pytest.fixture(autouse=True)
def no_job_runner_outlives_its_test() -> Iterator[None]:
    """A job runner left running after its test would run that test's delayed jobs in a
    later one, on the later test's rows (PostgreSQL's tables are emptied and ids restart)."""
    before = {t.ident for t in threading.enumerate()}
    yield
    deadline = time.monotonic() + 2
    while left := [t.name for t in threading.enumerate()
                   if t.name.startswith(("hotline-job-", "hotline-every"))
                   and t.ident not in before and t.is_alive()]:
        if time.monotonic() > deadline:
            pytest.fail(f"job runner threads still running after the test: {left}")
        time.sleep(0.05)
