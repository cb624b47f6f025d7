"""Chapters and overflow: a caller offered to another chapter's volunteers before voicemail."""

from __future__ import annotations

from sqlalchemy import select

from hotline.logs.models import Call, LegOutcome, Outcome
from hotline.roster.models import Chapter
from hotline.runtime import Runtime
from hotline.standin.phones import answers, declines, leaves_voicemail, listens, rings_out
from hotline.standin.report import CallReport
from tests.conftest import RuntimeFactory
from tests.flows.harness import CALLER, HOTLINE, hotline, seed_chapter, status_url

NATIONAL = "+18005550100"
ANN, BOB = "+16175550111", "+16175550112"           # Boston's
NED, NIA = "+18005550121", "+18005550122"           # the national line's
SAM = "+16175550133"                                 # on call in both
OVERFLOW_NOTICE = ("No volunteer of Boston Bereavement Line can take your call just now, so "
                   "we are also asking the volunteers of National Peer Line.")


def national(runtime: Runtime, tiers: dict[int, list[str]], **settings: object) -> None:
    seed_chapter(runtime, tiers, slug="national-line", number=NATIONAL, **settings)
    with runtime.transaction() as session:
        row = session.scalar(select(Chapter).where(Chapter.slug == "national-line"))
        assert row is not None
        row.name = "National Peer Line"


def plan_of(runtime: Runtime, report: CallReport) -> list[tuple[str | None, int, list[str]]]:
    """The call's stored plan: (overflow chapter, tier, volunteer names) per wave."""
    with runtime.sessions() as session:
        call = session.scalar(select(Call).where(Call.call_sid == report.sid))
        assert call is not None
        return [(w.get("chapter"), w["tier"], [v["name"] for v in w["volunteers"]])
                for w in call.plan]


def test_overflow_when_the_chapters_waves_are_spent(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime, {ANN: declines(after=2), BOB: rings_out(),
                                  NED: answers(after=12, talk_seconds=60)})
    seed_chapter(line.runtime, {1: [ANN], 2: [BOB]}, overflow=["national-line"],
                 ring_timeout_seconds=15, max_wait_seconds=120)
    national(line.runtime, {1: [NED]})
    report = line.sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=600),
                           status_callback=status_url())
    assert report.bridged_to == NED
    # Boston's own waves first, then the national line's, after both of Boston's ended.
    ned = report.leg(NED)
    assert ned.answered_at is not None
    assert ned.answered_at > max(report.leg(ANN).ended_at or 0, report.leg(BOB).ended_at or 0)
    # The caller, still holding, was told; the volunteer heard which line was called.
    assert any(OVERFLOW_NOTICE in text for text in report.heard)
    assert any("Boston Bereavement Line hotline call. Press 1 to accept." in text
               for text in ned.heard)
    assert not any("National Peer Line hotline call" in text for text in ned.heard)
    assert ned.from_ == HOTLINE
    row = line.contact(report.sid)
    assert row.outcome is Outcome.ANSWERED and row.answered_by == "Volunteer 0121"
    assert row.chapter == "boston-grief"
    assert [(leg.volunteer, leg.outcome) for leg in row.legs] == [
        ("Volunteer 0111", LegOutcome.DECLINED), ("Volunteer 0112", LegOutcome.NO_ANSWER),
        ("Volunteer 0121", LegOutcome.ANSWERED)]
    exported = row.as_json()
    assert exported["overflow_from"] == "boston-grief"
    assert exported["overflow_to"] == "national-line"
    assert plan_of(line.runtime, report) == [
        (None, 1, ["Volunteer 0111"]), (None, 2, ["Volunteer 0112"]),
        ("national-line", 1, ["Volunteer 0121"])]


def test_overflow_when_nobody_is_on_call_in_the_chapter(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime, {NED: rings_out(), NIA: answers(after=3)})
    seed_chapter(line.runtime, {}, overflow=["national-line"], ring_timeout_seconds=15)
    national(line.runtime, {1: [NED], 2: [NIA]})
    report = line.sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=600),
                           status_callback=status_url())
    # Not the chapter's hours and the voicemail menu: held, told, and rung wave by wave.
    assert not any("nobody is on call" in text for text in report.heard)
    assert any(OVERFLOW_NOTICE in text for text in report.heard)
    assert report.bridged_to == NIA
    assert report.leg(NIA).answered_at > (report.leg(NED).ended_at or 0)  # type: ignore[operator]
    row = line.contact(report.sid)
    assert (row.chapter, row.outcome, row.answered_by) == (
        "boston-grief", Outcome.ANSWERED, "Volunteer 0122")
    assert (row.as_json()["overflow_from"], row.as_json()["overflow_to"]) == (
        "boston-grief", "national-line")
    assert plan_of(line.runtime, report) == [
        ("national-line", 1, ["Volunteer 0121"]), ("national-line", 2, ["Volunteer 0122"])]


def test_a_caller_is_told_of_the_overflow_once_not_every_hold_turn(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime, {NED: rings_out(), NIA: answers(after=18, talk_seconds=20)})
    seed_chapter(line.runtime, {}, overflow=["national-line"], ring_timeout_seconds=30,
                 max_wait_seconds=300)
    national(line.runtime, {1: [NED], 2: [NIA]})
    report = line.sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=600),
                           status_callback=status_url())
    assert report.bridged_to == NIA
    # Told on the turn the plan reached the national line; not on each turn after, nor
    # again for its second wave.
    told = [n for n, text in enumerate(report.heard) if OVERFLOW_NOTICE in text]
    later_turns = [text for text in report.heard[told[0] + 1:] if "stay on the line" in text]
    assert len(told) == 1 and len(later_turns) >= 2, report.heard


