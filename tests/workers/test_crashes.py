"""Issue 9's bar for after-the-call work: a worker process killed (SIGKILL) between writing a
text's intent and recording that it went, STOP arriving between scheduling and sending,
and workers racing for one scheduled task or one text (one wins). On SQLite the child is
the embedded default's job runner; with HOTLINE_TEST_REDIS_URL it is `hotline worker`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from hotline import jobs
from hotline.jobs import LaterRunner, ManualRunner
from hotline.roster.models import Volunteer
from hotline.runtime import Runtime, build_runtime
from hotline.settings import load_settings
from hotline.standin.carrier import CarrierError
from hotline.standin.clock import RealClock
from hotline.standin.rest import create_rest_app, serve_rest
from hotline.standin.switchboard import Switchboard
from hotline.texts import outbox
from hotline.texts.models import OutboundText, TextStatus
from hotline.texts.optouts import opt_out
from hotline.work import schedule, sweeps
from hotline.work.models import ScheduledTask, TaskStatus
from tests.conftest import (
    TEST_ACCOUNT_SID,
    TEST_AUTH_TOKEN,
    FixedClock,
    RecordingTelephony,
    make_settings,
    redis_url_from_env,
)
from tests.test_cli import ROOT

ANN = "+16175550111"
HOTLINE = "+16175550100"
BODY = "Boston Bereavement Line: new voicemail, ref AB12."


class StallingNetwork(Switchboard):
    """The network stalls the first text sent: after taking it (`delivered_first`) or before
    (then the connection is lost), while the test kills the sender."""

    def __init__(self, delivered_first: bool) -> None:
        super().__init__(RealClock(), TEST_ACCOUNT_SID)
        self.delivered_first = delivered_first
        self.reached = threading.Event()
        self.release = threading.Event()
        self._stalled = False

    def create_message(self, request: Any) -> Any:
        if self._stalled:
            return super().create_message(request)
        self._stalled = True
        state = super().create_message(request) if self.delivered_first else None
        self.reached.set()
        self.release.wait(30)
        if state is None:
            raise CarrierError("connection reset before the message was taken", 500, 20500)
        return state


def child_send(text_id: str) -> None:
    """The embedded default's job runner in a process of its own: SEND_TEXT for one text."""
    runtime = build_runtime(load_settings(), jobs=LaterRunner())
    outbox.send(runtime, int(text_id))


@pytest.fixture(params=[True, False], ids=["network-took-it", "network-never-got-it"])
def network(request: pytest.FixtureRequest) -> Iterator[tuple[StallingNetwork, str]]:
    board = StallingNetwork(delivered_first=request.param)
    base_url, stop = serve_rest(create_rest_app(board, TEST_AUTH_TOKEN))
    yield board, base_url
    board.release.set()
    stop()


def queue_alert(runtime: Runtime) -> int:
    with runtime.transaction() as session:
        ann = Volunteer(name="Ann Example", phone=ANN)
        session.add(ann)
        session.flush()
        text = outbox.queue_text(session, key="alert-1", kind="alert", from_number=HOTLINE,
                                 body=BODY, now=runtime.clock(), volunteer_id=ann.id)
        return text.id


