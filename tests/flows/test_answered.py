"""Calls a volunteer takes: tier 1, tier 2 after tier 1 rings out, ring order, voicemail boxes."""

from __future__ import annotations

from hotline.logs.models import LegOutcome, Outcome
from hotline.standin.phones import answers, listens, rings_out, voicemail
from tests.conftest import RuntimeFactory
from tests.flows.harness import CALLER, HOTLINE, hotline, seed_chapter, status_url

ANN, BOB, CAT = "+16175550111", "+16175550112", "+16175550113"


def test_tier_one_volunteer_answers(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime, {ANN: answers(after=4, talk_seconds=120), BOB: rings_out()})
    seed_chapter(line.runtime, {1: [ANN, BOB]})
    report = line.sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=600),
                           status_callback=status_url())
    print(report.transcript)
    assert report.bridged_to == ANN
    assert report.bridged_seconds >= 100
    assert all(leg.from_ == HOTLINE for leg in report.legs)
    row = line.contact(report.sid)
    assert row.outcome is Outcome.ANSWERED
    assert row.answered_by == "Volunteer 0111"
    outcomes = {leg.volunteer: leg.outcome for leg in row.legs}
    assert outcomes == {"Volunteer 0111": LegOutcome.ANSWERED,
                        "Volunteer 0112": LegOutcome.CANCELED}
    assert row.seconds_to_answer is not None and row.seconds_to_answer < 15
    assert row.talk_seconds is not None and 100 <= row.talk_seconds <= 125
    assert row.caller == "***0199"


def test_tier_one_rings_out_then_tier_two_answers(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime, {ANN: rings_out(), BOB: rings_out(),
                                  CAT: answers(after=3)})
    seed_chapter(line.runtime, {1: [ANN, BOB], 2: [CAT]}, ring_timeout_seconds=15)
    report = line.sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=600),
                           status_callback=status_url())
    assert report.bridged_to == CAT
    cat_leg = report.leg(CAT)
    assert cat_leg.answered_at is not None
    # Tier 2 starts only once both tier 1 legs have rung out.
    assert min(report.leg(ANN).ended_at or 0, report.leg(BOB).ended_at or 0) >= 15
    assert cat_leg.answered_at > (report.leg(ANN).ended_at or 0)
    row = line.contact(report.sid)
    assert row.outcome is Outcome.ANSWERED and row.answered_by == "Volunteer 0113"
    assert [(leg.volunteer, leg.outcome) for leg in row.legs] == [
        ("Volunteer 0111", LegOutcome.NO_ANSWER), ("Volunteer 0112", LegOutcome.NO_ANSWER),
        ("Volunteer 0113", LegOutcome.ANSWERED)]


def test_carrier_voicemail_never_gets_the_caller(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime, {ANN: voicemail(after=0.5), BOB: answers(after=12)})
    seed_chapter(line.runtime, {1: [ANN, BOB]})
    report = line.sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=600),
                           status_callback=status_url())
    ann = report.leg(ANN)
    assert ann.answered_at is not None and ann.answered_at < report.leg(BOB).answered_at  # type: ignore[operator]
    assert report.bridged_to == BOB
    assert BOB in {leg.to for leg in report.legs}
    assert ann.sid not in report.legs[-1].bridged_with
    row = line.contact(report.sid)
    assert row.answered_by == "Volunteer 0112"
    outcomes = {leg.volunteer: leg.outcome for leg in row.legs}
    assert outcomes["Volunteer 0111"] is LegOutcome.NO_ANSWER
    assert outcomes["Volunteer 0112"] is LegOutcome.ANSWERED


def test_two_volunteers_accept_at_the_same_instant(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime, {ANN: answers(after=4), BOB: answers(after=4)})
    seed_chapter(line.runtime, {1: [ANN, BOB]})
    report = line.sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=600),
                           status_callback=status_url())
    ann, bob = report.leg(ANN), report.leg(BOB)
    assert ann.digits == ("1",) and bob.digits == ("1",)
    bridged = [leg for leg in (ann, bob) if report.sid in leg.bridged_with]
    assert len(bridged) == 1
    loser = bob if bridged[0] is ann else ann
    assert "This call has already been taken. Thank you." in loser.heard
    row = line.contact(report.sid)
    assert row.outcome is Outcome.ANSWERED
    assert sorted(str(leg.outcome) for leg in row.legs) == ["answered", "declined"]
