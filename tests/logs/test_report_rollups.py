"""Daily roll-ups of the reports: the same numbers as counting every call, each day once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from hotline.logs.models import Call, Outcome, Phase, ReportDay
from hotline.logs.reports import (
    MARGIN,
    DayTotals,
    Place,
    answer_times,
    build_report,
    hourly_counts,
    local_span,
    store_days,
)
from hotline.runtime import Runtime
from hotline.work.retention import apply_retention
from tests.logs.test_reports import NY, add_call, chapter, local

SPRING, AUTUMN = date(2026, 3, 8), date(2026, 11, 1)   # New York: 23 hours, 25 hours
FIRST, LAST = SPRING - timedelta(days=2), AUTUMN + timedelta(days=2)
BEFORE = datetime(2026, 1, 1, tzinfo=UTC)               # nothing in the range is over yet
LATER = datetime(2027, 6, 1, tzinfo=UTC)                # everything in the range is over


def _seed(db: Session) -> tuple[Place, Place]:
    """Calls of two chapters around both changes of 2026, at every kind of outcome."""
    here, there = chapter(db, "dst-here"), chapter(db, "dst-there")
    outcomes = [Outcome.ANSWERED, Outcome.VOICEMAIL, Outcome.ANSWERED, Outcome.ABANDONED,
                Outcome.REJECTED, Outcome.ANSWERED, Outcome.NO_ONE_ON_CALL,
                Outcome.CALLBACK_REQUESTED, Outcome.UNKNOWN_NUMBER]
    n = 0
    for day in (SPRING - timedelta(days=1), SPRING, SPRING + timedelta(days=1),
                AUTUMN - timedelta(days=1), AUTUMN, AUTUMN + timedelta(days=1)):
        for hh, mm, fold in ((0, 5, 0), (1, 30, 0), (1, 30, 1), (3, 15, 0), (9, 0, 0),
                             (13, 45, 0), (22, 59, 0), (23, 30, 0), (23, 59, 0)):
            outcome = outcomes[n % len(outcomes)]
            wait = 3 + (n * 7) % 50 if outcome is Outcome.ANSWERED else None
            add_call(db, here if n % 3 else there, local(day, hh, mm, fold=fold), outcome,
                     wait=wait)
            n += 1
    add_call(db, here, local(FIRST, 0) - timedelta(seconds=1), Outcome.ABANDONED)
    add_call(db, here, local(LAST + timedelta(days=1), 0), Outcome.ANSWERED, wait=4)
    return here, there


def _rows(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(ReportDay)) or 0


def test_the_roll_ups_give_the_exact_numbers_across_daylight_saving(runtime: Runtime) -> None:
    with runtime.transaction() as db:
        here, there = _seed(db)
    for places in ([here], [there], [here, there]):
        with runtime.transaction() as db:
            db.execute(delete(ReportDay))
            exact = build_report(db, places, FIRST, LAST, now=BEFORE)
            assert _rows(db) == 0                          # nothing over, nothing stored
        with runtime.transaction() as db:
            filling = build_report(db, places, FIRST, LAST, now=LATER)
        with runtime.transaction() as db:
            assert _rows(db) > 0
            rolled = build_report(db, places, FIRST, LAST, now=LATER)
        assert filling == rolled == exact
        # and the same as the queries over every call, hour by hour
        with runtime.sessions() as db:
            by_hour = hourly_counts(db, places, FIRST, LAST)
            times = answer_times(db, places, FIRST, LAST)
        assert rolled.times == times
        assert rolled.total.calls == sum(count for _, _, count in by_hour)
        assert sum(map(sum, rolled.missed_by_hour)) == sum(
            count for _, kind, count in by_hour if kind == "missed")
    days = dict(rolled.days)
    assert days[SPRING].calls + days[AUTUMN].calls == 18
    assert rolled.total.calls == 54 and rolled.times.answered == 18
    with runtime.sessions() as db:                         # every day of both, empty ones too
        assert _rows(db) == 2 * ((LAST - FIRST).days + 1)


def test_a_day_is_rolled_up_once(runtime: Runtime) -> None:
    with runtime.transaction() as db:
        here, _ = _seed(db)
    with runtime.transaction() as db:
        first = build_report(db, [here], SPRING, SPRING, now=LATER)
    with runtime.transaction() as db:                      # what the calls say changes later
        add_call(db, here, local(SPRING, 12), Outcome.VOICEMAIL)
        second = build_report(db, [here], SPRING, SPRING, now=LATER + timedelta(days=1))
        rows = list(db.scalars(select(ReportDay)))
    assert second == first                                 # read from the roll-up
    assert [(row.day, row.rolled_at) for row in rows] == [(SPRING, LATER)]
    assert rows[0].missed == first.total.missed
    with runtime.transaction() as db:                      # a second process: left alone
        store_days(db, [(here, SPRING, DayTotals(answered=99))], LATER)
    with runtime.sessions() as db:
        again = db.scalars(select(ReportDay)).one()
        assert (again.answered, again.rolled_at) == (first.total.answered, LATER)


def test_a_day_within_the_margin_or_with_a_live_call_is_counted_from_the_calls(
        runtime: Runtime) -> None:
    with runtime.transaction() as db:
        here = chapter(db, "margin")
        late = add_call(db, here, local(SPRING, 23, 50), None)
        call_id = late.id
    _, end = local_span(NY, SPRING, SPRING)
    with runtime.transaction() as db:                      # over, but a call still live
        report = build_report(db, [here], SPRING, SPRING, now=end + MARGIN * 3)
        assert (report.total.live, _rows(db)) == (1, 0)
    with runtime.transaction() as db:                      # ends as voicemail ...
        call = db.get(Call, call_id)
        assert call is not None
        call.outcome, call.phase = Outcome.VOICEMAIL, Phase.FINISHED
    with runtime.transaction() as db:                      # ... within the margin: not rolled
        report = build_report(db, [here], SPRING, SPRING, now=end + MARGIN / 2)
        assert (report.total.missed, _rows(db)) == (1, 0)
    with runtime.transaction() as db:                      # a late webhook changes it again
        call = db.get(Call, call_id)
        assert call is not None
        call.outcome = Outcome.REJECTED
    with runtime.transaction() as db:
        report = build_report(db, [here], SPRING, SPRING, now=end + MARGIN)
    with runtime.sessions() as db:
        row = db.scalars(select(ReportDay)).one()
        assert (row.missed, row.turned_away, row.answered) == (0, 1, 0)
    assert (report.total.missed, report.total.turned_away, report.total.live) == (0, 1, 0)


def test_retention_keeps_the_counts(runtime: Runtime) -> None:
    with runtime.transaction() as db:
        here, _ = _seed(db)
    with runtime.transaction() as db:
        before = build_report(db, [here], FIRST, LAST, now=BEFORE)
    with runtime.transaction() as db:
        dropped = apply_retention(db, runtime, LATER + timedelta(days=3650))
    assert dropped.calls > 0
    with runtime.transaction() as db:
        rolled = build_report(db, [here], FIRST, LAST, now=LATER)
    with runtime.transaction() as db:
        again = build_report(db, [here], FIRST, LAST, now=LATER)
        assert _rows(db) == (LAST - FIRST).days + 1
    assert before == rolled == again


def test_a_day_with_a_call_not_over_is_not_rolled_up(runtime: Runtime) -> None:
    with runtime.transaction() as db:
        here = chapter(db, "leaving")
        call = add_call(db, here, local(SPRING, 22), Outcome.NO_ONE_ON_CALL)
        call.phase = Phase.LEFT                            # recording a message, hours on
        call_id = call.id
    with runtime.transaction() as db:
        report = build_report(db, [here], SPRING, SPRING, now=LATER)
        assert (report.total.missed, _rows(db)) == (1, 0)
    with runtime.transaction() as db:                      # over, as another class
        over = db.get(Call, call_id)
        assert over is not None
        over.outcome, over.phase = Outcome.REJECTED, Phase.GONE
    with runtime.transaction() as db:
        report = build_report(db, [here], SPRING, SPRING, now=LATER)
    with runtime.sessions() as db:
        row = db.scalars(select(ReportDay)).one()
    assert (row.missed, row.turned_away) == (0, 1) == (report.total.missed,
                                                       report.total.turned_away)
