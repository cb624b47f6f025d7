"""`hotline worker` runs queued jobs from Redis (skipped without HOTLINE_TEST_REDIS_URL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, redis_url_from_env
from tests.test_cli import ROOT, run


def touch(runtime: object, path: str) -> None:
    Path(path).write_text(f"ran with {type(runtime).__name__}")


def test_worker_burst_runs_a_queued_job(clean_database_url: str, tmp_path: Path) -> None:
    redis_url = redis_url_from_env()
    if not redis_url:
        pytest.skip("HOTLINE_TEST_REDIS_URL not set")
    from redis import Redis
    from rq import Queue

    name = f"hotline-test-{uuid.uuid4().hex[:8]}"
    marker = tmp_path / "marker"
    queue = Queue(name, connection=Redis.from_url(redis_url))
    queue.enqueue("tests.test_worker_cli.touch", str(marker))
    try:
        result = run(
            ["worker", "--burst"], tmp_path,
            HOTLINE_DATABASE_URL=clean_database_url, HOTLINE_QUEUE_REDIS_URL=redis_url,
            HOTLINE_QUEUE_NAME=name, HOTLINE_APP_SECRET_KEY="s" * 20,
            HOTLINE_PRIVACY_KEY="p" * 20, HOTLINE_TWILIO_ACCOUNT_SID=TEST_ACCOUNT_SID,
            HOTLINE_TWILIO_AUTH_TOKEN=TEST_AUTH_TOKEN,
        )
    finally:
        queue.delete(delete_jobs=True)
    assert result.returncode == 0, result.stderr
    assert marker.read_text() == "ran with Runtime"


def test_worker_with_unreachable_redis_is_one_line(tmp_path: Path) -> None:
    settings = dict(
        HOTLINE_QUEUE_REDIS_URL="redis://127.0.0.1:1/0", HOTLINE_APP_SECRET_KEY="s" * 20,
        HOTLINE_PRIVACY_KEY="p" * 20, HOTLINE_TWILIO_ACCOUNT_SID=TEST_ACCOUNT_SID,
        HOTLINE_TWILIO_AUTH_TOKEN=TEST_AUTH_TOKEN,
    )
    assert run(["db", "upgrade"], tmp_path, **settings).returncode == 0   # the database is set up
    result = run(["worker"], tmp_path, **settings)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("hotline: queue.redis_url: cannot reach Redis")
    assert len(result.stderr.strip().splitlines()) == 1


def seed_ringing_leg(url: str) -> tuple[int, int]:
    """A call with one leg ringing a volunteer: what a STOP_LEGS job acts on."""
    from sqlalchemy.orm import Session

    from hotline.db import make_engine
    from hotline.logs import lifecycle
    from hotline.logs.models import Call, LegStatus
    from hotline.logs.records import offer, open_call
    from hotline.models import Chapter, Volunteer
    from hotline.phone import E164
    from hotline.privacy import Privacy

    at = datetime.now(UTC)
    engine = make_engine(url)
    with Session(engine) as s, s.begin():
        chapter = Chapter(slug="boston", name="Boston", timezone="America/New_York")
        ann = Volunteer(name="Ann", phone="+16175550111")
        s.add_all([chapter, ann])
        s.flush()
        call_id = open_call(s, Privacy("p" * 20), call_sid="CA" + "7" * 32,
                            to_number="+16175550100", caller=E164("+16175550987"),
                            started_at=at, chapter_id=chapter.id)
        call = s.get(Call, call_id)
        assert call is not None and call_id is not None
        leg = offer(s, call, ann.id, ann.name, at)
        assert leg is not None
        s.flush()
        lifecycle.dialled(s, leg, "CA" + "8" * 32)
        lifecycle.move_leg(s, leg, LegStatus.RINGING, at)
        leg_id = leg.id
    engine.dispose()
    return call_id, leg_id


def leave_call_for_workers(url: str) -> int:
    """A new call the web leaves for the workers (a chapter with nobody on its rota), by the
    webhook's own statement: on PostgreSQL it NOTIFYs the workers as it commits."""
    from sqlalchemy.orm import Session

    from hotline.db import Atomic, make_engine
    from hotline.logs.incoming import open_incoming
    from hotline.models import Chapter, ChapterNumber
    from hotline.phone import E164
    from hotline.privacy import Privacy

    engine = make_engine(url)
    with Session(engine) as s, s.begin():
        chapter = Chapter(slug="quiet", name="Quiet", timezone="UTC")
        s.add(chapter)
        s.flush()
        s.add(ChapterNumber(number="+16175550101", chapter_id=chapter.id))
    atomic = Atomic(engine)
    opened = atomic.run(lambda conn: open_incoming(
        conn, Privacy("p" * 20), call_sid="CA" + "9" * 32, to_number=E164("+16175550101"),
        caller=None, started_at=datetime.now(UTC), for_workers=True))
    atomic.dispose()
    engine.dispose()
    assert opened.call_id is not None
    return opened.call_id


