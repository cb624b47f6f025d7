"""After the call: the volunteer's wrap-up menu books a check-in call or text, or a flag."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from hotline.logs.models import (
    AttemptResult,
    Call,
    CallbackRequest,
    CallFlag,
    FollowUpKind,
    FollowUpStatus,
)
from hotline.roster.models import Volunteer
from hotline.standin.phones import answers, listens
from hotline.texts.checkins import checkin_reply, latest_checkin
from hotline.texts.optouts import opt_out
from tests.conftest import RuntimeFactory
from tests.flows.harness import CALLER, HOTLINE, Hotline, hotline, seed_chapter, status_url

ANN = "+16175550111"
ALWAYS = "00:00-00:00"
BOSTON = ZoneInfo("America/New_York")


def talk_then_note(line: Hotline, choice: str) -> str:
    """A caller talks with Ann and hangs up first; Ann presses `choice` at the wrap-up."""
    line.board.phone(ANN, answers(after=2, press=["1", choice], talk_seconds=600))
    report = line.sim.call(CALLER, HOTLINE, caller=listens(talk_seconds=40),
                           status_callback=status_url())
    (ann,) = [leg for leg in line.board.legs.values() if leg.to == ANN]
    assert any("The caller has hung up" in said for said in ann.heard)
    return report.sid


def requests(line: Hotline) -> list[CallbackRequest]:
    with line.runtime.sessions() as session:
        return list(session.scalars(select(CallbackRequest).order_by(CallbackRequest.id)))


def test_a_check_in_call_is_made_a_day_later_through_a_volunteer(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime)
    seed_chapter(line.runtime, {1: [ANN]}, callback_hours=ALWAYS)
    sid = talk_then_note(line, "1")
    (ann,) = [leg for leg in line.board.legs.values() if leg.to == ANN]
    assert any("A check-in call is booked for tomorrow" in said for said in ann.heard)
    (request,) = requests(line)
    assert request.kind is FollowUpKind.CHECKIN_CALL and request.status is FollowUpStatus.OPEN
    booked = line.board.now()
    line.board.phone(ANN, answers(after=2, press=["1", ""], talk_seconds=600))
    line.board.phone(CALLER, answers(after=3, talk_seconds=30))
    line.sim.advance(23 * 3600)
    assert len([leg for leg in line.board.legs.values() if leg.to == ANN]) == 1
    line.sim.advance(2 * 3600)
    ring = [leg for leg in line.board.legs.values() if leg.to == ANN and leg.created > booked]
    callee = [leg for leg in line.board.legs.values() if leg.to == CALLER]
    assert len(ring) == 1 and len(callee) == 1
    assert any("check-in call a caller agreed to" in said for said in ring[0].heard)
    assert "This is the check-in call for someone at this number" in " ".join(callee[0].heard)
    assert callee[0].from_ == HOTLINE
    assert timedelta(hours=24) <= ring[0].created - request.requested_at < timedelta(
        hours=24, minutes=1)
    (attempt,) = line.contact(sid).callbacks
    assert attempt.checkin and attempt.outcome is AttemptResult.ANSWERED
    assert requests(line)[0].status is FollowUpStatus.DONE


def test_a_check_in_text_goes_in_call_back_hours_and_a_reply_asks_again(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime)
    # The simulation starts at 09:00 in Boston; texts go between 10:00 and 18:00.
    seed_chapter(line.runtime, {1: [ANN]}, callback_hours="10:00-18:00",
                 callback_greeting="")
    talk_then_note(line, "2")
    booked = line.board.now()
    line.sim.advance(24 * 3600 + 30 * 60)
    assert [m for m in line.board.messages if m.to == CALLER] == []    # 09:0x: not yet
    line.sim.advance(40 * 60)
    (text,) = [m for m in line.board.messages if m.to == CALLER]
    assert text.from_ == HOTLINE and "check-in you agreed to" in text.body
    assert "Boston" not in text.body and CALLER[-4:] not in text.body
    # Due a day after it was booked (09:01), it went when the hours opened (10:00).
    assert text.sent.astimezone(BOSTON) == datetime(2025, 1, 7, 10, 0, tzinfo=BOSTON)
    assert text.sent - booked > timedelta(hours=24)
    with line.runtime.transaction() as session:
        now = line.runtime.clock()
        request = latest_checkin(session, line.runtime.privacy.digest(CALLER), HOTLINE, now)
        assert request is not None and request.status is FollowUpStatus.DONE
        assert checkin_reply(session, request, "AGAIN", now) == (
            "Thank you. We will check in again tomorrow.")
    line.sim.advance(25 * 3600)
    assert len([m for m in line.board.messages if m.to == CALLER]) == 2
    with line.runtime.transaction() as session:
        now = line.runtime.clock()
        request = latest_checkin(session, line.runtime.privacy.digest(CALLER), HOTLINE, now)
        assert request is not None
        assert checkin_reply(session, request, "AGAIN", now) is not None
    line.sim.advance(25 * 3600)
    assert len([m for m in line.board.messages if m.to == CALLER]) == 3
    with line.runtime.transaction() as session:       # three is the most
        now = line.runtime.clock()
        request = latest_checkin(session, line.runtime.privacy.digest(CALLER), HOTLINE, now)
        assert request is not None
        assert "That was the last check-in" in (checkin_reply(session, request, "AGAIN", now)
                                                or "")
    line.sim.advance(3 * 24 * 3600)
    assert len([m for m in line.board.messages if m.to == CALLER]) == 3


def test_a_reply_of_call_to_a_check_in_text_asks_for_a_call_back(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime)
    seed_chapter(line.runtime, {1: [ANN]}, callback_hours=ALWAYS)
    talk_then_note(line, "2")
    line.sim.advance(24 * 3600 + 60)
    with line.runtime.transaction() as session:
        now = line.runtime.clock()
        request = latest_checkin(session, line.runtime.privacy.digest(CALLER), HOTLINE, now)
        assert request is not None
        assert checkin_reply(session, request, "CALL", now) == (
            "Thank you. Someone will call you back as soon as they can.")
    kinds = [(r.kind, r.status) for r in requests(line)]
    assert kinds == [(FollowUpKind.CHECKIN_TEXT, FollowUpStatus.DONE),
                     (FollowUpKind.CALLBACK, FollowUpStatus.OPEN)]
    line.sim.advance(1)
    alerts = [m for m in line.board.messages if m.to == ANN]
    assert len(alerts) == 1 and "call-back requested" in alerts[0].body


def test_stop_calls_off_a_check_in_call(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime)
    seed_chapter(line.runtime, {1: [ANN]}, callback_hours=ALWAYS)
    talk_then_note(line, "1")
    with line.runtime.transaction() as session:
        assert opt_out(session, line.runtime.privacy, CALLER, "sms",
                       line.runtime.clock())
    line.sim.advance(25 * 3600)
    assert len([leg for leg in line.board.legs.values() if leg.to == ANN]) == 1
    (request,) = requests(line)
    assert request.status is FollowUpStatus.CANCELED


def test_a_flag_is_noted_for_the_coordinator(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime)
    seed_chapter(line.runtime, {1: [ANN]})
    talk_then_note(line, "3")
    (ann,) = [leg for leg in line.board.legs.values() if leg.to == ANN]
    assert any("flagged for your coordinator" in said for said in ann.heard)
    with line.runtime.sessions() as session:
        (flag,) = session.scalars(select(CallFlag)).all()
        call = session.get(Call, flag.call_id)
        volunteer = session.get(Volunteer, flag.volunteer_id)
        assert call is not None and call.kind.value == "inbound"
        assert volunteer is not None and volunteer.phone == ANN
    assert requests(line) == []


def test_no_choice_books_nothing(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime)
    seed_chapter(line.runtime, {1: [ANN]})
    talk_then_note(line, "")
    line.sim.advance(25 * 3600)
    assert requests(line) == [] and line.board.messages == []
