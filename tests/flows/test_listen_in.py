"""Trainee listen-in: a chapter with `listen_in` bridges in a Conference, and a trainee on
call is rung once a volunteer took the call, joins muted with no beep, and leaves without
ending it; the volunteer (the mentor) ends it on leaving."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from hotline.cli.contacts import write_csv
from hotline.logs.models import CallbackRequest, LegOutcome, Outcome, Voicemail
from hotline.roster.models import Volunteer
from hotline.standin.conferences import Conference
from hotline.standin.phones import (
    HANG_UP,
    Phone,
    answers,
    leaves_voicemail,
    listens,
    presses,
    rings_out,
    voicemail,
)
from tests.conftest import RuntimeFactory
from tests.flows.harness import CALLER, HOTLINE, Hotline, hotline, seed_chapter, status_url

ANN, TIA = "+16175550111", "+16175550119"
LISTEN_PROMPT = "to listen in on a call, muted, press 1"


def _line(make_runtime: RuntimeFactory, phones: dict[str, object], *, listen_in: bool = True,
          tiers: dict[int, list[str]] | None = None, trainee: str = TIA,
          **chapter: object) -> Hotline:
    line = hotline(make_runtime, phones)  # type: ignore[arg-type]
    seed_chapter(line.runtime, tiers or {1: [ANN, TIA]}, listen_in=listen_in, **chapter)
    with line.runtime.transaction() as session:
        session.execute(update(Volunteer).where(Volunteer.phone == trainee)
                        .values(trainee=True))
    return line


def _room(line: Hotline, sid: str) -> Conference:
    rooms = [room for room in line.board.conference_log if room.name == sid]
    assert len(rooms) == 1, [room.name for room in line.board.conference_log]
    return rooms[0]


def test_trainee_listens_in_muted_and_leaves_without_ending_the_call(
        make_runtime: RuntimeFactory, capsys: pytest.CaptureFixture[str]) -> None:
    line = _line(make_runtime, {ANN: answers(after=4, talk_seconds=120),
                                TIA: answers(after=2, talk_seconds=30)})
    report = line.sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=600),
                           status_callback=status_url())
    print(report.transcript)
    # The greeting says a trainee may listen.
    assert any("heard by a volunteer in training" in said for said in report.heard)
    # The trainee was rung only after Ann took the call, and was never offered it.
    ann, tia = report.leg(ANN), report.leg(TIA)
    assert ann.digits == ("1",) and tia.digits == ("1",)
    assert tia.answered_at is not None and ann.answered_at is not None
    assert tia.answered_at > ann.answered_at
    assert any(LISTEN_PROMPT in said.lower() for said in tia.heard)
    room = _room(line, report.sid)
    by_number = {p.leg.to if p.leg.direction != "inbound" else "caller": p
                 for p in room.participants}
    assert set(by_number) == {ANN, TIA, "caller"}
    trainee, mentor, caller = by_number[TIA], by_number[ANN], by_number["caller"]
    assert (trainee.muted, trainee.beep, trainee.end_on_exit) == (True, "false", False)
    assert not mentor.muted and mentor.beep == "false"
    assert not caller.muted and caller.end_on_exit
    assert room.beeps == []
    # The trainee left after 30 s; the call went on with Ann until she hung up at 120 s.
    assert trainee.left is not None and mentor.left is not None
    assert (mentor.left - trainee.left).total_seconds() > 60
    # Ann's leaving ended the call (the app hangs up the caller, whose leaving ends it).
    assert caller.left is not None and (caller.left - mentor.left).total_seconds() <= 2
    assert report.bridged_to == ANN and report.bridged_seconds >= 100
    assert report.status == "completed"
    row = line.contact(report.sid)
    assert row.outcome is Outcome.ANSWERED and row.answered_by == "Volunteer 0111"
    legs = {leg.volunteer: (leg.outcome, leg.trainee) for leg in row.legs}
    assert legs == {"Volunteer 0111": (LegOutcome.ANSWERED, False),
                    "Volunteer 0119": (LegOutcome.ANSWERED, True)}
    exported = row.as_json()
    assert exported["times_offered"] == 1
    assert [leg.get("kind") for leg in exported["legs"]] == [None, "trainee"]  # type: ignore[union-attr]
    capsys.readouterr()
    write_csv([row])
    assert "Volunteer 0119 (trainee): answered" in capsys.readouterr().out


def test_mentor_hanging_up_ends_the_call_for_caller_and_trainee(
        make_runtime: RuntimeFactory) -> None:
    line = _line(make_runtime, {ANN: answers(after=4, talk_seconds=60),
                                TIA: answers(after=2, talk_seconds=None)})
    report = line.sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=900),
                           status_callback=status_url())
    room = _room(line, report.sid)
    assert room.ended is not None
    assert all(p.left == room.ended for p in room.participants
               if p.leg.to != ANN)
    tia = report.leg(TIA)
    assert tia.ended_at is not None and report.status == "completed"
    assert report.duration < 200                     # not the caller's own 900 s
    assert "The call has ended. Thank you for listening." in tia.heard
    assert line.contact(report.sid).outcome is Outcome.ANSWERED


def test_trainee_voicemail_never_joins(make_runtime: RuntimeFactory) -> None:
    line = _line(make_runtime, {ANN: answers(after=4, talk_seconds=60),
                                TIA: voicemail(after=0.5)})
    report = line.sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=600),
                           status_callback=status_url())
    room = _room(line, report.sid)
    assert TIA not in {p.leg.to for p in room.participants}
    assert report.leg(TIA).answered_at is not None          # it picked up, and heard the screen
    assert report.bridged_to == ANN
    legs = {leg.volunteer: leg.outcome for leg in line.contact(report.sid).legs}
    assert legs["Volunteer 0119"] is LegOutcome.NO_ANSWER


def test_no_trainee_on_call_bridges_in_a_conference_without_one(
        make_runtime: RuntimeFactory) -> None:
    line = _line(make_runtime, {ANN: answers(after=4, talk_seconds=60)}, tiers={1: [ANN]})
    report = line.sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=600),
                           status_callback=status_url())
    room = _room(line, report.sid)
    assert len(room.participants) == 2
    assert report.bridged_to == ANN and report.bridged_seconds >= 50
    assert [leg.volunteer for leg in line.contact(report.sid).legs] == ["Volunteer 0111"]


def test_trainee_is_never_offered_the_caller(make_runtime: RuntimeFactory) -> None:
    # Ann rings out: the trainee, on the same shift, is not rung in her place.
    line = _line(make_runtime, {TIA: answers(after=1)}, tiers={1: [ANN, TIA]})
    report = line.sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=200),
                           status_callback=status_url())
    assert TIA not in {leg.to for leg in report.legs}
    assert line.board.conference_log == []


def test_listen_in_off_bridges_through_the_queue_as_before(
        make_runtime: RuntimeFactory) -> None:
    line = _line(make_runtime, {ANN: answers(after=4, talk_seconds=60),
                                TIA: answers(after=1)}, listen_in=False)
    report = line.sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=600),
                           status_callback=status_url())
    assert line.board.conference_log == []
    assert report.bridged_to in (ANN, TIA)            # a trainee is a volunteer like any other
    assert not any("in training" in said for said in report.heard)
    assert "bridged" in report.queue_results


def test_mentor_lets_the_trainee_speak_from_the_keypad(make_runtime: RuntimeFactory) -> None:
    # Ann accepts (1), presses * 40 s into the call, and 5 at her menu; then talks on.
    ann = Phone(pickup="answer", answer_after=4, replies=("1", "5"),
                presses=((40.0, "*"),), talk_seconds=90)
    line = _line(make_runtime, {ANN: ann, TIA: answers(after=2, talk_seconds=None)})
    report = line.sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=900),
                           status_callback=status_url())
    print(report.transcript)
    room = _room(line, report.sid)
    trainee = next(p for p in room.participants if p.leg.to == TIA)
    assert trainee.muted is False and [muted for _, muted in trainee.mutes] == [False]
    assert any("To let your trainee speak, press 5" in said for said in report.leg(ANN).heard)
    # Ann stepped out and came back: the caller stayed in the conference meanwhile.
    anns = [p for p in room.participants if p.leg.to == ANN]
    caller = next(p for p in room.participants if p.leg.direction == "inbound")
    assert len(anns) == 2 and caller.joined < anns[0].left < anns[1].joined  # type: ignore[operator]
    assert caller.left is not None and anns[1].left is not None
    assert (caller.left - anns[1].left).total_seconds() <= 2
    assert line.contact(report.sid).outcome is Outcome.ANSWERED


def test_caller_hanging_up_first_gives_the_mentor_the_wrap_up(
        make_runtime: RuntimeFactory) -> None:
    line = _line(make_runtime, {ANN: answers(after=4, talk_seconds=600),
                                TIA: answers(after=2, talk_seconds=None)})
    report = line.sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=60),
                           status_callback=status_url())
    ann = report.leg(ANN)
    assert any("The caller has hung up" in said for said in ann.heard)
    assert not any("let your trainee speak" in said for said in ann.heard)
    room = _room(line, report.sid)
    assert room.ended is not None and all(p.left is not None for p in room.participants)
    assert report.leg(TIA).ended_at is not None
    row = line.contact(report.sid)
    assert row.outcome is Outcome.ANSWERED and row.talk_seconds is not None


def test_a_trainee_takes_no_message_or_call_back_alone(make_runtime: RuntimeFactory) -> None:
    """In a listen_in chapter the trainee on call is not texted about a call-back or a
    message, is not rung for the call-back's attempt, cannot TAKE one by text, and hears
    none waiting when calling in; the volunteer on the same shift does all of it."""
    line = _line(make_runtime, {ANN: rings_out(), TIA: rings_out()},
                 callback_hours="00:00-00:00", ring_timeout_seconds=10, max_wait_seconds=30)
    asked = line.sim.call(CALLER, HOTLINE, caller=presses("1"), status_callback=status_url())
    line.sim.call(CALLER, HOTLINE, caller=leaves_voicemail(8), status_callback=status_url())
    to_tia = [m.body for m in line.board.messages if m.to == TIA]
    to_ann = [m.body for m in line.board.messages if m.to == ANN]
    assert to_tia == []
    refs = [found.group(1) for body in to_ann if (found := re.search(r"TAKE (\w{4})", body))]
    assert len(refs) == 2                     # Ann is told of the call-back and the message
    for ref in refs:
        (reply,) = line.sim.text(TIA, HOTLINE, f"TAKE {ref}")
        assert reply.startswith("In training at") and reply.endswith("Nothing taken.")
    with line.runtime.sessions() as session:
        assert session.scalars(select(CallbackRequest)).one().claimed_volunteer_id is None
        assert session.scalars(select(Voicemail)).one().claimed_volunteer_id is None
    called_in = line.sim.call(TIA, HOTLINE, caller=presses("2", HANG_UP))
    heard = " ".join(line.board.legs[called_in.sid].heard)
    assert "There are no messages and no call-backs waiting." in heard
    assert "No call-back is waiting for a volunteer now." in heard
    # Given to the trainee before she was one: still anyone's but hers, and rung as such.
    with line.runtime.transaction() as session:
        tia = session.scalars(select(Volunteer).where(Volunteer.phone == TIA)).one()
        session.execute(update(CallbackRequest).values(claimed_volunteer_id=tia.id))
        session.execute(update(Voicemail).values(claimed_volunteer_id=tia.id))
    ann_in = line.sim.call(ANN, HOTLINE, caller=presses(HANG_UP))
    assert ("There is 1 message and 1 call-back waiting."
            in " ".join(line.board.legs[ann_in.sid].heard))
    # The attempt, made later, rings Ann and not the trainee.
    began = line.board.now()
    line.board.phone(TIA, answers(after=1, talk_seconds=30))
    line.board.phone(ANN, answers(after=3, talk_seconds=60))
    line.board.phone(CALLER, answers(after=4, talk_seconds=45))
    line.sim.advance(6 * 60)
    line.sim.run_until_idle()
    rung_since = [leg.to for leg in line.board.legs.values()
                  if leg.created > began and leg.direction != "inbound"]
    assert ANN in rung_since and TIA not in rung_since
    assert [attempt.volunteer for attempt in line.contact(asked.sid).callbacks] == [
        "Volunteer 0111"]
