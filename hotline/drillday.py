"""Drills of what comes after the call, on the virtual clock, rolled back like every drill.

`play_follow_ups` carries a drilled call on past its end: the call-back (or check-in) it
asked for is attempted as the workers would (a volunteer rung, who presses 1, then the
caller dialled from the hotline number, who presses 1), until it is done or two days have
passed. `run_day` plays a whole day on one line: a message left in the morning (alert
texts, the coordinators told when nobody takes it), a call-back asked for after lunch (an
alert, then the attempt), a call answered in the evening, and whatever scheduled work of
the live database falls due that day (reminders among it), the sweep running every 15
minutes as a worker's would. Nothing is written: the whole day is one rolled-back
transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.jobs import ManualRunner
from hotline.logs.models import Call, CallbackRequest, FollowUpStatus
from hotline.models import Chapter, ChapterNumber, Volunteer
from hotline.roster.localtime import to_instant
from hotline.runtime import Runtime
from hotline.standin import phones
from hotline.standin.calls import Message
from hotline.standin.simulator import Simulator

FOLLOW_UP_LIMIT = timedelta(days=2)
STEP_SECONDS = 600
SWEEP_EVERY = timedelta(minutes=15)
# The day's callers (local time, number, what they do, what every phone does meanwhile);
# the times move to when someone is on call (`call_times`).
DAY = (
    (time(10, 0), "+15551230001", "voicemail", "rings-out"),
    (time(13, 0), "+15551230002", "callback", "busy"),
    (time(17, 30), "+15551230003", "listens", "answers"),
)
SLOT = timedelta(minutes=30)
APART = timedelta(hours=1)


def call_times(session: Session, to: str, day: date, zone: ZoneInfo) -> list[datetime]:
    """When the day's callers call: half-hours with someone on call, an hour or more apart,
    inside the line's call-back hours first (so the call-back can be made that day); DAY's
    own times for any left over."""
    from hotline.callbacks.hours import is_open
    from hotline.drill import _first_rung

    hours = session.scalar(select(Chapter.callback_hours).join(ChapterNumber)
                           .where(ChapterNumber.number == to)) or "09:00-20:00"
    start = to_instant(datetime.combine(day, time(0, 0)), zone)
    end = to_instant(datetime.combine(day + timedelta(days=1), time(0, 0)), zone)
    slots = [start + i * SLOT for i in range(int((end - start) / SLOT))]
    on_call = [at for at in slots if _first_rung(session, to, at)]
    fixed = [to_instant(datetime.combine(day, t), zone) for t, _, _, _ in DAY]
    chosen: list[datetime] = []
    for pool in ([at for at in on_call if is_open(at, hours, zone.key)], on_call, fixed):
        for at in pool:
            if len(chosen) < len(DAY) and all(abs(at - c) >= APART for c in chosen):
                chosen.append(at)
    return sorted(chosen)


def _at_their_phones(sim: Simulator, volunteers: Iterable[str], callers: Iterable[str]
                     ) -> None:
    """Volunteers answer and accept; callers answer a call-back and press 1."""
    for number in volunteers:
        sim.board.phone(number, phones.answers(after=4.0, talk_seconds=120.0))
    for number in callers:
        sim.board.phone(number, phones.answers(after=5.0, talk_seconds=90.0))


def open_follow_ups(runtime: Runtime, call_sids: Iterable[str]) -> int:
    """Call-backs and check-ins of these calls still to be attempted."""
    with runtime.sessions() as session:
        return session.scalar(
            select(func.count()).select_from(CallbackRequest).join(
                Call, Call.id == CallbackRequest.call_id)
            .where(Call.call_sid.in_(list(call_sids)),
                   CallbackRequest.status == FollowUpStatus.OPEN)) or 0


def play_follow_ups(sim: Simulator, runtime: Runtime, runner: ManualRunner, call_sid: str,
                    caller: str) -> None:
    """Play the call-back or check-in `call_sid` asked for, with everyone at their phone."""
    if not open_follow_ups(runtime, [call_sid]):
        return
    sim.on_advance(_runs(runner), next_due=runner.next_due)
    with runtime.sessions() as session:
        _at_their_phones(sim, session.scalars(select(Volunteer.phone)), [caller])
    end = sim.now + FOLLOW_UP_LIMIT
    while sim.now < end and open_follow_ups(runtime, [call_sid]):
        sim.advance(STEP_SECONDS)
        sim.run_until_idle()


def _runs(runner: ManualRunner) -> Callable[[datetime], None]:
    """A hook that runs the jobs due (with the stop `advance` makes at each one's time)."""
    def run(now: datetime) -> None:
        runner.run_due(now)
    return run


def texts_sent(messages: Iterable[Message], label: Callable[[str], str], *,
               zone: ZoneInfo | None = None, since: datetime | None = None) -> list[str]:
    """Each text the line sent: when (local HH:MM in `zone`, or minutes:seconds `since`, as
    a transcript), to whom, from which number, what it said."""
    lines = []
    for message in messages:
        if since is not None:
            seconds = int((message.sent - since).total_seconds())
            at = f"{seconds // 60:02d}:{seconds % 60:02d}"
        else:
            at = f"{message.sent.astimezone(zone or UTC):%H:%M}"
        lines.append(f"{at} text to {label(message.to)} from {label(message.from_)}: "
                     f"{message.body}")
    return lines


@dataclass(frozen=True)
class DayResult:
    chapter: str
    day: date
    timeline: list[str]
    transcript: str
    records: list[dict[str, Any]]


def line_of(session: Session, number: str) -> tuple[str, ZoneInfo] | None:
    """The name and zone of the chapter a hotline number belongs to."""
    row = session.execute(select(Chapter.name, Chapter.timezone).join(ChapterNumber)
                          .where(ChapterNumber.number == number)).first()
    return (row[0], ZoneInfo(row[1])) if row is not None else None


def play_day(sim: Simulator, runtime: Runtime, runner: ManualRunner, to: str,
             times: list[datetime], end: datetime) -> list[str]:
    """Play DAY's calls on line `to` at `times`, and the scheduled work and sweeps until
    `end`; the calls' SIDs."""
    from hotline.drill import BEHAVIOURS, caller_script
    from hotline.work.sweeps import sweep

    next_sweep = [sim.now]

    def sweep_now(now: datetime) -> None:
        if now >= next_sweep[0]:
            next_sweep[0] = now + SWEEP_EVERY
            sweep(runtime)

    sim.on_advance(sweep_now, next_due=lambda: next_sweep[0])
    sim.on_advance(_runs(runner), next_due=runner.next_due)
    with runtime.sessions() as session:
        volunteers = list(session.scalars(select(Volunteer.phone)))
    sids = []
    for when, (_, caller, does, everyone) in zip(times, DAY, strict=True):
        sim.advance(max(0.0, (when - sim.now).total_seconds()))
        for number in volunteers:
            sim.board.phone(number, BEHAVIOURS[everyone](4.0))
        sids.append(sim.call(caller, to, caller_script(does)).sid)
        _at_their_phones(sim, volunteers, [c for _, c, _, _ in DAY])
    sim.advance(max(0.0, (end - sim.now).total_seconds()))
    return sids


def timeline(records: list[dict[str, Any]], texts: Iterable[Message],
             label: Callable[[str], str], zone: ZoneInfo) -> list[str]:
    """The day in order, in the line's own time: calls, call-back attempts, texts."""
    events: list[tuple[datetime, str]] = []
    for record in records:
        started = datetime.fromisoformat(record["started_at"].replace("Z", "+00:00"))
        legs = ", ".join(f"{leg['volunteer']}: {leg['outcome']}" for leg in record["legs"])
        events.append((started, f"call from caller {record['caller']}: {record['outcome']}"
                       + (f" (rang {legs})" if legs else "")))
        for attempt in record.get("callbacks", []):
            at = datetime.fromisoformat(attempt["at"].replace("Z", "+00:00"))
            events.append((at, f"call-back to caller {record['caller']} through "
                           f"{attempt['volunteer'] or 'nobody'}: {attempt['outcome']}"))
    for message in texts:
        events.append((message.sent, texts_sent([message], label, zone=zone)[0][6:]))
    return [f"{at.astimezone(zone):%H:%M} {what}" for at, what in sorted(events)]


def run_day(settings: Any, to: str, day: date | None = None) -> DayResult:
    """Play a day on the line `to` (today in its zone unless `day`) in-process; nothing kept."""
    from hotline.app import create_app
    from hotline.drill import DrillError, _labels, _rolled_back, drill_settings
    from hotline.logs.contacts import contact_for
    from hotline.phone import PhoneError, parse_phone
    from hotline.runtime import rolled_back_runtime
    from hotline.standin.clock import VirtualClock
    from hotline.standin.switchboard import Switchboard
    from hotline.standin.transport import WsgiTarget
    from hotline.telephony.standin import StandinTelephony

    try:
        parse_phone(to)
    except PhoneError as exc:
        raise DrillError(f"--to: {to!r} {exc} (like +16175550100)") from None
    settings = drill_settings(settings)
    with _rolled_back(settings) as conn:
        with Session(conn) as session:
            found = line_of(session, to)
            if found is None:
                raise DrillError(f"--to: {to} is no chapter's number (see `hotline rota export`)")
            name, zone = found
            label = _labels(session, DAY[0][1])
            day = day or datetime.now(zone).date()
            times = call_times(session, to, day, zone)
        start = to_instant(datetime.combine(day, time(0, 0)), zone)
        end = to_instant(datetime.combine(day + timedelta(days=1), time(0, 0)), zone)
        board = Switchboard(VirtualClock(start), settings.twilio.account_sid)
        for _, caller, _, _ in DAY:
            label = _also(label, caller)
        runner = ManualRunner(board.now)
        runtime = rolled_back_runtime(settings, conn, telephony=StandinTelephony(board),
                                      jobs=runner, clock=board.now)
        sim = Simulator(WsgiTarget(create_app(runtime=runtime), settings.app.public_url,
                                   settings.twilio.auth_token), board, mask=label)
        sids = play_day(sim, runtime, runner, to, times, end)
        with runtime.sessions() as session:
            rows = [contact_for(session, sid) for sid in sids]
        records = [row.as_json() for row in rows if row is not None]
        return DayResult(chapter=name, day=day, timeline=timeline(records, board.messages,
                                                                  label, zone),
                         transcript=sim.transcript, records=records)


def _also(label: Callable[[str], str], caller: str) -> Callable[[str], str]:
    """`label`, with one more of the day's callers shown masked."""
    from hotline.privacy import mask

    return lambda number: f"caller {mask(number)}" if number == caller else label(number)
