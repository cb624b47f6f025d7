"""Shift reminders, YES, unconfirmed shifts and the gap digest, on the stand-in's clock with a
worker's sweep every half hour; planning that runs twice sends nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from hotline.jobs import ManualRunner
from hotline.reminders.planning import missing, plan_ahead
from hotline.reminders.shifts import plan_key, plan_reminders
from hotline.roster.models import Chapter, ShiftReminder
from hotline.standin.calls import Message
from hotline.work import kinds, sweeps
from hotline.work.models import ScheduledTask, TaskStatus
from hotline.work.schedule import run
from tests.conftest import RuntimeFactory
from tests.flows.harness import HOTLINE, Hotline, hotline, seed_chapter
from tests.texts.helpers import add_volunteer, chapter_id, messages_to, outbox
from workers.tasks import HANDLERS

CORA, DAN = "+16175550113", "+16175550114"
BOSTON = ZoneInfo("America/New_York")
TUESDAY_6PM = datetime(2025, 1, 7, 18, 0, tzinfo=BOSTON)    # Dan's shift (Mon 09:00 now)


def dans_week(make_runtime: RuntimeFactory, **settings: object) -> Hotline:
    """Boston with Cora coordinating and Dan on call Tuesdays 18:00-22:00 only."""
    line = hotline(make_runtime)
    seed_chapter(line.runtime, {}, coordinators=[CORA], **settings)
    add_volunteer(line, DAN, "tue", "18:00", "22:00")
    return line


def run_until(line: Hotline, until: datetime) -> None:
    """Let time pass to `until`, a worker sweeping every 30 minutes."""
    while line.board.now() < until:
        sweeps.sweep(line.runtime)
        line.sim.advance(0)       # what the sweep queued runs now, as on a worker
        line.sim.advance(min(1800.0, (until - line.board.now()).total_seconds()))


def local(message: Message) -> datetime:
    return message.sent.astimezone(BOSTON)


def said(line: Hotline, number: str, words: str) -> list[Message]:
    return [m for m in messages_to(line, number) if words in m.body]


def test_a_reminder_goes_24_hours_before_once_and_not_held_for_quiet_hours(
    make_runtime: RuntimeFactory,
) -> None:
    # Call-back hours (for callers) end at 10:00; a reminder to a volunteer goes at 18:00.
    line = dans_week(make_runtime, callback_hours="09:00-10:00")
    run_until(line, TUESDAY_6PM - timedelta(hours=20))
    (reminder,) = messages_to(line, DAN)
    assert local(reminder) == TUESDAY_6PM - timedelta(hours=24)
    assert reminder.from_ == HOTLINE
    assert reminder.body == (
        "Boston Bereavement Line: a reminder, you are on call from Tue 07 Jan 18:00 to Tue 07 "
        "Jan 22:00 (tier 1). Reply YES to confirm. If you cannot, offer a swap on the rota "
        "pages or tell your coordinator.")


def test_yes_confirms_the_shift_and_the_coordinator_is_not_told(
    make_runtime: RuntimeFactory,
) -> None:
    line = dans_week(make_runtime)
    assert line.sim.text(DAN, HOTLINE, "YES") == [
        "There is no shift reminder waiting for your YES. Reply NEXT for your shifts."]
    run_until(line, TUESDAY_6PM - timedelta(hours=23))
    assert line.sim.text(DAN, HOTLINE, "yes") == [
        "Thank you: your shift Tue 07 Jan 18:00 is confirmed."]
    run_until(line, TUESDAY_6PM + timedelta(hours=1))
    assert said(line, CORA, "has not confirmed") == []
    with line.runtime.sessions() as session:
        (row,) = session.scalars(select(ShiftReminder)).all()
    assert row.confirmed_at is not None and row.escalated_at is None


def test_an_unconfirmed_shift_is_texted_to_the_coordinators_2_hours_before(
    make_runtime: RuntimeFactory,
) -> None:
    line = dans_week(make_runtime)
    run_until(line, TUESDAY_6PM + timedelta(hours=1))
    (told,) = said(line, CORA, "has not confirmed")
    assert local(told) == TUESDAY_6PM - timedelta(hours=2)
    assert told.body == ("Boston Bereavement Line: Volunteer 0114 has not confirmed their "
                         "shift starting Tue 07 Jan 18:00. You may want to check they can do it.")
    assert DAN not in told.body and DAN[-4:] + " " not in told.body.replace("0114 has", "")


def test_the_gap_digest_comes_at_08_00_chapter_time_once_a_day(
    make_runtime: RuntimeFactory,
) -> None:
    line = dans_week(make_runtime)
    run_until(line, datetime(2025, 1, 8, 9, 0, tzinfo=BOSTON))
    digests = said(line, CORA, "gaps in the next 7 days")
    assert [local(m) for m in digests] == [datetime(2025, 1, 7, 8, 0, tzinfo=BOSTON),
                                           datetime(2025, 1, 8, 8, 0, tzinfo=BOSTON)]
    assert digests[0].body == (
        "Boston Bereavement Line: gaps in the next 7 days (nobody on call at tier 1): Tue 07 "
        "Jan 08:00 to Tue 07 Jan 18:00; Tue 07 Jan 22:00 to Tue 14 Jan 08:00. Fill them on "
        "the rota pages.")
    assert said(line, DAN, "gaps") == []          # coordinators only


def test_a_chapter_without_gaps_gets_no_digest(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime)
    seed_chapter(line.runtime, {1: [DAN]}, coordinators=[CORA], reminder_hours=[])
    run_until(line, datetime(2025, 1, 7, 9, 0, tzinfo=BOSTON))
    assert messages_to(line, CORA) == [] and messages_to(line, DAN) == []
    with line.runtime.sessions() as session:
        (digest,) = session.scalars(select(ScheduledTask).where(
            ScheduledTask.kind == kinds.GAP_DIGEST, ScheduledTask.status == TaskStatus.DONE))
    assert digest.key.endswith("2025-01-07")


def test_planning_twice_or_by_two_workers_sends_each_reminder_once(
    make_runtime: RuntimeFactory,
) -> None:
    line = dans_week(make_runtime)
    slot = TUESDAY_6PM - timedelta(hours=24)
    run_until(line, slot + timedelta(minutes=10))
    with line.runtime.transaction() as session:      # a second sweep finds it all in place
        assert plan_ahead(session, line.runtime.clock()) == 0
    with line.runtime.sessions() as session:
        plan = session.scalar(select(ScheduledTask).where(
            ScheduledTask.key == plan_key(chapter_id(line), slot.astimezone(UTC))))
        assert plan is not None and plan.status is TaskStatus.DONE
        plan_id = plan.id
    # Two workers handed the same task: it is done, neither runs it again.
    assert not run(line.runtime, plan_id, HANDLERS)
    assert not run(line.runtime, plan_id, HANDLERS)
    # A worker that lost its record of having planned (run again by hand) adds nothing.
    for _ in range(2):
        with line.runtime.transaction() as session:
            task = session.get(ScheduledTask, plan_id)
            assert task is not None
            plan_reminders(session, line.runtime, task)
    line.sim.advance(3600)
    assert len(messages_to(line, DAN)) == 1
    assert len(outbox(line, "reminder")) == 1
    with line.runtime.sessions() as session:
        assert len(session.scalars(select(ShiftReminder)).all()) == 1
        unconfirmed = session.scalars(select(ScheduledTask).where(
            ScheduledTask.kind == kinds.SHIFT_UNCONFIRMED)).all()
    assert len(unconfirmed) == 1


def test_two_reminders_and_the_check_after_the_last(make_runtime: RuntimeFactory) -> None:
    line = dans_week(make_runtime, reminder_hours=[24, 1])
    run_until(line, TUESDAY_6PM + timedelta(minutes=30))
    assert [local(m) for m in messages_to(line, DAN)] == [
        TUESDAY_6PM - timedelta(hours=24), TUESDAY_6PM - timedelta(hours=1)]
    (told,) = said(line, CORA, "has not confirmed")
    assert local(told) == TUESDAY_6PM - timedelta(minutes=30)


def test_a_sweep_with_everything_planned_writes_nothing(make_runtime: RuntimeFactory) -> None:
    line = dans_week(make_runtime)
    with line.runtime.transaction() as session:
        assert plan_ahead(session, line.runtime.clock()) == 2     # this hour's, Tuesday's digest
    assert not line.runtime.atomic.run(lambda conn: missing(conn, line.runtime.clock()))
    line.sim.advance(3600)
    assert line.runtime.atomic.run(lambda conn: missing(conn, line.runtime.clock()))


def test_reminders_missed_while_nothing_ran_go_late_for_shifts_not_started(
    make_runtime: RuntimeFactory,
) -> None:
    line = dans_week(make_runtime, reminder_hours=[24, 2])
    with line.runtime.transaction() as session:
        session.execute(update(Chapter).values(created_at=line.board.now() - timedelta(days=1)))
    run_until(line, TUESDAY_6PM - timedelta(hours=12))       # the 24-hour reminder went
    assert [local(m) for m in messages_to(line, DAN)] == [TUESDAY_6PM - timedelta(hours=24)]
    # Nothing runs from 06:00 to 17:00 (the 2-hour reminder was due at 16:00, and the check
    # on it at 16:30 is only overdue): no sweep, and the jobs in memory are lost.
    assert isinstance(line.runtime.jobs, ManualRunner)
    line.runtime.jobs.lose_all()
    line.board.clock.advance(11 * 3600)
    run_until(line, TUESDAY_6PM + timedelta(hours=1))
    late = TUESDAY_6PM - timedelta(hours=1)
    assert [local(m) for m in messages_to(line, DAN)] == [
        TUESDAY_6PM - timedelta(hours=24), late]
    # The coordinators hear of it only after Dan had half an hour to answer.
    (told,) = said(line, CORA, "has not confirmed")
    assert local(told) == late + timedelta(minutes=30)


def test_a_missed_slot_does_not_remind_of_a_shift_already_started(
    make_runtime: RuntimeFactory,
) -> None:
    line = dans_week(make_runtime, reminder_hours=[2])
    with line.runtime.transaction() as session:
        session.execute(update(Chapter).values(created_at=line.board.now() - timedelta(days=1)))
    run_until(line, TUESDAY_6PM - timedelta(hours=12))
    assert isinstance(line.runtime.jobs, ManualRunner)
    line.runtime.jobs.lose_all()
    line.board.clock.advance(13 * 3600)                       # down until 19:00
    run_until(line, TUESDAY_6PM + timedelta(hours=2))
    assert messages_to(line, DAN) == []
