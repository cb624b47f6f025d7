"""Fairness, callback delivery, degraded queues, signatures and the caller's privacy."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import inspect, select, text

from hotline.jobs import Job, ManualRunner
from hotline.logs.contacts import list_contacts
from hotline.logs.models import Call, CallLeg, LegOutcome, Outcome
from hotline.roster.models import Chapter
from hotline.rqjobs import RQRunner
from hotline.runtime import Runtime
from hotline.standin.delivery import Delivery
from hotline.standin.phones import (
    answers,
    declines,
    leaves_voicemail,
    listens,
    presses,
    rings_out,
)
from tests.conftest import TEST_PUBLIC_URL, RuntimeFactory
from tests.flows.harness import CALLER, HOTLINE, hotline, seed_chapter, status_url

ANN, BOB, CAT = "+16175550111", "+16175550112", "+16175550113"


def test_sequential_rings_least_recently_offered_first(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime, {ANN: rings_out(), BOB: rings_out(), CAT: rings_out()})
    ids = seed_chapter(line.runtime, {1: [ANN, BOB, CAT]}, ring_strategy="sequential",
                       ring_timeout_seconds=10, max_wait_seconds=200)
    now = line.board.now()
    with line.runtime.transaction() as session:   # Ann was offered a call an hour ago, Cat two
        chapter_id = session.scalar(select(Chapter.id))
        past = Call(call_sid="CA" + "e" * 32, chapter_id=chapter_id, to_number=HOTLINE,
                    started_at=now - timedelta(hours=2), phase="finished", outcome="answered")
        session.add(past)
        session.flush()
        for phone, hours in ((ANN, 1), (CAT, 2)):
            session.add(CallLeg(call_id=past.id, volunteer_id=ids[phone],
                                status="completed", engaged=None, outcome="no_answer",
                                created_at=now - timedelta(hours=hours)))
    report = line.sim.call(CALLER, HOTLINE, caller=leaves_voicemail(5),
                           status_callback=status_url())
    assert [leg.to for leg in report.legs[:3]] == [BOB, CAT, ANN]
    starts = [line.board.legs[leg.sid].created for leg in report.legs]
    assert starts == sorted(starts) and starts[0] < starts[1] < starts[2]   # one at a time
    # While the caller waits, phones that rang out ring again, still one at a time and in
    # the same order (each is now the least recently offered in turn).
    assert [leg.to for leg in report.legs[3:6]] == [BOB, CAT, ANN]
    ends = [line.board.legs[leg.sid].ended for leg in report.legs]
    assert all(ends[i] is not None and ends[i] <= starts[i + 1]  # type: ignore[operator]
               for i in range(len(starts) - 1))
    assert line.contact(report.sid).outcome is Outcome.VOICEMAIL


def _scenario(
    make_runtime: RuntimeFactory, delivery: Delivery, seed: str, number: str
) -> dict[str, object]:
    line = hotline(make_runtime, {ANN: declines(after=2, press="9"), BOB: rings_out(),
                                  CAT: answers(after=5, talk_seconds=100)},
                   delivery=delivery, seed=seed)
    seed_chapter(line.runtime, {1: [ANN, BOB], 2: [CAT]}, slug=f"chapter-{seed}",
                 number=number, ring_timeout_seconds=15)
    report = line.sim.call(CALLER, number, caller=listens(hang_up_after=600),
                           status_callback=status_url())
    row = line.contact(report.sid).as_json()
    del row["call_sid"], row["chapter"]
    return row


@pytest.mark.parametrize("delivery", [
    Delivery(duplicate=True, duplicate_after=0.5),
    Delivery(reorder=True),
    Delivery(duplicate=True, duplicate_after=4, reorder=True),
], ids=["duplicated", "reordered", "duplicated-reordered"])
def test_duplicated_and_out_of_order_callbacks_give_the_same_record(
    make_runtime: RuntimeFactory, delivery: Delivery
) -> None:
    baseline = _scenario(make_runtime, Delivery(), "baseline", HOTLINE)
    assert baseline["outcome"] == "answered" and baseline["answered_by"] == "Volunteer 0113"
    assert [leg["outcome"] for leg in baseline["legs"]] == [  # type: ignore[attr-defined]
        "declined", "no_answer", "answered"]
    assert _scenario(make_runtime, delivery, "messy", "+16175550101") == baseline


def test_redis_down_call_still_answered_and_recorded(
    make_runtime: RuntimeFactory, caplog: pytest.LogCaptureFixture
) -> None:
    holder: list[ManualRunner] = []

    class Late:
        """The fallback runner is the harness's own, made after the runtime."""

        def submit(self, job: Job, runtime: Runtime) -> None:
            holder[0].submit(job, runtime)

        def wakes_by_notify(self) -> bool:
            return False

    runner = RQRunner("redis://127.0.0.1:1/0", "hotline", fallback=Late())
    line = hotline(make_runtime, {ANN: answers(after=3)}, jobs=runner)
    holder.append(line.runner)
    seed_chapter(line.runtime, {1: [ANN]})
    report = line.sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=300),
                           status_callback=status_url())
    assert report.bridged_to == ANN
    assert line.contact(report.sid).outcome is Outcome.ANSWERED
    assert "Redis unavailable" in caplog.text


