"""The main flows over real HTTP, in real time, through the REST stand-in: answered,
voicemail, call-back request, abandoned, nobody on call, and a burst on real threads."""

from __future__ import annotations

from datetime import datetime

from hotline.logs.models import LegOutcome, Outcome
from hotline.standin.phones import (
    answers,
    declines,
    hangs_up_after,
    leaves_voicemail,
    listens,
    presses,
    rings_out,
)
from tests.flows.harness import CALLER, HOTLINE, status_url
from tests.served.harness import served_line

ANN, BOB, CAT = "+16175550111", "+16175550112", "+16175550113"


def test_answered(clean_database_url: str) -> None:
    with served_line(clean_database_url, {ANN: answers(after=1, talk_seconds=2),
                                          BOB: rings_out()}, {1: [ANN, BOB]}) as line:
        report = line.sim.call(CALLER, HOTLINE, listens(hang_up_after=60),
                               status_callback=line.app_url + "/voice/status")
        assert report.bridged_to == ANN and not report.errors
        row = line.contact(report.sid)
        assert row.outcome is Outcome.ANSWERED and row.answered_by == "Volunteer 0111"
        assert {leg.outcome for leg in row.legs} == {LegOutcome.ANSWERED, LegOutcome.CANCELED}


def test_voicemail_when_everyone_declines(clean_database_url: str) -> None:
    with served_line(clean_database_url, {ANN: declines(after=1), BOB: declines(after=1)},
                     {1: [ANN, BOB]}) as line:
        report = line.sim.call(CALLER, HOTLINE, leaves_voicemail(2),
                               status_callback=line.app_url + "/voice/status")
        assert report.bridged_to is None and len(report.recordings) == 1
        row = line.contact(report.sid)
        assert row.outcome is Outcome.VOICEMAIL
        assert [leg.outcome for leg in row.legs] == [LegOutcome.DECLINED] * 2


def test_call_back_requested(clean_database_url: str) -> None:
    with served_line(clean_database_url, {ANN: declines(after=1)}, {1: [ANN]}) as line:
        report = line.sim.call(CALLER, HOTLINE, presses("1"),
                               status_callback=line.app_url + "/voice/status")
        assert any("call you back" in text for text in report.heard)
        assert line.contact(report.sid).outcome is Outcome.CALLBACK_REQUESTED


def test_abandoned_while_phones_ring(clean_database_url: str) -> None:
    with served_line(clean_database_url, {ANN: rings_out(), BOB: rings_out()},
                     {1: [ANN, BOB]}, ring_timeout_seconds=30) as line:
        report = line.sim.call(CALLER, HOTLINE, hangs_up_after(3),
                               status_callback=line.app_url + "/voice/status")
        assert {leg.status for leg in report.legs} == {"canceled"}
        row = line.contact(report.sid)
        assert row.outcome is Outcome.ABANDONED
        assert [leg.outcome for leg in row.legs] == [LegOutcome.CANCELED] * 2


def test_nobody_on_call(clean_database_url: str) -> None:
    with served_line(clean_database_url, {}, {}, hours_text="every evening") as line:
        report = line.sim.call(CALLER, HOTLINE, leaves_voicemail(2),
                               status_callback=line.app_url + "/voice/status")
        assert "nobody is on call" in " ".join(report.heard)
        assert not report.legs
        assert line.contact(report.sid).outcome is Outcome.VOICEMAIL


def test_a_burst_on_real_threads_reaches_everyone_and_keeps_the_invariants(
    clean_database_url: str,
) -> None:
    volunteers = [f"+1617555012{n}" for n in range(3)]
    callers = [f"+1617555018{n}" for n in range(6)]
    phones = {v: answers(after=1 + n * 0.3, talk_seconds=2) for n, v in enumerate(volunteers)}
    with served_line(clean_database_url, phones, {1: volunteers}, max_wait_seconds=120) as line:
        started = [line.sim.start_call(number, HOTLINE, listens(hang_up_after=120),
                                       after=0.2 * n, status_callback=status_url())
                   for n, number in enumerate(callers)]
        line.sim.run_until_idle()
        reports = [line.sim.report(leg) for leg in started]
        for report in reports:
            assert report.bridged_to in volunteers, report.transcript
            assert line.contact(report.sid).outcome is Outcome.ANSWERED
        rung: dict[str, list[tuple[datetime, datetime]]] = {}
        for leg in line.board.legs.values():
            if leg.direction == "outbound-api":
                rung.setdefault(leg.to, []).append((leg.created, leg.ended or leg.created))
                assert len(leg.bridged_with) <= 1
        for number, spans in rung.items():      # one offer at a time per phone
            spans.sort()
            assert all(b[0] >= a[1] for a, b in zip(spans, spans[1:], strict=False)), number
        bridged = [sid for leg in line.board.legs.values() for sid, _, _ in leg.bridged_with
                   if leg.direction == "outbound-api"]
        assert sorted(bridged) == sorted(r.sid for r in reports)        # each caller once
