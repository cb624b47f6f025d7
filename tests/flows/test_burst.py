"""A burst: more callers than volunteers at once. Every caller waits for the next free one."""

from __future__ import annotations

from datetime import datetime

from hotline.logs.models import LegOutcome, Outcome
from hotline.standin.calls import Leg
from hotline.standin.phones import answers, listens
from tests.conftest import RuntimeFactory
from tests.flows.harness import HOTLINE, Hotline, hotline, seed_chapter, status_url

VOLUNTEERS = [f"+1617555011{n}" for n in range(6)]
CALLERS = [f"+1617555019{n}" for n in range(10)]


def overlapping(spans: list[tuple[datetime, datetime]]) -> bool:
    ordered = sorted(spans)
    return any(later[0] < earlier[1] for earlier, later in zip(ordered, ordered[1:],
                                                                strict=False))


def bridges(line: Hotline) -> dict[str, list[tuple[str, datetime, datetime]]]:
    """Each volunteer phone's bridges: (caller leg SID, from, to)."""
    found: dict[str, list[tuple[str, datetime, datetime]]] = {}
    for leg in line.board.legs.values():
        if leg.direction == "outbound-api":
            for sid, start, end in leg.bridged_with:
                found.setdefault(leg.to, []).append((sid, start, end or line.board.now()))
    return found


def test_ten_callers_in_two_seconds_all_reach_one_of_six_volunteers(
    make_runtime: RuntimeFactory,
) -> None:
    # Issue 8's burst: six volunteers rung all at once, each answering after 5-10 s and
    # talking 30 s; ten callers 0.2 s apart; a maximum wait of 120 s.
    phones = {number: answers(after=5 + n, talk_seconds=30)
              for n, number in enumerate(VOLUNTEERS)}
    line = hotline(make_runtime, phones)
    seed_chapter(line.runtime, {1: VOLUNTEERS}, max_wait_seconds=120)
    started = [line.sim.start_call(number, HOTLINE, listens(hang_up_after=600),
                                   after=0.2 * n, status_callback=status_url())
               for n, number in enumerate(CALLERS)]
    line.sim.run_until_idle()
    reports = [line.sim.report(leg) for leg in started]

    for report in reports:
        print(report.transcript)
        assert report.bridged_to in VOLUNTEERS, report.sid
        assert not any("leave your message" in text or "call you back" in text
                       for text in report.heard), report.sid
        row = line.contact(report.sid)
        assert row.outcome is Outcome.ANSWERED and row.talk_seconds
        assert [leg.outcome for leg in row.legs].count(LegOutcome.ANSWERED) == 1
    # Nobody talks to two callers at once; every caller is bridged once.
    for number, spans in bridges(line).items():
        assert not overlapping([(start, end) for _, start, end in spans]), number
    callers: list[str] = [sid for spans in bridges(line).values() for sid, _, _ in spans]
    assert sorted(callers) == sorted(report.sid for report in reports)
    # While callers waited, free phones rang for them at once: the last caller is answered
    # within about four talk times, not after a series of timeouts.
    waits = sorted(line.contact(r.sid).seconds_to_answer or 999 for r in reports)
    assert waits[-1] < 120
    # The contact record keeps the queue: where each caller stood and how long they waited.
    assert sorted(line.contact(r.sid).position_at_arrival or 0 for r in reports) == list(
        range(1, 11))


def test_a_volunteer_ringing_for_one_caller_who_declines_is_offered_the_next(
    make_runtime: RuntimeFactory,
) -> None:
    from hotline.standin.phones import declines

    ann, bob = VOLUNTEERS[:2]
    # Both ring for the first caller; Ann declines them (she knows the voice, say) and is
    # free again while the second caller waits: she is offered that caller at once.
    line = hotline(make_runtime, {ann: declines(after=2),
                                  bob: answers(after=5, talk_seconds=100)})
    seed_chapter(line.runtime, {1: [ann, bob]})
    line.board.scheduler.after(2.5, lambda: line.board.phone(ann, answers(after=2)))
    first = line.sim.start_call(CALLERS[0], HOTLINE, listens(hang_up_after=300),
                                status_callback=status_url())
    second = line.sim.start_call(CALLERS[1], HOTLINE, listens(hang_up_after=300), after=1,
                                 status_callback=status_url())
    line.sim.run_until_idle()
    one, two = line.sim.report(first), line.sim.report(second)
    rung: list[Leg] = sorted((leg for leg in line.board.legs.values()
                              if leg.direction == "outbound-api"), key=lambda leg: leg.created)
    assert [leg.to for leg in rung] == [ann, bob, ann]
    assert rung[0].ended is not None
    assert (rung[2].created - rung[0].ended).total_seconds() < 3      # at once
    assert one.bridged_to == bob and two.bridged_to == ann
    assert [(leg.volunteer, leg.outcome) for leg in line.contact(one.sid).legs] == [
        ("Volunteer 0110", LegOutcome.DECLINED), ("Volunteer 0111", LegOutcome.ANSWERED)]
