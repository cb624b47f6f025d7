"""Reports on the contact log: calls per day and week, answer rate, time to answer, missed
calls by hour of the week, and hours on call against calls taken (fairness).

Everything is counted by SQL aggregates over the inbound calls (no row per call reaches
Python), in each chapter's own time zone: a day is a chapter-local calendar day (23 or 25
hours on a daylight-saving change), an hour of the week its local wall-clock hour. The
database cannot convert time zones portably, so each zone's UTC offsets over the range are
worked out here and handed to the query as a CASE over the few spans between its changes.

What the reports call an outcome (hotline.logs.models.Outcome):

- answered: a volunteer took the call (`answered`);
- missed: the caller wanted a person and did not reach one (`voicemail`,
  `callback_requested`, `abandoned`, `no_one_on_call`);
- turned away: never offered to anyone by design (`rejected`: a banned caller or a withheld
  number refused; `unknown_number`: a number no chapter owns), neither answered nor missed;
- live: no outcome yet (the call is still going on).

The answer rate is answered / (answered + missed). Time to answer is from the call's arrival
to the volunteer's acceptance, over answered calls, in whole seconds as the contact export
gives it; its median and 90th percentile are nearest-rank (the smallest time within which at
least half, or nine in ten, of the answered calls were answered).

Daily roll-ups (table `report_days`, hotline.logs.models.ReportDay): a chapter-local day that
is over (its local midnight at least `MARGIN` ago, so late webhooks have landed) and whose
calls are all over (phase finished or gone: an outcome can still rise before) is counted from
the calls once, the first time a report needs it, and stored: its calls by outcome class, its
missed calls by local hour and its answered calls' seconds to answer, all a report needs of the
day. A report then reads one row for each such day and counts only the other days (today, a day
still within the margin, a day with a call not over) from the calls, so its cost follows the
number of days, not of calls. The numbers are the same either way. Two processes filling the
same day store it once (the key is the chapter, its zone and the day; a second insert does
nothing).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hotline.db import UTCDateTime
from hotline.logs.models import Outcome, ReportDay
from hotline.roster.fairness import hours_report
from hotline.roster.localtime import as_utc, to_instant
from hotline.roster.models import Chapter
from hotline.roster.store import load_rota_between
from hotline.roster.timeline import timeline

ANSWERED = frozenset({Outcome.ANSWERED})
MISSED = frozenset({Outcome.VOICEMAIL, Outcome.CALLBACK_REQUESTED, Outcome.ABANDONED,
                    Outcome.NO_ONE_ON_CALL})
TURNED_AWAY = frozenset({Outcome.REJECTED, Outcome.UNKNOWN_NUMBER})
LONGEST = 400            # days in one report at most: a year and a bit, bounded work
HOURS = 24
WEEKDAYS = 7
EPOCH = date(1970, 1, 1)
MARGIN = timedelta(hours=2)    # after a local day ends, before it is rolled up


class BadRange(ValueError):
    """A report range that cannot be shown (end before start, or too long)."""


@dataclass(frozen=True)
class Place:
    """A chapter as the report needs it."""

    id: int
    slug: str
    name: str
    zone: str


@dataclass(frozen=True)
class Counts:
    """Calls of one day or week (or the whole range) by what became of them."""

    calls: int = 0
    answered: int = 0
    missed: int = 0
    turned_away: int = 0
    live: int = 0

    @property
    def answer_rate(self) -> float | None:
        """answered / (answered + missed); None when there is neither."""
        asked = self.answered + self.missed
        return None if asked == 0 else self.answered / asked

    def plus(self, other: Counts) -> Counts:
        return Counts(self.calls + other.calls, self.answered + other.answered,
                      self.missed + other.missed, self.turned_away + other.turned_away,
                      self.live + other.live)


@dataclass(frozen=True)
class AnswerTimes:
    """Seconds to answer over the answered calls: how many at each whole second."""

    histogram: tuple[tuple[int, int], ...]      # (seconds, calls), seconds ascending

    @property
    def answered(self) -> int:
        return sum(count for _, count in self.histogram)

    def percentile(self, share: float) -> int | None:
        """Nearest rank: the smallest time within which at least `share` were answered."""
        total = self.answered
        if total == 0:
            return None
        rank = max(1, math.ceil(share * total))
        seen = 0
        for seconds, count in self.histogram:
            seen += count
            if seen >= rank:
                return seconds
        return self.histogram[-1][0]

    @property
    def median(self) -> int | None:
        return self.percentile(0.5)

    @property
    def p90(self) -> int | None:
        return self.percentile(0.9)


@dataclass(frozen=True)
class FairnessRow:
    """One volunteer of the chapter's rota: hours on call in the range, calls offered and taken."""

    volunteer_id: int
    name: str
    hours_on_call: float
    offered: int
    taken: int