def test_overflow_to_a_chapter_with_nobody_on_call_goes_on_to_voicemail(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime, {ANN: declines(after=2)})
    seed_chapter(line.runtime, {1: [ANN]}, overflow=["national-line"], max_wait_seconds=300)
    national(line.runtime, {})
    report = line.sim.call(CALLER, HOTLINE, caller=leaves_voicemail(5),
                           status_callback=status_url())
    # Nobody left to ring anywhere: told so, and the menu at once, not at the maximum wait.
    assert any("nobody is free to take your call" in text for text in report.heard)
    assert any("leave your message" in text for text in report.heard)
    assert not any(OVERFLOW_NOTICE in text for text in report.heard)
    assert report.duration < 60
    row = line.contact(report.sid)
    assert row.outcome is Outcome.VOICEMAIL
    assert [(leg.volunteer, leg.outcome) for leg in row.legs] == [
        ("Volunteer 0111", LegOutcome.DECLINED)]
    assert row.as_json()["overflow_from"] is None
    assert plan_of(line.runtime, report) == [(None, 1, ["Volunteer 0111"])]


def test_nobody_on_call_here_or_in_the_overflow_hears_the_hours(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime, {})
    seed_chapter(line.runtime, {}, overflow=["national-line"], hours_text="every evening")
    national(line.runtime, {})
    report = line.sim.call(CALLER, HOTLINE, caller=leaves_voicemail(5),
                           status_callback=status_url())
    assert any("nobody is on call right now. Our volunteers are on call every evening."
               in text for text in report.heard)
    assert line.contact(report.sid).outcome is Outcome.VOICEMAIL


def test_overflow_loops_are_cut_and_each_volunteer_rung_once(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime, {ANN: declines(after=2), NED: declines(after=2)})
    seed_chapter(line.runtime, {1: [ANN]}, overflow=["national-line"], max_wait_seconds=300)
    national(line.runtime, {1: [NED]}, overflow=["boston-grief"])
    report = line.sim.call(CALLER, HOTLINE, caller=leaves_voicemail(5),
                           status_callback=status_url())
    # A -> B -> A stops at B: Boston's, then the national line's, then the menu.
    assert plan_of(line.runtime, report) == [
        (None, 1, ["Volunteer 0111"]), ("national-line", 1, ["Volunteer 0121"])]
    assert sorted(leg.to for leg in report.legs) == sorted([ANN, NED])
    assert any("leave your message" in text for text in report.heard)
    assert report.duration < 120           # long before the maximum wait (300 s)
    assert line.contact(report.sid).outcome is Outcome.VOICEMAIL


def test_a_volunteer_on_call_in_both_chapters_is_rung_once(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime, {SAM: rings_out(), NED: answers(after=3)})
    seed_chapter(line.runtime, {1: [SAM]}, overflow=["national-line"], ring_timeout_seconds=15)
    national(line.runtime, {1: [SAM, NED]})
    report = line.sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=600),
                           status_callback=status_url())
    assert report.bridged_to == NED
    assert [leg.to for leg in report.legs].count(SAM) == 1
    assert plan_of(line.runtime, report) == [
        (None, 1, ["Volunteer 0133"]), ("national-line", 1, ["Volunteer 0121"])]
    row = line.contact(report.sid)
    assert [(leg.volunteer, leg.outcome) for leg in row.legs] == [
        ("Volunteer 0133", LegOutcome.NO_ANSWER), ("Volunteer 0121", LegOutcome.ANSWERED)]


def test_answered_by_the_chapters_own_volunteer_is_no_overflow(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime, {ANN: answers(after=3), NED: answers(after=3)})
    seed_chapter(line.runtime, {1: [ANN]}, overflow=["national-line"])
    national(line.runtime, {1: [NED]})
    report = line.sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=600),
                           status_callback=status_url())
    assert report.bridged_to == ANN
    assert NED not in {leg.to for leg in report.legs}
    assert not any("National Peer Line" in text for text in report.heard)
    exported = line.contact(report.sid).as_json()
    assert (exported["overflow_from"], exported["overflow_to"]) == (None, None)


def test_the_maximum_wait_still_holds_with_overflow(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime, {ANN: rings_out(), NED: rings_out()})
    seed_chapter(line.runtime, {1: [ANN]}, overflow=["national-line"],
                 ring_timeout_seconds=20, max_wait_seconds=30)
    national(line.runtime, {1: [NED]})
    report = line.sim.call(CALLER, HOTLINE, caller=leaves_voicemail(5),
                           status_callback=status_url())
    # The national line's phone rang within the caller's maximum wait, and was stopped
    # when the caller moved on to the menu at that wait (checked at each hold turn).
    assert report.leg(NED).status == "canceled"
    assert any("leave your message" in text for text in report.heard)
    row = line.contact(report.sid)
    assert row.outcome is Outcome.VOICEMAIL
    assert row.queue_seconds is not None and 30 <= row.queue_seconds <= 30 + 15


def test_the_caller_hears_which_line_took_the_call(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime, {ANN: declines(after=2), BOB: rings_out(),
                                  NED: answers(after=3, talk_seconds=60)})
    seed_chapter(line.runtime, {1: [ANN], 2: [BOB]}, overflow=["national-line"],
                 ring_timeout_seconds=15)
    national(line.runtime, {1: [NED]})
    report = line.sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=600),
                           status_callback=status_url())
    assert report.bridged_to == NED
    assert ("A volunteer of National Peer Line is taking your call. Connecting you now."
            in report.heard)