def has_value(url: str, model: Any, row_id: int, column: str) -> bool:
    """Whether `column` of that row is set, read on a connection of its own."""
    from sqlalchemy.orm import Session

    from hotline.db import make_engine

    engine = make_engine(url)
    try:
        with Session(engine) as s:
            row = s.get(model, row_id)
            return row is not None and getattr(row, column) is not None
    finally:
        engine.dispose()


def planned(url: str, call_id: int) -> bool:
    from hotline.logs.models import Call

    return has_value(url, Call, call_id, "planned_at")


def stop_requested(url: str, leg_id: int) -> bool:
    from hotline.logs.models import CallLeg

    return has_value(url, CallLeg, leg_id, "stop_requested_at")


def worker_env(url: str, redis_url: str, queue: str) -> dict[str, str]:
    return {
        "HOTLINE_DATABASE_URL": url, "HOTLINE_QUEUE_REDIS_URL": redis_url,
        "HOTLINE_QUEUE_NAME": queue, "HOTLINE_APP_SECRET_KEY": "s" * 20,
        "HOTLINE_PRIVACY_KEY": "p" * 20, "HOTLINE_TWILIO_ACCOUNT_SID": TEST_ACCOUNT_SID,
        "HOTLINE_TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
        # Nothing listens here: the job's REST call fails, after the leg is marked.
        "HOTLINE_TWILIO_API_BASE_URL": "http://127.0.0.1:9", "HOTLINE_TWILIO_TIMEOUT_SECONDS": "1",
    }


@dataclass
class WorkerCase:
    """A ringing leg in a clean database, and queues of their own on the test Redis."""

    url: str
    redis_url: str
    redis: Any
    queue: str
    call_id: int
    leg_id: int

    def env(self) -> dict[str, str]:
        return worker_env(self.url, self.redis_url, self.queue)

    def enqueue_stop_legs(self) -> None:
        from rq import Queue

        from hotline.jobs import STOP_LEGS
        from hotline.rqjobs import queue_names

        calls = Queue(queue_names(self.queue)[0], connection=self.redis)
        calls.enqueue(STOP_LEGS, self.call_id, 0)


@pytest.fixture
def case(clean_database_url: str, redis_url: str) -> Iterator[WorkerCase]:
    from redis import Redis

    call_id, leg_id = seed_ringing_leg(clean_database_url)
    redis = Redis.from_url(redis_url)
    made = WorkerCase(clean_database_url, redis_url, redis,
                      f"hotline-test-{uuid.uuid4().hex[:8]}", call_id, leg_id)
    yield made
    for key in redis.scan_iter(match=f"*{made.queue}*"):
        redis.delete(key)


def test_burst_worker_runs_the_call_jobs(case: WorkerCase, tmp_path: Path) -> None:
    case.enqueue_stop_legs()
    result = run(["worker", "--burst"], tmp_path, **case.env())
    assert result.returncode == 0, result.stderr
    assert stop_requested(case.url, case.leg_id)


def test_worker_runs_jobs_wakes_for_new_calls_and_stops_on_sigterm(
    case: WorkerCase, tmp_path: Path,
) -> None:
    from hotline.rqjobs import alive_key

    environ = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    environ.update(case.env(), PYTHONPATH=str(ROOT))
    process = subprocess.Popen([sys.executable, "-m", "hotline", "worker"], cwd=tmp_path,
                               env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not case.redis.exists(alive_key(case.queue)):
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the worker never beat its heart"
            time.sleep(0.1)
        case.enqueue_stop_legs()
        while not stop_requested(case.url, case.leg_id):
            assert time.monotonic() < deadline, "the queued job never ran"
            time.sleep(0.1)
        if case.url.startswith("postgresql"):
            time.sleep(1.0)            # the listener is connected (it claims on connecting)
            waiting = leave_call_for_workers(case.url)
            woken = time.monotonic()
            while not planned(case.url, waiting):   # claimed, dispatched (nobody on call)
                assert time.monotonic() < deadline, "the call left for the workers never rang"
                time.sleep(0.05)
            # Woken by the NOTIFY the webhook's statement sent, not by the slow sweep.
            assert time.monotonic() - woken < 5
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        assert not case.redis.exists(alive_key(case.queue))     # producers run jobs now
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