def start_sender(url: str, base_url: str, text_id: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update(PYTHONPATH=str(ROOT), HOTLINE_DATABASE_URL=url,
               HOTLINE_PRIVACY_KEY="p" * 20, HOTLINE_APP_SECRET_KEY="s" * 20,
               HOTLINE_TWILIO_ACCOUNT_SID=TEST_ACCOUNT_SID,
               HOTLINE_TWILIO_AUTH_TOKEN=TEST_AUTH_TOKEN, HOTLINE_TWILIO_API_BASE_URL=base_url)
    redis_url = redis_url_from_env()
    if not redis_url:
        code = f"from tests.workers.test_crashes import child_send; child_send('{text_id}')"
        return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    from redis import Redis
    from rq import Queue

    name = f"hotline-test-{uuid.uuid4().hex[:8]}"
    Queue(name, connection=Redis.from_url(redis_url)).enqueue(jobs.SEND_TEXT, text_id)
    env.update(HOTLINE_QUEUE_REDIS_URL=redis_url, HOTLINE_QUEUE_NAME=name)
    return subprocess.Popen([sys.executable, "-m", "hotline", "worker"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_sender_killed_mid_send_sends_the_text_once_after_its_lease(
    network: tuple[StallingNetwork, str], clean_database_url: str,
) -> None:
    board, base_url = network
    settings = make_settings(clean_database_url, HOTLINE_TWILIO_API_BASE_URL=base_url)
    clock = FixedClock(datetime.now(UTC))
    runner = ManualRunner(clock)
    runtime = build_runtime(settings, jobs=runner, clock=clock)
    # The intent is written; its job goes to the process we kill, not to this runner.
    writer = build_runtime(settings, jobs=LaterRunner(), clock=clock)
    try:
        text_id = queue_alert(writer)
        writer.engine.dispose()
        sender = start_sender(clean_database_url, base_url, text_id)
        try:
            assert board.reached.wait(60), "the sender never reached the network"
        finally:
            sender.send_signal(signal.SIGKILL)
            sender.wait(10)
        board.release.set()
        with runtime.sessions() as session:
            text = session.get(OutboundText, text_id)
            assert text is not None and (text.status, text.message_sid) == (
                TextStatus.SENDING, None)
        sweeps.sweep(runtime)                 # before its lease runs out: left alone
        runner.run_due()
        assert len(board.messages) == int(board.delivered_first)
        clock.now = datetime.now(UTC) + outbox.LEASE + timedelta(seconds=1)
        sweeps.sweep(runtime)
        runner.run_due()
        assert [m.body for m in board.messages] == [BODY]      # sent once, whichever case
        with runtime.sessions() as session:
            text = session.get(OutboundText, text_id)
            assert text is not None and text.status is TextStatus.SENT
            assert text.message_sid == board.messages[0].sid and text.tries == 2
    finally:
        runtime.engine.dispose()


def test_stop_between_scheduling_and_sending_sends_nothing(make_runtime: Any) -> None:
    telephony = RecordingTelephony()
    runtime = make_runtime(telephony=telephony)
    caller = "+16175550199"
    with runtime.transaction() as session:
        text = outbox.queue_text(
            session, key="checkin-1", kind="checkin", from_number=HOTLINE,
            body="Hello, this is the check-in you agreed to.", now=runtime.clock(),
            caller_cipher=runtime.privacy.encrypt(caller),
            caller_hash=runtime.privacy.digest(caller), caller_hint="***0199")
        text_id = text.id
    with runtime.transaction() as session:          # STOP is texted before the job runs
        opt_out(session, runtime.privacy, caller, "STOP", runtime.clock())
    runtime.jobs.run_due()
    assert telephony.sms == []
    with runtime.sessions() as session:
        sent = session.get(OutboundText, text_id)
        assert sent is not None and sent.status is TextStatus.OPTED_OUT


RAN: list[int] = []


def slow_handler(session: Session, runtime: Runtime, task: ScheduledTask) -> None:
    RAN.append(task.id)
    time.sleep(0.2)


class CountingTelephony(RecordingTelephony):
    def send_sms(self, to: str, from_: str, body: str) -> str:
        time.sleep(0.1)
        return super().send_sms(to, from_, body)


WORKERS = 4


def race(targets: list[Any]) -> list[Any]:
    barrier = threading.Barrier(len(targets))
    results: list[Any] = []
    lock = threading.Lock()

    def go(target: Any) -> None:
        barrier.wait()
        result = target()
        with lock:
            results.append(result)

    threads = [threading.Thread(target=go, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_workers_racing_for_one_scheduled_task_and_one_text_one_wins(
    clean_database_url: str,
) -> None:
    RAN.clear()
    clock = FixedClock(datetime.now(UTC))
    telephony = CountingTelephony()
    # One runtime each, with its own connections: as separate workers would be.
    runtimes = [build_runtime(make_settings(clean_database_url), telephony=telephony,
                              jobs=LaterRunner(), clock=clock) for _ in range(WORKERS)]
    try:
        with runtimes[0].transaction() as session:
            task = schedule.schedule(session, "slow", 0, clock.now, key="race-1", now=clock.now)
            task_id = task.id
        text_id = queue_alert(runtimes[0])
        ran = race([lambda rt=rt: schedule.run(rt, task_id, {"slow": slow_handler})
                    for rt in runtimes])
        assert RAN == [task_id] and sorted(ran) == [False] * (WORKERS - 1) + [True]
        sent = race([lambda rt=rt: outbox.send(rt, text_id) for rt in runtimes])
        assert [s for s in sent if s is not None] == [TextStatus.SENT]
        assert [sms[2] for sms in telephony.sms] == [BODY]
        with runtimes[0].sessions() as session:
            done = session.get(ScheduledTask, task_id)
            assert done is not None and (done.status, done.attempts) == (TaskStatus.DONE, 1)
    finally:
        for rt in runtimes:
            rt.engine.dispose()
