"""The UTC intervals during which each regular rule (shift or rotation) puts a volunteer on call."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hotline.roster.localtime import to_instant, wall_clock
from hotline.roster.rules import ChapterRota, Rotation, Tier, Weekday, WeeklyShift

_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Span:
    """`volunteer_id` is on call at `tier` over the UTC interval [start, end)."""

    start: datetime
    end: datetime
    tier: Tier
    volunteer_id: int

    def contains(self, at: datetime) -> bool:
        return self.start <= at < self.end


def local_interval(zone: ZoneInfo, day: date, start: time, end: time) -> tuple[datetime, datetime]:
    """UTC interval of wall hours starting on local `day`; end <= start runs into the next day."""
    end_day = day if end > start else day + _DAY
    return (
        to_instant(datetime.combine(day, start), zone),
        to_instant(datetime.combine(end_day, end), zone),
    )


def weekly_intervals(
    zone: ZoneInfo,
    days: frozenset[Weekday],
    start: time,
    end: time,
    since: datetime,
    until: datetime,
) -> Iterator[tuple[datetime, datetime]]:
    """Occurrences of weekly wall hours that overlap [since, until), in order.

    An occurrence lasts at most a day and an hour of real time, so the local day before
    `since` is the earliest that can reach into the range (Sunday night into Monday included).
    The day after `until`'s is the latest: a fall-back change just after midnight shows
    Saturday's date again once Sunday's occurrence has begun (St John's at 00:01 until 2011).
    """
    day = wall_clock(since, zone).date() - _DAY
    last = wall_clock(until, zone).date() + _DAY
    while day <= last:
        if Weekday.of(day) in days:
            begin, finish = local_interval(zone, day, start, end)
            if begin < until and finish > since and begin < finish:
                yield begin, finish
        day += _DAY


def _clip(
    begin: datetime, finish: datetime, low: datetime | None, high: datetime | None
) -> tuple[datetime, datetime] | None:
    if low is not None and low > begin:
        begin = low
    if high is not None and high < finish:
        finish = high
    return (begin, finish) if begin < finish else None


def shift_spans(
    shift: WeeklyShift, zone: ZoneInfo, since: datetime, until: datetime
) -> Iterator[Span]:
    """The shift's on-call intervals overlapping [since, until), cut to its validity."""
    for begin, finish in weekly_intervals(zone, shift.days, shift.start, shift.end, since, until):
        clipped = _clip(begin, finish, shift.valid_from, shift.valid_until)
        if clipped is not None:
            yield Span(clipped[0], clipped[1], shift.tier, shift.volunteer_id)


def handoff_at(rotation: Rotation, zone: ZoneInfo, turn: int) -> datetime:
    """The UTC instant turn number `turn` (0 = the anchor's turn) begins."""
    day = rotation.anchor + rotation.period * turn
    return to_instant(datetime.combine(day, rotation.handoff), zone)


def turn_at(rotation: Rotation, zone: ZoneInfo, at: datetime) -> int:
    """The number of the turn holding `at`, found by arithmetic rather than by walking turns."""
    start = datetime.combine(rotation.anchor, rotation.handoff)
    turn = (wall_clock(at, zone) - start) // rotation.period
    # The wall-clock estimate is off by at most one turn next to a DST change at the handoff.
    while handoff_at(rotation, zone, turn) > at:
        turn -= 1
    while handoff_at(rotation, zone, turn + 1) <= at:
        turn += 1
    return turn


def holder_at(rotation: Rotation, zone: ZoneInfo, at: datetime) -> int | None:
    """The member whose turn holds `at`, ignoring the window and validity; None when empty."""
    if not rotation.members:
        return None
    return rotation.members[turn_at(rotation, zone, at) % len(rotation.members)]


def rotation_spans(
    rotation: Rotation, zone: ZoneInfo, since: datetime, until: datetime
) -> Iterator[Span]:
    """The rotation's intervals overlapping [since, until): turns cut to window and validity."""
    if not rotation.members:
        return
    low = max(since, rotation.valid_from) if rotation.valid_from else since
    high = min(until, rotation.valid_until) if rotation.valid_until else until
    if low >= high:
        return
    turn = turn_at(rotation, zone, low)
    begin = handoff_at(rotation, zone, turn)
    while begin < high:
        finish = handoff_at(rotation, zone, turn + 1)
        member = rotation.members[turn % len(rotation.members)]
        for piece in _windowed(rotation, zone, begin, finish):
            clipped = _clip(piece[0], piece[1], low, high)
            if clipped is not None:
                yield Span(clipped[0], clipped[1], rotation.tier, member)
        turn += 1
        begin = finish


def _windowed(
    rotation: Rotation, zone: ZoneInfo, begin: datetime, finish: datetime
) -> Iterator[tuple[datetime, datetime]]:
    window = rotation.window
    if window is None:
        yield begin, finish
        return
    for open_, close in weekly_intervals(
        zone, window.days, window.start, window.end, begin, finish
    ):
        clipped = _clip(open_, close, begin, finish)
        if clipped is not None:
            yield clipped


def rota_spans(rota: ChapterRota, since: datetime, until: datetime) -> Iterator[Span]:
    """Every regular rule's spans overlapping [since, until), before overrides."""
    zone = rota.tz
    for shift in rota.shifts:
        if _overlaps_validity(shift.valid_from, shift.valid_until, since, until):
            yield from shift_spans(shift, zone, since, until)
    for rotation in rota.rotations:
        if _overlaps_validity(rotation.valid_from, rotation.valid_until, since, until):
            yield from rotation_spans(rotation, zone, since, until)


def _overlaps_validity(
    valid_from: datetime | None, valid_until: datetime | None, since: datetime, until: datetime
) -> bool:
    return (valid_from is None or valid_from < until) and (
        valid_until is None or valid_until > since
    )
