"""What a process needs to do work: settings, database, telephony, jobs, throttle, clock.

Built once per process by one of two factories and passed explicitly: the web app keeps it
in its `extensions`, a worker hands it to every job, a CLI command to the functions it
calls. `build_runtime` wires the parts the settings describe; `rolled_back_runtime` wires
the same parts to one database connection whose transaction someone else rolls back at the
end (a drill reading the live rota, a test).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from hotline.db import Atomic, AtomicRunner, SavepointAtomic, make_engine
from hotline.jobs import PENDING_KEY, JobRunner, ThreadRunner, make_job
from hotline.privacy import Privacy
from hotline.settings import Settings
from hotline.telephony import Telephony
from hotline.throttle import Throttle, slot_file_for


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    atomic: AtomicRunner            # one-statement units on the hot path
    telephony: Telephony
    jobs: JobRunner
    throttle: Throttle              # outbound calls per second, across processes
    privacy: Privacy
    clock: Callable[[], datetime] = system_clock

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session that commits once at the end (or rolls back on error); the jobs it
        enqueued are sent once it has committed."""
        with self.sessions() as session:
            session.info[PENDING_KEY] = []
            with session.begin():
                yield session
            pending = session.info.pop(PENDING_KEY)
        for job in pending:
            self.jobs.submit(job, self)

    def submit(self, name: str, *args: Any, delay: timedelta | None = None,
               key: str | None = None) -> None:
        """Send job `name(self, *args)` now: for work whose data is already committed."""
        self.jobs.submit(make_job(name, args, delay, key), self)


def privacy_of(settings: Settings) -> Privacy:
    """The privacy key of these settings, with the key a rotation replaces if one is given."""
    return Privacy(settings.privacy.key, previous=(settings.privacy.previous_key,))


def _telephony(settings: Settings) -> Telephony:
    from hotline.telephony.twilio_rest import TwilioTelephony

    return TwilioTelephony(settings.twilio.account_sid, settings.twilio.auth_token,
                           api_base_url=settings.twilio.api_base_url,
                           timeout_seconds=settings.twilio.timeout_seconds)


def build_runtime(
    settings: Settings,
    *,
    telephony: Telephony | None = None,
    jobs: JobRunner | None = None,
    clock: Callable[[], datetime] | None = None,
    throttle: Throttle | None = None,
) -> Runtime:
    """The runtime of a web, worker or CLI process, as its settings describe it; any part
    may be given instead (a simulation on a virtual clock gives its telephony, clock, jobs
    and no throttle)."""
    engine = make_engine(settings.database.url)
    if jobs is None:
        local = ThreadRunner()
        if settings.queue.redis_url:
            from hotline.rqjobs import RQRunner

            jobs = RQRunner(settings.queue.redis_url, settings.queue.name, fallback=local,
                            notify=engine.dialect.name == "postgresql")
        else:
            jobs = local
    return Runtime(
        settings=settings, engine=engine,
        sessions=sessionmaker(engine, expire_on_commit=False), atomic=Atomic(engine),
        telephony=telephony or _telephony(settings), jobs=jobs,
        throttle=throttle or Throttle(
            settings.queue.redis_url, settings.twilio.calls_per_second,
            slot_file=slot_file_for(settings.twilio.account_sid, settings.database.url)),
        privacy=privacy_of(settings), clock=clock or system_clock,
    )


def rolled_back_runtime(
    settings: Settings,
    conn: Connection,
    *,
    telephony: Telephony,
    jobs: JobRunner,
    clock: Callable[[], datetime],
) -> Runtime:
    """A runtime whose every transaction is a savepoint inside `conn`'s transaction, which
    its owner rolls back: it reads what is there and leaves nothing behind."""
    return Runtime(
        settings=settings, engine=conn.engine,
        sessions=sessionmaker(bind=conn, expire_on_commit=False,
                              join_transaction_mode="create_savepoint"),
        atomic=SavepointAtomic(conn), telephony=telephony, jobs=jobs,
        throttle=Throttle.off(),
        privacy=privacy_of(settings), clock=clock,
    )
