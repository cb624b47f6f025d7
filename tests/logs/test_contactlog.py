"""The contact log's reads: filters by chapter, the chapter's own dates, outcome and volunteer;
newest first, paged by keyset; the repeat-caller mark by keyed hash; one call's timeline."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from hotline.bans import add_ban
from hotline.logs.contactlog import LogFilter, call_timeline, contact_page, repeat_marks
from hotline.logs.models import (
    AttemptResult,
    Call,
    CallbackRequest,
    CallFlag,
    CallKind,
    CallLeg,
    FollowUpKind,
    LegOutcome,
    LegStatus,
    Outcome,
    Voicemail,
)
from hotline.phone import E164
from hotline.roster.changes import volunteer_by_phone
from hotline.roster.store import chapter_by_slug
from hotline.runtime import Runtime
from tests.logs.calls import add_call
from tests.web.helpers import seed

# 23:30 on Monday 9 March in Boston is 03:30 UTC on the 10th.
LATE_MONDAY = datetime(2026, 3, 10, 3, 30, tzinfo=UTC)
ANN, BEN = "+16175550111", "+16175550112"


def ids(runtime: Runtime) -> tuple[int, int]:
    with runtime.sessions() as db:
        return (chapter_by_slug(db, "boston-grief").id, chapter_by_slug(db, "chicago-recovery").id)


def test_filters_by_the_chapters_own_dates_outcome_and_volunteer(runtime: Runtime) -> None:
    seed(runtime, "ann")
    boston, chicago = ids(runtime)
    with runtime.transaction() as db:
        ann, ben = volunteer_by_phone(db, ANN), volunteer_by_phone(db, BEN)
        late = add_call(db, runtime.privacy, chapter_id=boston, started_at=LATE_MONDAY,
                        legs=[(ben, LegOutcome.DECLINED), (ann, LegOutcome.ANSWERED)],
                        talk_seconds=300)
        morning = add_call(db, runtime.privacy, chapter_id=boston,
                           started_at=LATE_MONDAY + timedelta(hours=8),
                           outcome=Outcome.VOICEMAIL, legs=[(ben, LegOutcome.NO_ANSWER)])
        add_call(db, runtime.privacy, chapter_id=chicago, started_at=LATE_MONDAY)
    both = [(boston, "America/New_York"), (chicago, "America/Chicago")]
    with runtime.sessions() as db:
        monday = contact_page(db, LogFilter([both[0]], date(2026, 3, 9), date(2026, 3, 9)))
        tuesday = contact_page(db, LogFilter([both[0]], date(2026, 3, 10), date(2026, 3, 10)))
        everything = contact_page(db, LogFilter(both))
        voicemails = contact_page(db, LogFilter(both, outcome=Outcome.VOICEMAIL))
        anns = contact_page(db, LogFilter(both, volunteer_id=volunteer_by_phone(db, ANN).id))
        bens = contact_page(db, LogFilter(both, volunteer_id=volunteer_by_phone(db, BEN).id))
        nothing = contact_page(db, LogFilter([]))
    assert [r.call_id for r in monday.rows] == [late]          # 23:30 Monday, Boston time
    assert [r.call_id for r in tuesday.rows] == [morning]
    assert len(everything.rows) == 3 and everything.rows[0].call_id == morning
    assert [r.call_id for r in voicemails.rows] == [morning]
    assert [r.call_id for r in anns.rows] == [late]
    assert [r.call_id for r in bens.rows] == [morning, late]
    assert nothing.rows == []
    row = monday.rows[0]
    assert (row.answered_by, row.talk_seconds, row.caller) == ("Ann Example", 300, "***0199")
    assert "6175550199" not in repr([asdict(r) for r in everything.rows])


def test_pages_newest_first_in_a_stable_order(runtime: Runtime) -> None:
    seed(runtime, "ann")
    boston, _chicago = ids(runtime)
    with runtime.transaction() as db:
        made = [add_call(db, runtime.privacy, chapter_id=boston, caller=None,
                         started_at=LATE_MONDAY + timedelta(minutes=n // 2)) for n in range(5)]
    wanted = LogFilter([(boston, "America/New_York")])
    seen: list[int] = []
    before = None
    with runtime.sessions() as db:
        for _page in range(3):
            page = contact_page(db, wanted, before=before, limit=2)
            seen += [r.call_id for r in page.rows]
            before = page.next_before
        assert before is None
        unknown = contact_page(db, wanted, before=10**9, limit=2)
    # Same minute: the newer id first; every call once.
    assert seen == [made[4], made[3], made[2], made[1], made[0]]
    assert [r.call_id for r in unknown.rows] == [made[4], made[3]]


def test_repeat_mark_counts_the_callers_calls_to_the_line_in_seven_days(
        runtime: Runtime) -> None:
    seed(runtime, "ann")
    boston, chicago = ids(runtime)
    repeat, other = "+16175550177", "+16175550188"
    with runtime.transaction() as db:
        def call(at: datetime, caller: str | None = repeat, chapter: int = boston) -> int:
            return add_call(db, runtime.privacy, chapter_id=chapter, started_at=at,
                            caller=caller)
        old = call(LATE_MONDAY - timedelta(days=8))
        first = call(LATE_MONDAY - timedelta(days=6))
        call(LATE_MONDAY - timedelta(days=1), chapter=chicago)      # another line
        second = call(LATE_MONDAY - timedelta(hours=2))
        third = call(LATE_MONDAY)
        stranger = call(LATE_MONDAY, caller=other)
        withheld = call(LATE_MONDAY, caller=None)
    with runtime.sessions() as db:
        page = contact_page(db, LogFilter([(boston, "America/New_York")]))
    marks = {r.call_id: r.repeat for r in page.rows}
    # `old` is 8 days before `third`: it counts for `first` (2 days apart), not for `third`.
    assert marks == {third: 3, second: 2, first: 2, old: None, stranger: None,
                     withheld: None}


def test_repeat_marks_use_the_hash_only(runtime: Runtime) -> None:
    at = LATE_MONDAY
    with runtime.sessions() as db:
        marks = repeat_marks(db, [(1, 1, "", at)])
    assert marks == {}


def test_the_timeline_of_one_call(runtime: Runtime) -> None:
    seed(runtime, "ann")
    boston, _chicago = ids(runtime)
    with runtime.transaction() as db:
        ann, ben = volunteer_by_phone(db, ANN), volunteer_by_phone(db, BEN)
        call_id = add_call(db, runtime.privacy, chapter_id=boston, started_at=LATE_MONDAY,
                           outcome=Outcome.CALLBACK_REQUESTED,
                           legs=[(ben, LegOutcome.DECLINED), (ann, LegOutcome.NO_ANSWER)],
                           hold_seconds=75)
        request = CallbackRequest(call_id=call_id, kind=FollowUpKind.CALLBACK,
                                  requested_at=LATE_MONDAY + timedelta(minutes=2), attempts=1)
        db.add(request)
        db.flush()
        attempt = Call(call_sid="CB" + "7" * 32, kind=CallKind.CALLBACK, chapter_id=boston,
                       to_number="+16175550100", origin_call_id=call_id,
                       followup_id=request.id, started_at=LATE_MONDAY + timedelta(minutes=7),
                       result=AttemptResult.ANSWERED, caller_hint="***0199")
        db.add(attempt)
        db.flush()
        taken = CallLeg(call_id=attempt.id, volunteer_id=ann.id, volunteer_name=ann.name,
                        status=LegStatus.COMPLETED, created_at=attempt.started_at)
        db.add_all([taken, Voicemail(call_id=call_id, recording_sid="RE" + "1" * 32),
                    CallFlag(call_id=call_id, volunteer_id=ben.id,
                             flagged_at=LATE_MONDAY + timedelta(minutes=9))])
        db.flush()
        attempt.answered_leg_id = taken.id
        add_ban(db, runtime.privacy, E164("+16175550199"), boston, "test")
    with runtime.sessions() as db:
        line = call_timeline(db, call_id)
        assert call_timeline(db, attempt.id) is None        # an attempt is no contact
        assert call_timeline(db, 10**9) is None
    assert line is not None
    assert [(s.volunteer, s.outcome) for s in line.legs] == [
        ("Ben Okafor", LegOutcome.DECLINED), ("Ann Example", LegOutcome.NO_ANSWER)]
    assert line.hold_seconds == 75 and line.talk_seconds is None
    assert line.answered_by_volunteer is None
    (followup,) = line.follow_ups
    assert [(a.volunteer, a.result) for a in followup.attempts] == [
        ("Ann Example", AttemptResult.ANSWERED)]
    assert line.voicemail and line.banned and line.number_kept
    assert [(f.volunteer, f.resolved) for f in line.flags] == [("Ben Okafor", False)]
    assert line.caller == "***0199" and "6175550199" not in repr(asdict(line))


@pytest.mark.parametrize("outcome", [None, Outcome.ANSWERED])
def test_the_first_page_with_filters_reads_through_an_index(
        runtime: Runtime, outcome: Outcome | None) -> None:
    """The bench's first page: a chapter, a date range, maybe an outcome; no full scan."""
    with runtime.sessions() as db:
        if db.get_bind().dialect.name != "sqlite":
            pytest.skip("reads SQLite's query plan")
        wanted = LogFilter([(1, "America/New_York")], date(2026, 1, 1), date(2026, 3, 1),
                           outcome=outcome)
        from hotline.logs import contactlog

        captured: list[str] = []
        real = db.execute

        def spy(statement, *args, **kwargs):  # type: ignore[no-untyped-def]
            if not captured:
                compiled = statement.compile(db.get_bind(),
                                             compile_kwargs={"literal_binds": True})
                captured.append(str(compiled))
            return real(statement, *args, **kwargs)

        db.execute = spy  # type: ignore[method-assign]
        contactlog.contact_page(db, wanted)
        db.execute = real  # type: ignore[method-assign]
        plan = " ".join(str(row[-1]) for row in db.execute(
            text("EXPLAIN QUERY PLAN " + captured[0])))
    assert "ix_calls_chapter" in plan and "SCAN calls" not in plan, plan
