"""Calls nobody takes: voicemail, call-back, abandoned, nobody on call, unknown, banned, busy."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from hotline.bans import add_ban
from hotline.logs.models import CallbackRequest, LegOutcome, Outcome, Voicemail
from hotline.settings import Settings, with_overrides
from hotline.standin.phones import (
    answers,
    declines,
    hangs_up_after,
    leaves_voicemail,
    listens,
    presses,
    rings_out,
)
from tests.conftest import RuntimeFactory
from tests.flows.harness import CALLER, HOTLINE, hotline, seed_chapter, status_url

ANN, BOB, CAT = "+16175550111", "+16175550112", "+16175550113"


def test_everyone_declines_or_rings_out_caller_leaves_voicemail(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime, {ANN: declines(after=2, press="2"), BOB: rings_out(),
                                  CAT: declines(after=3)})
    seed_chapter(line.runtime, {1: [ANN, BOB], 2: [CAT]}, ring_timeout_seconds=15)
    report = line.sim.call(CALLER, HOTLINE, caller=leaves_voicemail(20),
                           status_callback=status_url())
    assert report.bridged_to is None
    assert "leave" in report.queue_results
    assert any("leave your message" in text for text in report.heard)
    assert report.duration < 90 + 60          # never holding forever
    assert len(report.recordings) == 1
    row = line.contact(report.sid)
    assert row.outcome is Outcome.VOICEMAIL
    assert [leg.outcome for leg in row.legs[:3]] == [
        LegOutcome.DECLINED, LegOutcome.NO_ANSWER, LegOutcome.DECLINED]
    # Bob only stepped away from his phone: while the caller waits, it rings for them again;
    # Ann and Cat said no and are not asked twice.
    again = row.legs[3:]
    assert again and {leg.volunteer for leg in again} == {"Volunteer 0112"}
    assert report.leg(BOB).status in ("no-answer", "canceled")
    with line.runtime.sessions() as session:
        (message,) = session.scalars(select(Voicemail)).all()
        assert message.recording_sid == report.recordings[0].sid
        assert message.status == "completed" and message.duration_seconds >= 15


def test_everyone_declines_caller_is_offered_voicemail_at_once(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime, {ANN: declines(after=2), BOB: declines(after=3),
                                  CAT: declines(after=2)})
    seed_chapter(line.runtime, {1: [ANN, BOB], 2: [CAT]}, max_wait_seconds=300)
    report = line.sim.call(CALLER, HOTLINE, caller=leaves_voicemail(5),
                           status_callback=status_url())
    # Nobody left who could take the call: the menu comes long before the maximum wait
    # (greeting, three short screens, a 5-second message).
    assert any("leave your message" in text for text in report.heard)
    assert report.duration < 60
    row = line.contact(report.sid)
    assert row.outcome is Outcome.VOICEMAIL
    assert [leg.outcome for leg in row.legs] == [LegOutcome.DECLINED] * 3


def test_maximum_wait_sends_caller_to_voicemail(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime, {ANN: rings_out()})
    seed_chapter(line.runtime, {1: [ANN]}, ring_timeout_seconds=300, max_wait_seconds=30)
    report = line.sim.call(CALLER, HOTLINE, caller=leaves_voicemail(5),
                           status_callback=status_url())
    assert report.leg(ANN).status == "canceled"      # stopped when the caller moved on
    row = line.contact(report.sid)
    assert row.outcome is Outcome.VOICEMAIL
    assert row.legs[0].outcome is LegOutcome.CANCELED


def test_caller_asks_for_a_call_back(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime, {ANN: rings_out()})
    seed_chapter(line.runtime, {1: [ANN]}, ring_timeout_seconds=10)
    report = line.sim.call(CALLER, HOTLINE, caller=presses("1"), status_callback=status_url())
    assert report.digits == ("1",)
    assert any("call you back" in text for text in report.heard)
    assert not report.recordings
    row = line.contact(report.sid)
    assert row.outcome is Outcome.CALLBACK_REQUESTED
    with line.runtime.sessions() as session:
        assert len(session.scalars(select(CallbackRequest)).all()) == 1


def test_caller_hangs_up_while_phones_ring(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime, {ANN: rings_out(), BOB: rings_out()})
    seed_chapter(line.runtime, {1: [ANN, BOB]}, ring_timeout_seconds=60)
    report = line.sim.call(CALLER, HOTLINE, caller=hangs_up_after(12),
                           status_callback=status_url())
    assert {leg.status for leg in report.legs} == {"canceled"}
    assert all((leg.ended_at or 99) <= 14 for leg in report.legs)
    row = line.contact(report.sid)
    assert row.outcome is Outcome.ABANDONED
    assert [leg.outcome for leg in row.legs] == [LegOutcome.CANCELED, LegOutcome.CANCELED]


def test_nobody_on_the_rota(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime)
    seed_chapter(line.runtime, {}, hours_text="every evening from 6 to midnight")
    report = line.sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=60),
                           status_callback=status_url())
    heard = " ".join(report.heard)
    assert "nobody is on call" in heard
    assert "every evening from 6 to midnight" in heard
    assert "1 8 0 0 2 7 3 8 2 5 5" in heard            # settings.calls.emergency_line
    assert any("leave your message" in text for text in report.heard)
    assert not report.legs
    row = line.contact(report.sid)
    assert row.outcome is Outcome.NO_ONE_ON_CALL and row.legs == ()


def test_nobody_on_the_rota_message_left(
    make_runtime: RuntimeFactory, settings: Settings
) -> None:
    line = hotline(make_runtime, settings=with_overrides(
        settings, calls={"emergency_message": "In a crisis, please call"}))
    seed_chapter(line.runtime, {}, emergency_line="+18005551234")
    report = line.sim.call(CALLER, HOTLINE, caller=leaves_voicemail(8),
                           status_callback=status_url())
    # The chapter's own line, after the configured words.
    assert "In a crisis, please call 1 8 0 0 5 5 5 1 2 3 4." in " ".join(report.heard)
    assert line.contact(report.sid).outcome is Outcome.VOICEMAIL


def test_unknown_number(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime)
    seed_chapter(line.runtime, {1: [ANN]})
    report = line.sim.call(CALLER, "+16175550999", caller=listens(hang_up_after=60))
    assert any("not in service" in text for text in report.heard)
    assert report.status == "completed" and report.duration < 15
    assert not report.legs
    row = line.contact(report.sid)
    assert row.outcome is Outcome.UNKNOWN_NUMBER and row.chapter is None


def test_banned_caller_is_rejected(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime, {ANN: answers()})
    seed_chapter(line.runtime, {1: [ANN]})
    with line.runtime.transaction() as session:
        add_ban(session, line.runtime.privacy, CALLER, None, "abusive")
    report = line.sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=60))
    assert report.reject_reason == "rejected"
    assert report.answered_at is None and not report.legs
    assert line.contact(report.sid).outcome is Outcome.REJECTED


def test_volunteer_on_another_call_is_not_rung(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime, {ANN: answers(after=2, talk_seconds=300),
                                  BOB: answers(after=10)})
    seed_chapter(line.runtime, {1: [ANN, BOB]})
    first = line.sim.start_call(CALLER, HOTLINE, listens(hang_up_after=900),
                                status_callback=status_url())
    second = line.sim.start_call("+16175550188", HOTLINE, listens(hang_up_after=900),
                                 after=60, status_callback=status_url())
    line.sim.run_until_idle()
    one, two = line.sim.report(first), line.sim.report(second)
    assert one.bridged_to == ANN
    assert two.bridged_to == BOB
    rung = [leg.to for leg in line.board.legs.values() if leg.direction == "outbound-api"]
    assert rung.count(ANN) == 1                       # only for the first call
    assert rung.count(BOB) == 2
    row = line.contact(two.sid)
    assert [leg.volunteer for leg in row.legs] == ["Volunteer 0112"]
    assert row.started_at - line.contact(one.sid).started_at == timedelta(seconds=60)
