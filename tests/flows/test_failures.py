"""Calls that go wrong on the way: claims that never bridge, callbacks that never come."""

from __future__ import annotations

from hotline.logs.models import LegOutcome, Outcome
from hotline.standin.phones import answers, hangs_up_after, leaves_voicemail, listens
from tests.conftest import RuntimeFactory
from tests.flows.harness import CALLER, HOTLINE, hotline, seed_chapter, status_url

ANN, BOB, CAT = "+16175550111", "+16175550112", "+16175550113"

# Ann presses 1 and her phone drops before "Connecting you now" has dialled the queue.
PRESSES_THEN_DROPS = answers(after=3, hang_up_after=4.7)


def test_claim_that_never_bridges_rings_the_next_wave(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime, {ANN: PRESSES_THEN_DROPS, BOB: answers(after=3)})
    seed_chapter(line.runtime, {1: [ANN], 2: [BOB]})
    report = line.sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=600),
                           status_callback=status_url())
    assert report.leg(ANN).digits == ("1",)
    assert report.bridged_to == BOB
    assert (report.leg(BOB).answered_at or 99) < 40
    row = line.contact(report.sid)
    assert row.outcome is Outcome.ANSWERED and row.answered_by == "Volunteer 0112"
    assert [leg.outcome for leg in row.legs] == [LegOutcome.FAILED, LegOutcome.ANSWERED]
    assert row.seconds_to_answer is not None and row.seconds_to_answer > 20


def test_claim_that_never_bridges_does_not_hold_the_caller_forever(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime, {ANN: PRESSES_THEN_DROPS})
    seed_chapter(line.runtime, {1: [ANN]})
    report = line.sim.call(CALLER, HOTLINE, caller=leaves_voicemail(5),
                           status_callback=status_url())
    assert report.duration < 90
    assert len(report.recordings) == 1
    row = line.contact(report.sid)
    assert row.outcome is Outcome.VOICEMAIL
    assert row.answered_by is None and row.seconds_to_answer is None
    assert row.talk_seconds is None
    assert [leg.outcome for leg in row.legs] == [LegOutcome.FAILED]


def test_caller_gone_before_the_bridge_is_abandoned(make_runtime: RuntimeFactory) -> None:
    # Ann presses 1 at about 8 s; the caller has hung up at 8 s, still in the queue.
    line = hotline(make_runtime, {ANN: answers(after=3, think=0.5)})
    seed_chapter(line.runtime, {1: [ANN]})
    report = line.sim.call(CALLER, HOTLINE, caller=hangs_up_after(8.2),
                           status_callback=status_url())
    print(report.transcript)
    assert report.bridged_to is None
    row = line.contact(report.sid)
    assert row.outcome is Outcome.ABANDONED
    assert row.answered_by is None and row.talk_seconds is None


def test_volunteer_stopped_at_the_prompt_is_canceled_not_declined(
    make_runtime: RuntimeFactory,
) -> None:
    # Ann picks up first but is still listening to the prompt when Bob presses 1.
    line = hotline(make_runtime, {ANN: answers(after=2, think=20), BOB: answers(after=3)})
    seed_chapter(line.runtime, {1: [ANN, BOB]})
    report = line.sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=300),
                           status_callback=status_url())
    assert report.bridged_to == BOB and report.leg(ANN).digits == ()
    assert report.leg(ANN).status == "completed"        # she had answered; we hung up
    row = line.contact(report.sid)
    assert [leg.outcome for leg in row.legs] == [LegOutcome.CANCELED, LegOutcome.ANSWERED]
