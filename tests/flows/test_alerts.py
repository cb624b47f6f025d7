"""After the call: a message or a call-back request is announced, then escalated if untaken."""

from __future__ import annotations

import re

from sqlalchemy import select

from hotline.alerts.alerts import take
from hotline.logs.models import Voicemail
from hotline.roster.models import Volunteer
from hotline.standin.calls import Message
from hotline.standin.phones import leaves_voicemail, presses, rings_out
from tests.conftest import RuntimeFactory
from tests.flows.harness import CALLER, HOTLINE, Hotline, hotline, seed_chapter, status_url

ANN, BOB, CORA = "+16175550111", "+16175550112", "+16175550113"
ALWAYS = "00:00-00:00"


def texts_to(line: Hotline, number: str) -> list[Message]:
    return [m for m in line.board.messages if m.to == number]


def reference(message: Message) -> str:
    found = re.search(r"ref ([A-Z0-9]{4})", message.body)
    assert found, message.body
    return found.group(1)


def leave_a_message(line: Hotline) -> str:
    report = line.sim.call(CALLER, HOTLINE, caller=leaves_voicemail(8),
                           status_callback=status_url())
    assert len(report.recordings) == 1
    return report.sid


def test_a_message_texts_tier_1_then_the_coordinators_when_nobody_takes_it(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime, {ANN: rings_out(), BOB: rings_out()})
    seed_chapter(line.runtime, {1: [ANN], 2: [BOB]}, coordinators=[CORA],
                 ring_timeout_seconds=10, max_wait_seconds=30, alert_unclaimed_minutes=30)
    leave_a_message(line)
    (alert,) = texts_to(line, ANN)
    assert alert.from_ == HOTLINE
    assert "new voicemail" in alert.body and "Boston Bereavement Line" in alert.body
    assert CALLER[-7:] not in alert.body and CALLER[-4:] not in alert.body
    assert texts_to(line, BOB) == [] and texts_to(line, CORA) == []   # tier 1 only, at first
    line.sim.advance(29 * 60)
    assert texts_to(line, CORA) == []
    line.sim.advance(2 * 60)
    (escalation,) = texts_to(line, CORA)
    assert escalation.from_ == HOTLINE and reference(escalation) == reference(alert)
    assert "has not been taken after 30 minutes" in escalation.body
    line.sim.advance(60 * 60)
    assert len(texts_to(line, CORA)) == 1 and len(texts_to(line, ANN)) == 1   # once each


def test_a_message_taken_in_time_is_not_escalated(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime, {ANN: rings_out()})
    seed_chapter(line.runtime, {1: [ANN]}, coordinators=[CORA], ring_timeout_seconds=10,
                 max_wait_seconds=30, alert_unclaimed_minutes=30)
    leave_a_message(line)
    (alert,) = texts_to(line, ANN)
    line.sim.advance(10 * 60)
    with line.runtime.transaction() as session:
        ann = session.scalar(select(Volunteer).where(Volunteer.phone == ANN))
        assert ann is not None
        reply = take(session, ann, reference(alert).lower(), line.runtime.clock())
    assert reply.startswith("You have taken voicemail")
    line.sim.advance(60 * 60)
    assert texts_to(line, CORA) == []
    with line.runtime.sessions() as session:
        voicemail = session.scalars(select(Voicemail)).one()
        assert voicemail.claimed_volunteer_id is not None and voicemail.claimed_at is not None


def test_a_second_volunteer_cannot_take_what_one_took(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime, {ANN: rings_out(), BOB: rings_out()})
    seed_chapter(line.runtime, {1: [ANN, BOB]}, ring_timeout_seconds=10, max_wait_seconds=30)
    leave_a_message(line)
    ref = reference(texts_to(line, ANN)[0])
    with line.runtime.transaction() as session:
        ann, bob = (session.scalar(select(Volunteer).where(Volunteer.phone == phone))
                    for phone in (ANN, BOB))
        assert ann is not None and bob is not None
        now = line.runtime.clock()
        assert take(session, ann, ref, now).startswith("You have taken")
        assert "already taken by another volunteer" in take(session, bob, ref, now)
        assert take(session, ann, ref, now).startswith("You have taken")     # idempotent
        assert take(session, bob, "ZZZZ", now) == "No open message or call-back has the ref ZZZZ."


def test_with_nobody_at_tier_1_the_next_tier_is_told(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime, {BOB: rings_out()})
    seed_chapter(line.runtime, {2: [BOB]}, ring_timeout_seconds=10, max_wait_seconds=30)
    leave_a_message(line)
    (alert,) = texts_to(line, BOB)
    assert "new voicemail" in alert.body


def test_a_call_back_request_is_announced_and_escalated(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime, {ANN: rings_out()})
    seed_chapter(line.runtime, {1: [ANN]}, coordinators=[CORA], ring_timeout_seconds=10,
                 max_wait_seconds=30, alert_unclaimed_minutes=15,
                 callback_hours="09:00-09:01")     # no attempt can happen in this test
    line.sim.call(CALLER, HOTLINE, caller=presses("1"), status_callback=status_url())
    (alert,) = texts_to(line, ANN)
    assert "call-back requested" in alert.body and f"TAKE {reference(alert)}" in alert.body
    line.sim.advance(16 * 60)
    (escalation,) = texts_to(line, CORA)
    assert "call-back requested" in escalation.body and reference(escalation) == reference(alert)
