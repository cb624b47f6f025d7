"""The rota over a stretch of time as a coordinator reads it: recorded history for the past,
the rules for the rest, cut into local days in the chapter's zone (right across DST)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.roster import models
from hotline.roster.history import history_frontier, waves_from_json
from hotline.roster.localtime import as_utc, to_instant
from hotline.roster.oncall import Wave
from hotline.roster.store import load_rota_between
from hotline.roster.timeline import Segment, timeline


def plan_between(
    session: Session, chapter_id: int, start: datetime, end: datetime
) -> tuple[Segment, ...]:
    """Segments partitioning [start, end): recorded history where it exists, then the rules.

    This is what `hotline oncall` answers at each instant (see hotline.roster.history.oncall_at).
    """
    start, end = as_utc(start, "start"), as_utc(end, "end")
    frontier = min(max(history_frontier(session, chapter_id), start), end)
    found: list[Segment] = []
    if frontier > start:
        rows = session.scalars(
            select(models.OnCallHistory)
            .where(models.OnCallHistory.chapter_id == chapter_id,
                   models.OnCallHistory.end > start, models.OnCallHistory.start < frontier)
            .order_by(models.OnCallHistory.start)
        ).all()
        cursor = start
        for row in rows:
            piece_start, piece_end = max(as_utc(row.start), start), min(as_utc(row.end), frontier)
            if piece_start > cursor:  # never recorded: the rules answer, as oncall_at does
                found.extend(_rules(session, chapter_id, cursor, piece_start))
            found.append(Segment(piece_start, piece_end, waves_from_json(row.waves)))
            cursor = piece_end
        if cursor < frontier:
            found.extend(_rules(session, chapter_id, cursor, frontier))
    if frontier < end:
        found.extend(_rules(session, chapter_id, frontier, end))
    return tuple(found)


def _rules(session: Session, chapter_id: int, start: datetime, end: datetime) -> list[Segment]:
    return list(timeline(load_rota_between(session, chapter_id, start, end), start, end))


@dataclass(frozen=True)
class DayPiece:
    """Part of one local day with one ring plan; `until` is None for the day's end (24:00)."""

    start: datetime          # UTC
    end: datetime            # UTC
    local_from: time
    local_until: time | None
    zone_abbr: str
    waves: tuple[Wave, ...]

    @property
    def gap(self) -> bool:
        """Nobody at tier 1."""
        return not any(int(wave.tier) == 1 for wave in self.waves)


@dataclass(frozen=True)
class Day:
    day: date
    pieces: tuple[DayPiece, ...]


def week_start(day: date) -> date:
    """The Monday of the week holding `day`."""
    return day - timedelta(days=day.weekday())


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants local `day` starts and ends (23 or 25 hours apart on DST days)."""
    return (to_instant(datetime.combine(day, time(0)), zone),
            to_instant(datetime.combine(day + timedelta(days=1), time(0)), zone))


def split_days(segments: tuple[Segment, ...], zone: ZoneInfo, first: date, days: int) -> list[Day]:
    """The segments cut at local midnights into `days` local days from `first`."""
    result: list[Day] = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        begin, finish = day_bounds(day, zone)
        pieces: list[DayPiece] = []
        for segment in segments:
            lo, hi = max(segment.start, begin), min(segment.end, finish)
            if lo >= hi:
                continue
            local_lo = lo.astimezone(zone)
            local_hi = None if hi == finish else hi.astimezone(zone).time().replace(tzinfo=None)
            pieces.append(DayPiece(lo, hi, local_lo.time().replace(tzinfo=None), local_hi,
                                   local_lo.tzname() or "", segment.waves))
        result.append(Day(day, tuple(pieces)))
    return result
