"""What a process needs to do work: settings, database, telephony, jobs and the clock.

Built once per process (web app, worker, CLI command, test) from the settings.
Background jobs find it with `current()`; a worker process builds its own on first use.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from hotline.db import Atomic, AtomicRunner, make_engine
from hotline.jobs import RUNNER_KEY, JobRunner, RQRunner, ThreadRunner
from hotline.privacy import Privacy
from hotline.settings import Settings, load_settings
from hotline.telephony import Telephony


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    telephony: Telephony
    jobs: JobRunner
    privacy: Privacy
    clock: Callable[[], datetime] = system_clock
    sessions: sessionmaker[Session] = field(init=False)
    atomic: AtomicRunner = field(init=False)   # one-statement units on the hot path

    def __post_init__(self) -> None:
        self.sessions = sessionmaker(
            self.engine, expire_on_commit=False, info={RUNNER_KEY: self.jobs}
        )
        self.atomic = Atomic(self.engine)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session that commits once at the end, or rolls back on error."""
        with self.sessions() as session, session.begin():
            yield session


def build_runtime(
    settings: Settings,
    *,
    telephony: Telephony | None = None,
    jobs: JobRunner | None = None,
    clock: Callable[[], datetime] | None = None,
    engine: Engine | None = None,
) -> Runtime:
    """Wire the parts the settings describe; any part may be given instead (tests, drills)."""
    if telephony is None:
        from hotline.telephony.twilio_rest import TwilioTelephony

        telephony = TwilioTelephony(
            settings.twilio.account_sid,
            settings.twilio.auth_token,
            api_base_url=settings.twilio.api_base_url,
            timeout_seconds=settings.twilio.timeout_seconds,
        )
    if jobs is None:
        local = ThreadRunner()
        jobs = (
            RQRunner(settings.queue.redis_url, settings.queue.name, fallback=local)
            if settings.queue.redis_url
            else local
        )
    return Runtime(
        settings=settings,
        engine=engine or make_engine(settings.database.url),
        telephony=telephony,
        jobs=jobs,
        privacy=Privacy(settings.privacy.key),
        clock=clock or system_clock,
    )


_current: Runtime | None = None
_lock = threading.Lock()


def install(runtime: Runtime | None) -> None:
    """Make `runtime` the one this process's jobs use."""
    global _current
    with _lock:
        _current = runtime


def current() -> Runtime:
    """The process's runtime; a worker process builds it from the settings on first use."""
    global _current
    with _lock:
        if _current is None:
            _current = build_runtime(load_settings())
        return _current
