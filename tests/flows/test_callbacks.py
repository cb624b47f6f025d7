"""After the call: a call-back asked for at the menu is made through a volunteer, masked."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from hotline.logs.models import AttemptResult, CallbackRequest, FollowUpStatus, Outcome
from hotline.standin.calls import Leg
from hotline.standin.phones import (
    answers,
    declines,
    leaves_voicemail,
    listens,
    presses,
    rings_out,
)
from hotline.work import kinds
from hotline.work.models import ScheduledTask, TaskStatus
from tests.conftest import RuntimeFactory
from tests.flows.harness import CALLER, HOTLINE, Hotline, hotline, seed_chapter, status_url

ANN, BOB = "+16175550111", "+16175550112"
OTHER, THIRD = "+16175550198", "+16175550197"
ALWAYS = "00:00-00:00"
BOSTON = ZoneInfo("America/New_York")


def ask_for_a_call_back(line: Hotline) -> str:
    report = line.sim.call(CALLER, HOTLINE, caller=presses("1"), status_callback=status_url())
    assert line.contact(report.sid).outcome is Outcome.CALLBACK_REQUESTED
    return report.sid


def test_a_call_back_rings_a_volunteer_then_the_caller_who_presses_1(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime, {ANN: rings_out()})
    seed_chapter(line.runtime, {1: [ANN]}, ring_timeout_seconds=10, max_wait_seconds=30,
                 callback_hours=ALWAYS)
    sid = ask_for_a_call_back(line)
    # The volunteer on call is texted at once, from the hotline number, with a reference.
    (alert,) = [m for m in line.board.messages if m.to == ANN]
    assert alert.from_ == HOTLINE and "call-back requested" in alert.body
    assert CALLER[-10:] not in alert.body and "TAKE " in alert.body
    # Five minutes later Ann is at her phone, and the caller at theirs.
    line.board.phone(ANN, answers(after=3, talk_seconds=60))
    line.board.phone(CALLER, answers(after=4, talk_seconds=45))
    began = line.board.now()
    line.sim.advance(6 * 60)
    line.sim.run_until_idle()
    ann = [leg for leg in line.board.legs.values() if leg.to == ANN and leg.created > began]
    caller = [leg for leg in line.board.legs.values()
              if leg.to == CALLER and leg.direction == "outbound-api"]
    assert len(ann) == 1 and len(caller) == 1
    assert any("asked to be called back" in text for text in ann[0].heard)
    assert caller[0].from_ == HOTLINE                       # never Ann's own number
    screen = " ".join(caller[0].heard)
    assert "This is a call back for someone at this number" in screen
    assert "Boston" not in screen                           # no organisation named
    assert caller[0].bridged_with and caller[0].bridged_with[0][0] == ann[0].sid
    # Ann could only have been dialled after the attempt's time (5 minutes after the ask).
    assert (ann[0].created - began).total_seconds() >= 4 * 60
    row = line.contact(sid)
    (attempt,) = row.callbacks
    assert attempt.volunteer == "Volunteer 0111" and attempt.outcome is AttemptResult.ANSWERED
    with line.runtime.sessions() as session:
        request = session.scalars(select(CallbackRequest)).one()
        assert request.status is FollowUpStatus.DONE and request.attempts == 1


def test_attempts_follow_the_delays_and_give_up_after_the_last(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime, {ANN: rings_out()})
    seed_chapter(line.runtime, {1: [ANN]}, ring_timeout_seconds=10, max_wait_seconds=30,
                 callback_hours=ALWAYS, callback_delays_minutes=[5, 30, 120])
    sid = ask_for_a_call_back(line)
    line.board.phone(ANN, answers(after=2))
    line.board.phone(CALLER, rings_out())                   # the caller never picks up
    for _ in range(3):
        line.sim.advance(125 * 60)
        line.sim.run_until_idle()
    row = line.contact(sid)
    assert [a.outcome for a in row.callbacks] == [AttemptResult.NO_ANSWER] * 3
    started = [a.at for a in row.callbacks]
    asked = row.started_at
    assert timedelta(minutes=5) <= started[0] - asked < timedelta(minutes=6)
    assert timedelta(minutes=30) <= started[1] - asked < timedelta(minutes=31)
    assert timedelta(minutes=120) <= started[2] - asked < timedelta(minutes=121)
    with line.runtime.sessions() as session:
        assert session.scalars(select(CallbackRequest)).one().status is FollowUpStatus.GAVE_UP


def ann_legs(line: Hotline) -> list[Leg]:
    return sorted((leg for leg in line.board.legs.values() if leg.to == ANN),
                  key=lambda leg: leg.created)


def test_callers_on_the_line_go_before_a_call_back(make_runtime: RuntimeFactory) -> None:
    # Ann is on a call when the call-back falls due; another caller rings meanwhile. When
    # Ann is free the caller holding gets her first, though the call-back waited longer.
    line = hotline(make_runtime, {ANN: rings_out()})
    seed_chapter(line.runtime, {1: [ANN]}, ring_timeout_seconds=10, max_wait_seconds=900,
                 callback_hours=ALWAYS, callback_delays_minutes=[5])
    first = ask_for_a_call_back(line)
    line.board.phone(ANN, answers(after=2, press=["1", ""], talk_seconds=600))
    line.board.phone(CALLER, answers(after=3, talk_seconds=30))
    second = line.sim.start_call(OTHER, HOTLINE, listens(talk_seconds=120), after=4 * 60,
                                 status_callback=status_url())
    third = line.sim.start_call(THIRD, HOTLINE, listens(talk_seconds=60), after=5 * 60 + 30,
                                status_callback=status_url())
    line.sim.advance(20 * 60)
    line.sim.run_until_idle()
    served = [leg.bridged_with[0][0] if leg.bridged_with else None for leg in ann_legs(line)]
    callee = [leg for leg in line.board.legs.values()
              if leg.to == CALLER and leg.direction == "outbound-api"]
    assert len(callee) == 1
    # The first leg (rang out) was for the first call; then the second caller, the third,
    # and only then the call-back.
    assert served[-3:] == [second().sid, third().sid, callee[0].sid]
    (attempt,) = line.contact(first).callbacks
    assert attempt.outcome is AttemptResult.ANSWERED


def test_a_caller_who_calls_again_and_talks_is_not_called_back(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime, {ANN: rings_out()})
    seed_chapter(line.runtime, {1: [ANN]}, ring_timeout_seconds=10, max_wait_seconds=30,
                 callback_hours=ALWAYS)
    first = ask_for_a_call_back(line)
    line.board.phone(ANN, answers(after=2, press=["1", ""], talk_seconds=600))
    line.sim.advance(60)
    again = line.sim.call(CALLER, HOTLINE, caller=listens(talk_seconds=30),
                          status_callback=status_url())
    assert again.bridged_to is not None
    line.sim.advance(3 * 3600)
    assert [leg for leg in line.board.legs.values() if leg.to == CALLER] == []
    assert line.contact(first).callbacks == ()
    with line.runtime.sessions() as session:
        request = session.scalars(select(CallbackRequest)).one()
        assert request.status is FollowUpStatus.REACHED_ELSEWHERE
        # The attempt that was scheduled is called off, not merely found unneeded later.
        attempts = session.scalars(select(ScheduledTask).where(
            ScheduledTask.kind == kinds.FOLLOWUP_ATTEMPT,
            ScheduledTask.subject_id == request.id)).all()
        assert attempts and {t.status for t in attempts} == {TaskStatus.CANCELED}


def test_a_volunteer_who_declines_a_call_back_frees_it_for_the_next_attempt(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime, {ANN: rings_out()})
    seed_chapter(line.runtime, {1: [ANN]}, ring_timeout_seconds=10, max_wait_seconds=30,
                 callback_hours=ALWAYS, callback_delays_minutes=[5, 30])
    first = ask_for_a_call_back(line)
    line.board.phone(ANN, declines(after=2, press="2"))
    line.sim.advance(10 * 60)
    (attempt,) = line.contact(first).callbacks
    assert attempt.outcome is AttemptResult.VOLUNTEER_UNAVAILABLE
    assert len(ann_legs(line)) == 4            # three for the call, one for the attempt
    line.board.phone(ANN, answers(after=2, press=["1", ""]))
    line.board.phone(CALLER, answers(after=3, talk_seconds=30))
    line.sim.advance(30 * 60)
    outcomes = [a.outcome for a in line.contact(first).callbacks]
    assert outcomes == [AttemptResult.VOLUNTEER_UNAVAILABLE, AttemptResult.ANSWERED]


def test_a_call_back_waits_for_the_call_back_hours(make_runtime: RuntimeFactory) -> None:
    # The simulation starts at 09:00 in Boston; call-backs are made from 10:00.
    line = hotline(make_runtime, {ANN: rings_out()})
    seed_chapter(line.runtime, {1: [ANN]}, ring_timeout_seconds=10, max_wait_seconds=30,
                 callback_hours="10:00-20:00")
    first = ask_for_a_call_back(line)
    line.board.phone(ANN, answers(after=2, press=["1", ""]))
    line.board.phone(CALLER, answers(after=3, talk_seconds=30))
    line.sim.advance(50 * 60)
    assert line.contact(first).callbacks == ()
    line.sim.advance(20 * 60)
    (attempt,) = line.contact(first).callbacks
    assert attempt.at.astimezone(BOSTON) == datetime(2025, 1, 6, 10, 0, tzinfo=BOSTON)
    assert attempt.outcome is AttemptResult.ANSWERED


def test_a_withheld_number_is_told_it_cannot_be_called_back(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime, {ANN: rings_out()})
    seed_chapter(line.runtime, {1: [ANN]}, ring_timeout_seconds=10, max_wait_seconds=30,
                 callback_hours=ALWAYS)
    report = line.sim.call("anonymous", HOTLINE, caller=leaves_voicemail(5),
                           status_callback=status_url())
    heard = " ".join(line.board.legs[report.sid].heard)
    assert "Your number is hidden, so we cannot call you back" in heard
    assert "call you back, press 1" not in heard
    assert line.contact(report.sid).outcome is Outcome.VOICEMAIL
    with line.runtime.sessions() as session:
        assert session.scalars(select(CallbackRequest)).all() == []


def test_call_backs_asked_for_out_of_hours_keep_their_spacing(
    make_runtime: RuntimeFactory,
) -> None:
    # Asked at 09:00 in Boston, call-backs from 10:00, delays 5, 30 and 120 minutes: the
    # first attempt at opening, the others their spacing after it, not all three at 10:00.
    line = hotline(make_runtime, {ANN: rings_out()})
    seed_chapter(line.runtime, {1: [ANN]}, ring_timeout_seconds=10, max_wait_seconds=30,
                 callback_hours="10:00-20:00", callback_delays_minutes=[5, 30, 120])
    sid = ask_for_a_call_back(line)
    line.board.phone(ANN, answers(after=2, press=["1", ""]))
    line.board.phone(CALLER, rings_out())                   # the caller never picks up
    line.sim.advance(4 * 3600)
    line.sim.run_until_idle()
    row = line.contact(sid)
    assert [a.outcome for a in row.callbacks] == [AttemptResult.NO_ANSWER] * 3
    assert [a.at.astimezone(BOSTON).strftime("%H:%M") for a in row.callbacks] == [
        "10:00", "10:25", "11:55"]


def test_an_attempt_no_volunteer_could_take_does_not_count_against_the_caller(
    make_runtime: RuntimeFactory,
) -> None:
    # One attempt allowed. Ann turns the first two down (busy with something else); the
    # caller has not been rung, so the call-back is tried again, and reaches them.
    line = hotline(make_runtime, {ANN: rings_out()})
    seed_chapter(line.runtime, {1: [ANN]}, ring_timeout_seconds=10, max_wait_seconds=30,
                 callback_hours=ALWAYS, callback_delays_minutes=[5])
    sid = ask_for_a_call_back(line)
    line.board.phone(ANN, declines(after=2, press="2"))
    line.sim.advance(60 * 60)
    assert [a.outcome for a in line.contact(sid).callbacks] == [
        AttemptResult.VOLUNTEER_UNAVAILABLE] * 2
    assert [leg for leg in line.board.legs.values() if leg.to == CALLER
            and leg.direction == "outbound-api"] == []
    line.board.phone(ANN, answers(after=2, press=["1", ""]))
    line.board.phone(CALLER, answers(after=3, talk_seconds=30))
    line.sim.advance(40 * 60)
    line.sim.run_until_idle()
    row = line.contact(sid)
    assert [a.outcome for a in row.callbacks][-1] is AttemptResult.ANSWERED
    gaps = [(b.at - a.at).total_seconds() / 60
            for a, b in zip(row.callbacks, row.callbacks[1:], strict=False)]
    assert all(gap >= 30 for gap in gaps)
    with line.runtime.sessions() as session:
        assert session.scalars(select(CallbackRequest)).one().status is FollowUpStatus.DONE
