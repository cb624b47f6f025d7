"""Reminders through Redis and an RQ worker: a flushed Redis loses nothing (the sweep queues
the overdue planning again) and sends nothing twice."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from rq import Queue
from sqlalchemy import select

from hotline.jobs import ManualRunner
from hotline.roster.models import Chapter, Volunteer
from hotline.rqjobs import RQRunner, alive_key, queue_names, worker_classes
from hotline.work import sweeps
from tests.conftest import FixedClock, RecordingTelephony, RuntimeFactory
from tests.flows.harness import HOTLINE, seed_chapter
from tests.texts.helpers import add_shift

DAN = "+16175550114"
BOSTON = ZoneInfo("America/New_York")


def test_a_flushed_redis_delays_a_reminder_and_never_doubles_it(
    redis_url: str, make_runtime: RuntimeFactory,
) -> None:
    name = f"hotline-test-{uuid.uuid4().hex[:8]}"
    clock = FixedClock(datetime(2025, 1, 6, 18, 0, tzinfo=BOSTON))   # 24 h before the shift
    runner = RQRunner(redis_url, name, fallback=ManualRunner(clock))
    telephony = RecordingTelephony()
    runtime = make_runtime(telephony=telephony, clock=clock, jobs=runner)
    seed_chapter(runtime, {}, reminder_hours=[24])
    with runtime.transaction() as session:      # Dan's only shift: Tuesday 18:00-22:00
        dan = Volunteer(name="Dan", phone=DAN)
        session.add(dan)
        session.flush()
        ids = (session.scalars(select(Chapter.id)).one(), dan.id)
    add_shift(runtime, *ids, "tue", "18:00", "22:00")
    runner.redis.set(alive_key(name), "1", ex=60)       # a worker is alive: jobs go to Redis
    job_class, worker_class = worker_classes()
    queues = [Queue(q, connection=runner.redis, job_class=job_class) for q in queue_names(name)]

    def work() -> None:
        worker = worker_class(queues, connection=runner.redis)
        worker.runtime = runtime
        worker.work(burst=True)

    try:
        sweeps.sweep(runtime)                 # the planning task's job goes to Redis ...
        assert sum(q.count for q in queues) >= 1     # (with the day's retention run)
        for queue in queues:                  # ... and Redis is flushed before a worker runs it
            queue.empty()
        work()
        assert telephony.sms == []
        clock.now += timedelta(minutes=2)     # the next sweep finds the planning overdue
        sweeps.sweep(runtime)
        work()
        assert [(to, from_) for to, from_, _ in telephony.sms] == [(DAN, HOTLINE)]
        assert "Reply YES to confirm" in telephony.sms[0][2]
        for _ in range(3):                    # more sweeps, more workers: nothing twice
            clock.now += timedelta(minutes=2)
            sweeps.sweep(runtime)
            work()
        assert len(telephony.sms) == 1
    finally:
        runner.redis.delete(alive_key(name))
        for queue in queues:
            queue.delete(delete_jobs=True)