def test_plain_dial_when_ringing_cannot_start(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime, {ANN: answers(after=3, talk_seconds=50), BOB: rings_out()},
                   run_jobs=False)                   # no worker ever runs the ring job
    seed_chapter(line.runtime, {1: [ANN, BOB]})
    report = line.sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=600),
                           status_callback=status_url())
    assert report.bridged_to == ANN
    assert {leg.direction for leg in report.legs} == {"outbound-dial"}
    assert all(leg.from_ == HOTLINE for leg in report.legs)
    row = line.contact(report.sid)
    assert row.outcome is Outcome.ANSWERED and row.talk_seconds == 50
    # The fallback's phones are recorded as legs: who answered, and how each ended.
    assert row.answered_by == "Volunteer 0111"
    assert {(leg.volunteer, leg.outcome) for leg in row.legs} == {
        ("Volunteer 0111", LegOutcome.ANSWERED), ("Volunteer 0112", LegOutcome.CANCELED)}
    assert row.seconds_to_answer is not None and 20 <= row.seconds_to_answer < 45


def test_every_url_handed_to_twilio_refuses_unsigned_requests(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime, {ANN: declines(after=2, press="2"), BOB: answers(after=8),
                                  CAT: rings_out()})
    seed_chapter(line.runtime, {1: [ANN, BOB, CAT]})
    seed_chapter(line.runtime, {1: [CAT]}, slug="other", number="+16175550101")
    line.sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=200),
                  status_callback=status_url())
    line.sim.call("+16175550188", "+16175550101", caller=presses("2", message_seconds=5),
                  status_callback=status_url())
    urls = set(line.urls_requested())
    paths = {url.removeprefix(TEST_PUBLIC_URL).split("/")[-1] for url in urls}
    assert {"incoming", "status", "hold", "queue-exit", "menu", "recorded", "recording-status",
            "answer", "accept", "bridged"} <= paths
    client = line.app.test_client()
    for url in sorted(urls):
        path = url.removeprefix(TEST_PUBLIC_URL)
        form = {"CallSid": "CA" + "1" * 32, "CallStatus": "completed", "SequenceNumber": "9"}
        assert client.post(path, data=form).status_code == 403, path
        forged = client.post(path, data=form, headers={"X-Twilio-Signature": "bm9wZQ=="})
        assert forged.status_code == 403, path


def test_callers_number_is_nowhere_in_clear(
    make_runtime: RuntimeFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    line = hotline(make_runtime, {ANN: declines(after=2, press="2"), BOB: answers(after=6)})
    seed_chapter(line.runtime, {1: [ANN, BOB]})
    answered = line.sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=100),
                             status_callback=status_url())
    line.sim.call(CALLER, "+16175550999")
    digits = CALLER[-10:]
    assert digits not in caplog.text
    with line.runtime.sessions() as session:
        rows = list_contacts(session)
        assert [row.caller for row in rows] == ["***0199", "***0199"]
        assert digits not in repr([row.as_json() for row in rows])
        for table in inspect(session.connection()).get_table_names():
            dump = session.execute(text(f'SELECT * FROM "{table}"')).all()  # noqa: S608
            assert digits not in repr(dump), table
        call = session.scalar(select(Call).where(Call.call_sid == answered.sid))
        assert call is not None
        assert line.runtime.privacy.decrypt(call.caller_cipher) == CALLER
        assert call.caller_hash == line.runtime.privacy.digest(CALLER)
    assert LegOutcome.ANSWERED in {leg.outcome for leg in line.contact(answered.sid).legs}


def test_nobody_on_call_is_told_even_if_no_job_ever_runs(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime, run_jobs=False)     # the plan is made by the hold request
    seed_chapter(line.runtime, {}, hours_text="weekday evenings")
    report = line.sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=90),
                           status_callback=status_url())
    heard = " ".join(report.heard)
    assert "nobody is on call" in heard and "weekday evenings" in heard
    assert line.contact(report.sid).outcome is Outcome.NO_ONE_ON_CALL


def test_plan_is_for_the_instant_the_call_came_in(make_runtime: RuntimeFactory) -> None:
    """The ring job plans a moment after the webhook, for the call's own start time."""
    line = hotline(make_runtime, {ANN: answers(after=3)})
    seed_chapter(line.runtime, {1: [ANN], 2: [BOB]})
    report = line.sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=120),
                           status_callback=status_url())
    with line.runtime.sessions() as session:
        call = session.scalar(select(Call).where(Call.call_sid == report.sid))
        assert call is not None and call.planned_at is not None
        assert call.planned_at >= call.started_at
        assert [w["tier"] for w in call.plan] == [1, 2]
