"""The reach bench's inputs: a week at one chapter drawn from a seed, and how a phone answers.

Everything a strategy could change is kept out of the trace: who calls when, what they ask
for, how long they hold and talk; who is on the rota; when each volunteer's phone is busy
or switched off. How a phone treats one ring is a pure function of (seed, volunteer,
caller, how many times this volunteer has rung for this caller, the instant), so every
strategy meets the same people behaving the same way, whatever order it rings them in.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Literal

from hotline.roster.oncall import on_call
from hotline.roster.rules import ChapterRota, Tier, VolunteerRef, Weekday, WeeklyShift

#: A Monday in January (no DST change within the week); the chapter keeps UTC wall time.
WEEK_START = datetime(2025, 1, 6, 0, 0, tzinfo=UTC)
WEEK = 7 * 24 * 3600.0
LANGUAGES = ("en", "es")                 # the chapter's menu: the first is its own
EXPERIENCES = ("loss-of-child", "suicide-loss", "overdose-loss")

# Calls an hour by hour of the day: quiet nights, a working-day plateau, an evening peak.
ARRIVALS_PER_HOUR = (0.6, 0.4, 0.3, 0.3, 0.3, 0.4, 0.6, 1.0, 1.4, 1.6, 1.6, 1.6,
                     1.6, 1.6, 1.8, 2.0, 2.4, 3.0, 3.6, 4.2, 4.5, 4.0, 2.8, 1.4)
# Four-hour blocks from midnight: volunteers on call at tier 1 and tier 2 in each.
PRIMARY_PER_BLOCK = (1, 1, 2, 2, 3, 3)
BACKUP_PER_BLOCK = (0, 0, 1, 1, 1, 2)
GAP_BLOCK = 1                            # 04:00-08:00: nobody on call on two nights a week

# A press-1 screen: the prompt naming the line, then a wait for a key (hotline's is
# hotline.voice.twiml.SCREEN_SECONDS); a person presses 1 after SCREEN_THINK, a voicemail box
# presses nothing.
SCREEN_PROMPT = 4.0
SCREEN_THINK = 1.5


@dataclass(frozen=True)
class Person:
    """A volunteer and their phone."""

    id: int
    languages: frozenset[str]
    experiences: frozenset[str]
    answer_p: float                      # picks up when free and near the phone
    delay: float                         # median seconds to pick up
    decline_p: float                     # picks up and says no
    box_after: float | None              # their voicemail box picks up after this many s
    busy: tuple[tuple[float, float], ...]    # on a call of their own: the line is busy
    away: tuple[tuple[float, float], ...]    # phone off: the box at once, or no answer


@dataclass(frozen=True)
class CallerSpec:
    id: int
    at: float                            # seconds after WEEK_START
    language: str
    experience: str | None
    patience: float                      # hangs up after holding this long, unless bridged
    talk: float                          # seconds the conversation lasts


@dataclass(frozen=True)
class Trace:
    seed: int
    rota: ChapterRota
    people: dict[int, Person]
    callers: tuple[CallerSpec, ...]

    def instant(self, t: float) -> datetime:
        return WEEK_START + timedelta(seconds=t)

    def on_call_ids(self, t: float) -> tuple[int, ...]:
        """Everyone on the rota at `t`, tier 1 first, ids ascending within a tier."""
        return tuple(v.id for wave in on_call(self.rota, self.instant(t)).waves
                     for v in wave.volunteers)


Kind = Literal["accept", "decline", "machine", "busy", "no_answer"]


@dataclass(frozen=True)
class Ring:
    """How one ring ends, seconds after the phone starts ringing."""

    kind: Kind
    after: float


def _within(spans: tuple[tuple[float, float], ...], t: float) -> bool:
    return any(start <= t < end for start, end in spans)


def ring(trace: Trace, volunteer_id: int, caller_id: int, nth: int, t: float,
         timeout: float, screen: float | None) -> Ring:
    """The phone of `volunteer_id` rung at `t` for the `nth` time for `caller_id`, for up to
    `timeout` s; `screen`: how long a press-1 screen waits for a key (None: no screen)."""
    person = trace.people[volunteer_id]
    if _within(person.busy, t):
        return Ring("busy", 1.0)
    box = person.box_after
    if _within(person.away, t):
        box = 1.0 if box is not None else None
        human: float | None = None
        declines = False
    else:
        rng = random.Random(f"{trace.seed}:{volunteer_id}:{caller_id}:{nth}")
        picks_up = rng.random() < person.answer_p
        declines = rng.random() < person.decline_p
        delay = person.delay * math.exp(rng.gauss(0.0, 0.5))
        human = delay if picks_up else None
    if human is not None and human < timeout and (box is None or human < box):
        pressed = human + (SCREEN_PROMPT + SCREEN_THINK if screen is not None else 0.0)
        return Ring("decline" if declines else "accept", pressed)
    if box is not None and box < timeout:
        if screen is None:
            return Ring("machine", box)
        # Behind a screen the box hears the prompt, presses nothing, and the leg ends.
        return Ring("no_answer", box + SCREEN_PROMPT + screen)
    return Ring("no_answer", timeout)


def _spans(rng: random.Random, per_day: float, shortest: float, longest: float
           ) -> tuple[tuple[float, float], ...]:
    spans = []
    for day in range(7):
        for _ in range(_poisson(rng, per_day)):
            start = day * 86400.0 + rng.uniform(0, 86400.0)
            spans.append((start, start + rng.uniform(shortest, longest)))
    return tuple(sorted(spans))


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _people(rng: random.Random, count: int) -> dict[int, Person]:
    people = {}
    for vid in range(1, count + 1):
        speaks = {"en"} | ({"es"} if rng.random() < 0.3 else set())
        lived = frozenset(e for e in EXPERIENCES if rng.random() < 0.3)
        people[vid] = Person(
            id=vid, languages=frozenset(speaks), experiences=lived,
            answer_p=rng.uniform(0.5, 0.9), delay=rng.uniform(4.0, 12.0), decline_p=0.05,
            box_after=rng.uniform(18.0, 28.0) if rng.random() < 0.75 else None,
            busy=_spans(rng, 2.0, 120.0, 900.0), away=_spans(rng, 1.0, 900.0, 5400.0),
        )
    return people


def _rota(rng: random.Random, people: dict[int, Person]) -> ChapterRota:
    ids = sorted(people)
    gaps = set(rng.sample(range(7), 2))
    shifts = []
    for day, weekday in enumerate(Weekday):
        for block in range(6):
            primary = PRIMARY_PER_BLOCK[block]
            if block == GAP_BLOCK and day in gaps:
                continue
            chosen = rng.sample(ids, primary + BACKUP_PER_BLOCK[block])
            for n, vid in enumerate(chosen):
                shifts.append(WeeklyShift(
                    volunteer_id=vid, days=frozenset({weekday}), start=time(block * 4),
                    end=time((block * 4 + 4) % 24),
                    tier=Tier.PRIMARY if n < primary else Tier.BACKUP))
    volunteers = tuple(VolunteerRef(vid, f"Volunteer {vid}", f"+1617555{1000 + vid:04d}")
                       for vid in ids)
    return ChapterRota(slug="reach", name="Reach Line", zone="UTC", volunteers=volunteers,
                       shifts=tuple(shifts))


def _callers(rng: random.Random, scale: float, hours: float) -> tuple[CallerSpec, ...]:
    """Arrivals by hour of day (a Poisson process whose rate follows ARRIVALS_PER_HOUR)."""
    peak = max(ARRIVALS_PER_HOUR) * scale
    callers: list[CallerSpec] = []
    t = 0.0
    while True:
        t += rng.expovariate(peak / 3600.0)
        if t >= hours * 3600.0:
            break
        if rng.random() * peak >= ARRIVALS_PER_HOUR[int(t // 3600) % 24] * scale:
            continue                     # thinning: keep the hour's share of the peak rate
        callers.append(CallerSpec(
            id=len(callers) + 1, at=t,
            language="es" if rng.random() < 0.2 else "en",
            experience=rng.choice(EXPERIENCES) if rng.random() < 0.4 else None,
            patience=min(900.0, max(20.0, 150.0 * math.exp(rng.gauss(0.0, 0.7)))),
            talk=min(3600.0, max(180.0, 840.0 * math.exp(rng.gauss(0.0, 0.6)))),
        ))
    return tuple(callers)


def make_trace(seed: int, *, volunteers: int = 16, scale: float = 1.0,
               hours: float = WEEK / 3600.0) -> Trace:
    """A week (or `hours`) of calls at one chapter, drawn from `seed`."""
    rng = random.Random(seed)
    people = _people(rng, volunteers)
    rota = _rota(rng, people)
    return Trace(seed, rota, people, _callers(rng, scale, hours))
