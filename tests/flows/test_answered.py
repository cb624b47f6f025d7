"""Calls a volunteer takes: tier 1, tier 2 after tier 1 rings out, ring order, voicemail boxes."""

from __future__ import annotations

from hotline.logs.models import LegOutcome, Outcome
from hotline.standin.phones import answers, listens, rings_out
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