@dataclass(frozen=True)
class Report:
    """Every report over chapter-local days [first, last] of some chapters."""

    places: tuple[Place, ...]
    first: date
    last: date
    days: tuple[tuple[date, Counts], ...]        # every day of the range, empty ones too
    weeks: tuple[tuple[date, Counts], ...]       # by the Monday starting each week
    total: Counts
    times: AnswerTimes
    missed_by_hour: tuple[tuple[int, ...], ...]  # [weekday Monday=0][local hour]
    fairness: tuple[FairnessRow, ...]            # one chapter's rota only; else empty


def day_range(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def check_range(first: date, last: date) -> None:
    if last < first:
        raise BadRange("the range ends before it starts")
    if (last - first).days + 1 > LONGEST:
        raise BadRange(f"a report covers at most {LONGEST} days")


def places_of(chapters: Sequence[Chapter]) -> tuple[Place, ...]:
    return tuple(Place(c.id, c.slug, c.name, c.timezone) for c in chapters)


def local_span(zone: ZoneInfo, first: date, last: date) -> tuple[datetime, datetime]:
    """The UTC instants of local midnight starting `first` and ending `last`."""
    return (to_instant(datetime.combine(first, time(0)), zone),
            to_instant(datetime.combine(last + timedelta(days=1), time(0)), zone))


def offset_spans(zone: ZoneInfo, start: datetime, end: datetime
                 ) -> list[tuple[datetime, int]]:
    """[(until, offset seconds)] covering [start, end): the zone's UTC offset holds until
    each `until` (the last one is `end`). Changes are found day by day, then to the second."""
    def offset(at: datetime) -> int:
        found = at.astimezone(zone).utcoffset()
        return int(found.total_seconds()) if found is not None else 0

    spans: list[tuple[datetime, int]] = []
    current = offset(start)
    at = start
    while at < end:
        step = min(at + timedelta(days=1), end)
        probe = step - timedelta(seconds=1)         # the last second of [at, step)
        if offset(probe) == current:
            at = step
            continue
        low, high = at, probe                       # offset(low) == current != offset(high)
        while high - low > timedelta(seconds=1):
            middle = (low + (high - low) / 2).replace(microsecond=0)
            if offset(middle) == current:
                low = middle
            else:
                high = middle
        spans.append((high, current))
        current = offset(high)
        at = high
    spans.append((end, current))
    return spans


class _Sql:
    """The dialect's spelling of whole seconds since the epoch, and the query's parameters.

    The queries are built as text (S608 below): only column names and placeholders of this
    module go into them; every value (ids, instants, offsets) is a bound parameter. They group
    by position (GROUP BY 1), so PostgreSQL never has to match an expression repeated with its
    parameters numbered apart."""

    def __init__(self, session: Session) -> None:
        self.dialect = session.get_bind().dialect.name
        self.params: dict[str, Any] = {}
        self.types: dict[str, Any] = {}

    def epoch(self, column: str) -> str:
        if self.dialect == "sqlite":
            return f"CAST(strftime('%s', {column}) AS INTEGER)"
        return f"CAST(floor(extract(epoch FROM {column})) AS BIGINT)"

    def seconds_between(self, start: str, end: str) -> str:
        if self.dialect == "sqlite":
            return f"CAST(round((julianday({end}) - julianday({start})) * 86400) AS INTEGER)"
        return f"CAST(round(extract(epoch FROM ({end} - {start}))) AS BIGINT)"

    def instant(self, value: datetime) -> str:
        name = f"t{len(self.params)}"
        self.params[name] = value
        self.types[name] = UTCDateTime()
        return f":{name}"

    def number(self, value: int) -> str:
        name = f"n{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def run(self, session: Session, sql: str) -> list[Any]:
        used = set(re.findall(r":(\w+)", sql))
        statement = text(sql).bindparams(
            *[bindparam(name, type_=kind) for name, kind in self.types.items() if name in used])
        return list(session.execute(
            statement, {name: value for name, value in self.params.items() if name in used}))


def _zones(places: Sequence[Place]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for place in places:
        found.setdefault(place.zone, []).append(place.id)
    return found


def _scope(sql: _Sql, places: Sequence[Place], first: date, last: date) -> tuple[str, str]:
    """(WHERE clause, local-seconds expression) for inbound calls of `places` started on
    their local days [first, last]."""
    wheres, offsets = [], []
    for name, ids in _zones(places).items():
        zone = ZoneInfo(name)
        start, end = local_span(zone, first, last)
        members = ", ".join(sql.number(i) for i in ids)
        wheres.append(f"(chapter_id IN ({members}) AND started_at >= {sql.instant(start)} "
                      f"AND started_at < {sql.instant(end)})")
        spans = offset_spans(zone, start, end)
        inner = " ".join(f"WHEN started_at < {sql.instant(until)} THEN {sql.number(offset)}"
                         for until, offset in spans[:-1])
        last_offset = sql.number(spans[-1][1])
        zone_offset = f"CASE {inner} ELSE {last_offset} END" if inner else last_offset
        offsets.append(f"WHEN chapter_id IN ({members}) THEN {zone_offset}")
    where = "kind = 'inbound' AND (" + " OR ".join(wheres) + ")"
    local = f"({sql.epoch('started_at')} + CASE {' '.join(offsets)} ELSE 0 END)"
    return where, local


def _kind(outcome: str | None) -> str:
    if outcome is None:
        return "live"
    value = Outcome(outcome)
    if value in ANSWERED:
        return "answered"
    if value in MISSED:
        return "missed"
    return "turned_away"


def build_report(session: Session, places: Sequence[Place], first: date, last: date, *,
                 now: datetime | None = None) -> Report:
    """Every report over local days [first, last] of `places` (fairness only for one).

    Days over by `now` (default: the clock) are read from, or added to, the roll-ups in
    `session`'s transaction (stored only if the caller commits)."""
    check_range(first, last)
    places = tuple(places)
    counts: dict[date, dict[str, int]] = {day: {} for day in day_range(first, last)}
    missed = [[0] * HOURS for _ in range(WEEKDAYS)]
    waits: dict[int, int] = {}
    for (_, day), found in day_totals(session, places, first, last, now=now).items():
        per_day = counts.setdefault(day, {})
        for kind in ("answered", "missed", "turned_away", "live"):
            per_day[kind] = per_day.get(kind, 0) + getattr(found, kind)
        for hour, count in enumerate(found.missed_hours):
            missed[day.weekday()][hour] += count
        for seconds, count in found.waits.items():
            waits[seconds] = waits.get(seconds, 0) + count
    days = tuple((day, _counts(counts[day])) for day in sorted(counts))
    weeks: dict[date, Counts] = {}
    for day, value in days:
        monday = day - timedelta(days=day.weekday())
        weeks[monday] = weeks.get(monday, Counts()).plus(value)
    total = Counts()
    for _, value in days:
        total = total.plus(value)
    fairness = fairness_rows(session, places[0], first, last) if len(places) == 1 else ()
    return Report(places, first, last, days, tuple(sorted(weeks.items())), total,
                  AnswerTimes(tuple(sorted(waits.items()))),
                  tuple(tuple(row) for row in missed), fairness)


@dataclass
class DayTotals:
    """One chapter's inbound calls of one local day, as the reports count them."""

    answered: int = 0
    missed: int = 0
    turned_away: int = 0
    live: int = 0
    missed_hours: list[int] = field(default_factory=lambda: [0] * HOURS)
    waits: dict[int, int] = field(default_factory=dict)     # seconds to answer: calls
    open: int = 0          # calls not over yet (their outcome may still rise); not stored


def day_totals(session: Session, places: Sequence[Place], first: date, last: date, *,
               now: datetime | None = None) -> dict[tuple[int, date], DayTotals]:
    """{(chapter id, local day): totals} for every day [first, last] of every place: the
    roll-ups of days already rolled, the others counted from the calls (and rolled up when
    over by `now` with no live call)."""
    check_range(first, last)
    now = as_utc(now) if now is not None else datetime.now(UTC)
    found: dict[tuple[int, date], DayTotals] = {}
    if not places:
        return found
    zones = {place.id: place.zone for place in places}
    for row in session.scalars(select(ReportDay).where(
            ReportDay.chapter_id.in_(list(zones)),
            ReportDay.day >= first, ReportDay.day <= last)):
        if zones[row.chapter_id] == row.zone:
            found[(row.chapter_id, row.day)] = DayTotals(
                row.answered, row.missed, row.turned_away, 0, list(row.missed_hours),
                {int(seconds): count for seconds, count in row.waits.items()})
    runs: dict[tuple[date, date], list[Place]] = {}
    for place in places:
        for run in _runs([day for day in day_range(first, last)
                          if (place.id, day) not in found]):
            runs.setdefault(run, []).append(place)
    over: list[tuple[Place, date, DayTotals]] = []
    for (start, end), members in runs.items():
        counted = count_days(session, members, start, end)
        for place in members:
            zone = ZoneInfo(place.zone)
            for day in day_range(start, end):
                totals = counted.get((place.id, day), DayTotals())
                found[(place.id, day)] = totals
                if (totals.live == 0 and totals.open == 0
                        and local_span(zone, day, day)[1] + MARGIN <= now):
                    over.append((place, day, totals))
    store_days(session, over, now)
    return found


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive days, ascending, as [(first, last)]."""
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def store_days(session: Session, days: Sequence[tuple[Place, date, DayTotals]],
               now: datetime) -> None:
    """Roll these days up; a day already rolled (by another process too) is left as it is."""
    if not days:
        return
    rows = [{"chapter_id": place.id, "zone": place.zone, "day": day,
             "answered": totals.answered, "missed": totals.missed,
             "turned_away": totals.turned_away, "missed_hours": totals.missed_hours,
             "waits": {str(seconds): count for seconds, count in sorted(totals.waits.items())},
             "rolled_at": now} for place, day, totals in days]
    insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql"
              else sqlite.insert)
    for start in range(0, len(rows), 500):
        session.execute(insert(ReportDay).on_conflict_do_nothing(), rows[start:start + 500])


def count_days(session: Session, places: Sequence[Place], first: date, last: date
               ) -> dict[tuple[int, date], DayTotals]:
    """{(chapter id, local day): totals} counted from the calls, days with calls only."""
    found: dict[tuple[int, date], DayTotals] = {}
    if not places:
        return found
    sql = _Sql(session)
    where, local = _scope(sql, places, first, last)
    rows = sql.run(session, f"SELECT chapter_id, {local} / 3600 AS hour, outcome, "  # noqa: S608
                            "CASE WHEN phase IN ('finished', 'gone') THEN 0 ELSE 1 END, "
                            f"count(*) FROM calls WHERE {where} GROUP BY 1, 2, 3, 4")
    for chapter_id, hour_number, outcome, still_open, count in rows:
        day = EPOCH + timedelta(days=int(hour_number) // HOURS)
        totals = found.setdefault((int(chapter_id), day), DayTotals())
        totals.open += int(still_open) * int(count)
        kind = _kind(outcome)
        setattr(totals, kind, getattr(totals, kind) + int(count))
        if kind == "missed":
            totals.missed_hours[int(hour_number) % HOURS] += int(count)
    sql = _Sql(session)
    where, local = _scope(sql, places, first, last)
    waited = sql.seconds_between("started_at", "answered_at")
    rows = sql.run(session, f"SELECT chapter_id, {local} / 86400 AS day, "  # noqa: S608
                            f"{waited} AS waited, count(*) FROM calls WHERE {where} AND "
                            "outcome = 'answered' AND answered_at IS NOT NULL GROUP BY 1, 2, 3")
    for chapter_id, day_number, seconds, count in rows:
        day = EPOCH + timedelta(days=int(day_number))
        waits = found.setdefault((int(chapter_id), day), DayTotals()).waits
        seconds = max(0, int(seconds))
        waits[seconds] = waits.get(seconds, 0) + int(count)
    return found


def hourly_counts(session: Session, places: Sequence[Place], first: date, last: date
                  ) -> list[tuple[int, str, int]]:
    """(local hours since 1970-01-01 00:00, answered/missed/turned_away/live, calls): the
    inbound calls of `places` on their local days [first, last], by local wall-clock hour."""
    if not places:
        return []
    sql = _Sql(session)
    where, local = _scope(sql, places, first, last)
    hour = f"({local} / 3600)"
    rows = sql.run(session, f"SELECT {hour} AS hour, outcome, count(*) FROM calls "  # noqa: S608
                            f"WHERE {where} GROUP BY 1, 2")
    return [(int(number), _kind(outcome), int(count)) for number, outcome, count in rows]


def answer_times(session: Session, places: Sequence[Place], first: date, last: date
                 ) -> AnswerTimes:
    """Seconds to answer of the answered inbound calls of `places` on local days [first,
    last], counted per whole second."""
    if not places:
        return AnswerTimes(())
    sql = _Sql(session)
    where, _ = _scope(sql, places, first, last)
    waited = sql.seconds_between("started_at", "answered_at")
    rows = sql.run(session, f"SELECT {waited} AS waited, count(*) FROM calls "  # noqa: S608
                            f"WHERE {where} AND outcome = 'answered' AND answered_at IS NOT "
                            "NULL GROUP BY 1 ORDER BY 1")
    return AnswerTimes(_merge([(max(0, int(seconds)), count) for seconds, count in rows]))


def _merge(histogram: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: dict[int, int] = {}
    for seconds, count in histogram:
        merged[seconds] = merged.get(seconds, 0) + count
    return tuple(sorted(merged.items()))


def _counts(by_kind: dict[str, int]) -> Counts:
    answered, missed = by_kind.get("answered", 0), by_kind.get("missed", 0)
    away, live = by_kind.get("turned_away", 0), by_kind.get("live", 0)
    return Counts(answered + missed + away + live, answered, missed, away, live)


def fairness_rows(session: Session, place: Place, first: date, last: date
                  ) -> tuple[FairnessRow, ...]:
    """Each volunteer on the chapter's rota in the range: hours on call (any tier, from the
    rota's on-call spans), and the chapter's inbound calls offered to and taken by them.

    A volunteer who took calls but is no longer on the rota gets a row with zero hours, so
    the calls taken add up to the calls answered.
    """
    zone = ZoneInfo(place.zone)
    start, end = local_span(zone, first, last)
    rota = load_rota_between(session, place.id, start, end)
    hours = hours_report(rota.volunteers, timeline(rota, start, end), start, end)
    sql = _Sql(session)
    rows = sql.run(session, (
        "SELECT call_legs.volunteer_id, max(call_legs.volunteer_name), "  # noqa: S608
        "count(DISTINCT call_legs.call_id), "
        "count(DISTINCT CASE WHEN call_legs.outcome = 'answered' THEN call_legs.call_id END) "
        "FROM call_legs JOIN calls ON calls.id = call_legs.call_id "
        f"WHERE calls.kind = 'inbound' AND calls.chapter_id = {sql.number(place.id)} "
        f"AND calls.started_at >= {sql.instant(start)} AND calls.started_at < "
        f"{sql.instant(end)} AND call_legs.outcome IS NOT NULL "
        "AND call_legs.volunteer_id IS NOT NULL GROUP BY call_legs.volunteer_id"))
    calls = {vid: (name, offered, taken) for vid, name, offered, taken in rows}
    found = []
    for line in hours.lines:
        _, offered, taken = calls.pop(line.volunteer.id, ("", 0, 0))
        found.append(FairnessRow(line.volunteer.id, line.volunteer.name,
                                 round(line.on_call.total_seconds() / 3600, 1), offered, taken))
    for vid, (name, offered, taken) in sorted(calls.items()):
        found.append(FairnessRow(vid, name, 0.0, offered, taken))
    return tuple(found)
