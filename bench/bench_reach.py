"""Reach: how often, and how fast, a caller reaches a person, under other lines' ways of ringing
and under hotline's, on the same week of calls.

    python bench/bench_reach.py                     # 5 seeds, a week each: about 20 s of CPU
    python bench/bench_reach.py --seeds 1 2 3 --hours 48

A week at one chapter (bench/_reach.py): arrivals by hour of day with an evening peak;
volunteers on a weekly rota of two tiers, with answer probabilities, response delays, calls
of their own (busy), phones switched off, and voicemail boxes that pick up. Every strategy
plays the same trace on the stand-in's virtual clock (hotline.standin.clock):

- ring all once: every free volunteer on call rings at once for 30 s, first to pick up gets
  the caller; then the caller holds with nobody ringing, and at 90 s is offered voicemail
  (Llamenos' way). No screen: a voicemail box that picks up first takes the call;
- ring all once, with a screen: the same, but hotline's press-1 screen stops the boxes;
- one at a time, looping: the volunteers on call one after another, 20 s each, round and
  round until someone picks up or the caller hangs up (Yap's way), behind Yap's press-1
  screen (15 s for a key);
- hotline, ring-all and sequential: the caller's plan from the rota, and hotline's own
  dispatch rule (hotline.calls.dispatch.dispatch, called as hotline.calls.line.serve calls
  it) at every event and every hold-music turn; the chapter's defaults (20 s ring, 30 s
  wave timeout, 90 s maximum wait) and the press-1 screen. The chapter has a language menu
  (English, Spanish) and an experience menu, so each caller's ranking of the volunteers on
  their plan (hotline.calls.planning.match_ranks) and the chapter's 30 s match_wait go to
  the dispatch as hotline.calls.line does; `--what-if` adds a row without them.

See bench/README.md for the model and the README's "Performance" for the figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import hashlib
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Protocol

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _reach import WEEK_START, CallerSpec, Kind, Trace, make_trace, ring  # noqa: E402

from hotline.calls.dispatch import Tried, Volunteer, Waiting, dispatch  # noqa: E402
from hotline.calls.planning import match_ranks, plan_from_json, plan_to_json  # noqa: E402
from hotline.roster.matching import primary  # noqa: E402
from hotline.roster.oncall import Wave, on_call  # noqa: E402
from hotline.standin.clock import Scheduler, VirtualClock  # noqa: E402
from hotline.voice.twiml import SCREEN_SECONDS  # noqa: E402

DIAL_DELAY = 0.3            # from the decision to the phone ringing (REST request, carrier)
BOX_SECONDS = 45.0          # a voicemail box that took a call keeps the phone that long
HOTLINE_RING = 20.0         # hotline's chapter defaults (hotline.roster.models.Chapter)
HOTLINE_MAX_WAIT = 90.0
HOTLINE_WAVE_TIMEOUT = 30.0
HOTLINE_MATCH_WAIT = 30.0   # Chapter.match_wait_seconds' default
# The chapter's menus (Chapter.language, .languages, .experiences): the trace's callers and
# volunteers speak primary subtags ("en", "es"), which the product matches on.
HOTLINE_LANGUAGE = "en-US"
HOTLINE_LANGUAGES = ("en-US", "es-US")
HOLD_CYCLE = 10.0           # a hold-music turn: each one runs the dispatch (line.serve)
RING_ALL_SECONDS = 30.0     # Llamenos: ring everyone for 30 s, hold up to 90 s
RING_ALL_HOLD = 90.0
LOOP_RING = 20.0            # Yap: each volunteer in turn for 20 s (its call_timeout default)
LOOP_SCREEN = 15.0          # Yap's press-1 Gather waits 15 s (volunteer_auto_answer off)
LOOP_RETRY = 5.0            # nobody free to ring: look again this often


@dataclass
class Holding:
    """A caller, from arrival to their outcome."""

    spec: CallerSpec
    outcome: str = "waiting"   # person, voicemail, box, abandoned, gap
    legs: dict[int, int] = field(default_factory=dict)     # volunteer id -> scheduler handle
    rung: dict[int, int] = field(default_factory=dict)     # times each volunteer rang
    tried: list[Tried] = field(default_factory=list)
    answered_by: int | None = None
    answered_at: float | None = None
    plan: tuple[tuple[int, ...], ...] = ()
    tier_index: int = 0
    tier_since: float = 0.0
    order: tuple[int, ...] = ()
    next: int = 0
    rank: dict[int, int] = field(default_factory=dict)     # volunteer id -> fit (matching)
    match_until: float | None = None

    @property
    def waiting(self) -> bool:
        return self.outcome == "waiting"


class Strategy(Protocol):
    name: str

    def arrived(self, line: Line, caller: Holding, on_call_ids: tuple[int, ...]) -> None: ...

    def changed(self, line: Line, caller: Holding | None) -> None:
        """A ring ended without a connection, a caller left, or a volunteer came free."""
        ...


@dataclass
class Result:
    strategy: str
    trace: str                            # a digest of the trace played
    callers: int = 0
    gap: int = 0                          # nobody on call when they rang
    person: int = 0
    voicemail: int = 0                    # offered voicemail or a call-back
    box: int = 0                          # a volunteer's own voicemail box took the call
    abandoned: int = 0
    to_person: list[float] = field(default_factory=list)
    rung: int = 0
    language_asked: int = 0               # reached a person, asked for another language
    language_matched: int = 0
    experience_asked: int = 0             # reached a person, asked for a shared experience
    experience_matched: int = 0
    to_person_asked: list[float] = field(default_factory=list)   # asked a language/experience
    to_person_plain: list[float] = field(default_factory=list)   # asked for nothing
    speaker_on_call: int = 0              # asked for another language, and someone on call spoke it
    speaker_matched: int = 0

    @property
    def covered(self) -> int:
        return self.callers - self.gap


class Line:
    """The phones and the callers on the virtual clock; a strategy decides whom to ring."""

    def __init__(self, trace: Trace, strategy: Strategy) -> None:
        self.trace = trace
        self.strategy = strategy
        self.clock = VirtualClock(WEEK_START)
        self.scheduler = Scheduler(self.clock)
        self.status = dict.fromkeys(trace.people, "free")   # free, ringing, talking, box
        self.last_offered: dict[int, float] = {}
        self.callers: dict[int, Holding] = {}
        self.result = Result(strategy.name, digest(trace))

    def now(self) -> float:
        return (self.clock.now() - WEEK_START).total_seconds()

    def at(self, t: float, action: Callable[[], None]) -> int:
        return self.scheduler.at(WEEK_START + timedelta(seconds=t), action)

    def waiting(self) -> list[Holding]:
        return [c for c in self.callers.values() if c.waiting]

    def run(self) -> Result:
        for spec in self.trace.callers:
            self.at(spec.at, functools.partial(self._arrive, spec))
        while self.scheduler.step():
            pass
        return self.result

    def _arrive(self, spec: CallerSpec) -> None:
        caller = Holding(spec, tier_since=spec.at)
        self.callers[spec.id] = caller
        self.result.callers += 1
        ids = self.trace.on_call_ids(spec.at)
        if not ids:
            caller.outcome = "gap"
            self.result.gap += 1
            return
        self.at(spec.at + spec.patience, lambda: self._patience_out(caller))
        self.strategy.arrived(self, caller, ids)

    def _patience_out(self, caller: Holding) -> None:
        if caller.waiting:
            self.leave(caller, "abandoned")

    def dial(self, caller: Holding, volunteer_id: int, timeout: float,
             screen: float | None) -> None:
        """Ring one volunteer's phone for this caller."""
        if self.status[volunteer_id] != "free" or volunteer_id in caller.legs:
            raise AssertionError(f"volunteer {volunteer_id} is not free to ring")
        now = self.now()
        nth = caller.rung.get(volunteer_id, 0) + 1
        caller.rung[volunteer_id] = nth
        self.status[volunteer_id] = "ringing"
        self.last_offered[volunteer_id] = now
        self.result.rung += 1
        ends = ring(self.trace, volunteer_id, caller.spec.id, nth, now + DIAL_DELAY,
                    timeout, screen)
        caller.legs[volunteer_id] = self.at(
            now + DIAL_DELAY + ends.after,
            lambda: self._leg_ended(caller, volunteer_id, ends.kind))

    def _leg_ended(self, caller: Holding, volunteer_id: int, kind: Kind) -> None:
        caller.legs.pop(volunteer_id)
        now = self.now()
        if kind in ("accept", "machine") and caller.waiting:
            caller.answered_by = volunteer_id
            caller.answered_at = now
            if kind == "accept":
                self.status[volunteer_id] = "talking"
                self._leave(caller, "person")
                self.at(now + caller.spec.talk, lambda: self._free(volunteer_id))
            else:
                self.status[volunteer_id] = "box"
                self._leave(caller, "box")
                self.at(now + BOX_SECONDS, lambda: self._free(volunteer_id))
            self.strategy.changed(self, None)
            return
        if kind == "machine":                 # the box picked up for a caller who had gone
            self.status[volunteer_id] = "box"
            self.at(now + BOX_SECONDS, lambda: self._free(volunteer_id))
            return
        self.status[volunteer_id] = "free"
        ended = {"accept": "failed", "decline": "declined", "busy": "busy",
                 "no_answer": "no_answer"}[kind]       # "accept": the caller had gone
        caller.tried.append(Tried(volunteer_id, ended, self.clock.now()))
        self.strategy.changed(self, caller if caller.waiting else None)

    def _free(self, volunteer_id: int) -> None:
        self.status[volunteer_id] = "free"
        self.strategy.changed(self, None)

    def leave(self, caller: Holding, outcome: str) -> None:
        """The caller stops waiting (voicemail offered, hung up): their phones stop ringing."""
        self._leave(caller, outcome)
        self.strategy.changed(self, None)

    def _leave(self, caller: Holding, outcome: str) -> None:
        caller.outcome = outcome
        for volunteer_id, handle in list(caller.legs.items()):
            self.scheduler.cancel(handle)
            self.status[volunteer_id] = "free"
            caller.tried.append(Tried(volunteer_id, "no_answer", self.clock.now()))
        caller.legs.clear()
        self._count(caller)

    def _count(self, caller: Holding) -> None:
        result, spec = self.result, caller.spec
        if caller.outcome == "person" and caller.answered_by is not None:
            result.person += 1
            waited = (caller.answered_at or spec.at) - spec.at
            result.to_person.append(waited)
            asked = spec.language != "en" or spec.experience is not None
            (result.to_person_asked if asked else result.to_person_plain).append(waited)
            person = self.trace.people[caller.answered_by]
            if spec.language != "en":
                result.language_asked += 1
                result.language_matched += spec.language in person.languages
                if any(spec.language in self.trace.people[v].languages
                       for v in self.trace.on_call_ids(spec.at)):
                    result.speaker_on_call += 1
                    result.speaker_matched += spec.language in person.languages
            if spec.experience is not None:
                result.experience_asked += 1
                result.experience_matched += spec.experience in person.experiences
        elif caller.outcome == "voicemail":
            result.voicemail += 1
        elif caller.outcome == "box":
            result.box += 1
        elif caller.outcome == "abandoned":
            result.abandoned += 1


class RingAllOnce:
    """Every free volunteer on call at once for 30 s; then hold, and voicemail at 90 s."""

    def __init__(self, *, screen: bool = False) -> None:
        self.screen = SCREEN_SECONDS if screen else None
        self.name = "ring all once" + (", with a screen" if screen else "")

    def arrived(self, line: Line, caller: Holding, on_call_ids: tuple[int, ...]) -> None:
        for volunteer_id in on_call_ids:
            if line.status[volunteer_id] == "free":
                line.dial(caller, volunteer_id, RING_ALL_SECONDS, self.screen)
        line.at(caller.spec.at + RING_ALL_HOLD,
                lambda: line.leave(caller, "voicemail") if caller.waiting else None)

    def changed(self, line: Line, caller: Holding | None) -> None:
        return                                # nobody is rung again


class OneAtATime:
    """The volunteers on call one after another, round and round, until someone answers."""

    name = "one at a time, looping"

    def arrived(self, line: Line, caller: Holding, on_call_ids: tuple[int, ...]) -> None:
        caller.order = on_call_ids
        self._next(line, caller)

    def changed(self, line: Line, caller: Holding | None) -> None:
        if caller is not None and caller.waiting and not caller.legs:
            self._next(line, caller)

    def _next(self, line: Line, caller: Holding) -> None:
        if not caller.waiting or caller.legs:
            return
        for _ in caller.order:
            volunteer_id = caller.order[caller.next % len(caller.order)]
            caller.next += 1
            if line.status[volunteer_id] == "free":
                line.dial(caller, volunteer_id, LOOP_RING, screen=LOOP_SCREEN)
                return
        line.at(line.now() + LOOP_RETRY, lambda: self._next(line, caller))


def hotline_plan(trace: Trace, caller: CallerSpec) -> tuple[Wave, ...]:
    """The caller's plan as the product makes it: the one place the planner is called.

    hotline.calls.line.plan_call stores hotline.calls.planning.plan_for's waves (the rota at
    the caller's arrival, hotline.roster.oncall.on_call); the dispatch then rings each tier's
    free phones least recently offered first, those who fit what the caller asked first
    (Hotline.arrived ranks them as the product does).
    """
    return on_call(trace.rota, trace.instant(caller.at)).waves


def chosen_language(code: str) -> str:
    """The language a caller who speaks `code` chooses at the chapter's menu, as
    hotline.calls.choosing stores it on the call (the menu's tag; its first if none fits)."""
    return next((tag for tag in HOTLINE_LANGUAGES if primary(tag) == primary(code)),
                HOTLINE_LANGUAGE)


class Hotline:
    """hotline's dispatch rule at every event and every hold-music turn."""

    def __init__(self, *, sequential: bool, one_tier: bool = False,
                 matching: bool = True) -> None:
        self.sequential = sequential
        self.one_tier = one_tier
        self.matching = matching
        self.name = "hotline, " + ("sequential" if sequential else "ring-all")
        self.name += ", tiers as one" if one_tier else ""
        self.name += "" if matching else ", no matching"
        self._queued = False

    def arrived(self, line: Line, caller: Holding, on_call_ids: tuple[int, ...]) -> None:
        # As hotline.calls.line.plan_call stores it (with each volunteer's languages and
        # experiences: the chapter has menus) and line._waiting/_matching read it back. The
        # caller joins the line as they choose: chosen_at is their arrival here (the menus'
        # own seconds before the line are not modelled, for any strategy).
        waves = hotline_plan(line.trace, caller.spec)
        people = line.trace.people
        traits = {v.id: (sorted(people[v.id].languages), sorted(people[v.id].experiences))
                  for wave in waves for v in wave.volunteers}
        stored = plan_to_json(waves, traits)
        caller.plan = tuple(tuple(v.id for v in wave.volunteers)
                            for wave in plan_from_json(stored))
        if self.matching:
            caller.rank = match_ranks(stored, chosen_language(caller.spec.language),
                                      caller.spec.experience, HOTLINE_LANGUAGE)
            caller.match_until = caller.spec.at + HOTLINE_MATCH_WAIT
        if self.one_tier:                     # what-if: everyone on call in the first wave
            caller.plan = (tuple(v for tier in caller.plan for v in tier),)
        self._hold_turn(line, caller)

    def _hold_turn(self, line: Line, caller: Holding) -> None:
        """A hold-music request: voicemail at the maximum wait, else the dispatch."""
        if not caller.waiting:
            return
        if line.now() - caller.spec.at >= HOTLINE_MAX_WAIT:
            line.leave(caller, "voicemail")
            return
        self.serve(line)
        line.at(line.now() + HOLD_CYCLE, lambda: self._hold_turn(line, caller))

    def changed(self, line: Line, caller: Holding | None) -> None:
        if not self._queued:                  # one dispatch per instant, after the event
            self._queued = True
            line.at(line.now(), lambda: self.serve(line))

    def serve(self, line: Line) -> None:
        """What hotline.calls.line.serve does, with the line's state in place of the rows."""
        self._queued = False
        callers = line.waiting()
        if not callers:
            return
        now = line.clock.now()
        waiting = [Waiting(
            call_id=c.spec.id, arrived_at=line.trace.instant(c.spec.at), tiers=c.plan,
            tier_index=c.tier_index, tier_since=line.trace.instant(c.tier_since),
            ringing=frozenset(c.legs), tried=tuple(c.tried), sequential=self.sequential,
            wave_timeout=timedelta(seconds=HOTLINE_WAVE_TIMEOUT), rank=c.rank,
            match_until=(line.trace.instant(c.match_until)
                         if c.match_until is not None else None)) for c in callers]
        ids = {v for w in waiting for tier in w.tiers for v in tier}
        people = {vid: Volunteer(
            vid, free=line.status[vid] == "free",
            last_offered=(line.trace.instant(line.last_offered[vid])
                          if vid in line.last_offered else None),
            talking=line.status[vid] == "talking") for vid in ids}
        decided = dispatch(waiting, people, now)
        by_id = {c.spec.id: c for c in callers}
        for call_id, tier_index in decided.tiers.items():
            by_id[call_id].tier_index = tier_index
            by_id[call_id].tier_since = line.now()
        for call_id in decided.spent:
            line.leave(by_id[call_id], "voicemail")
        for offer in decided.offers:
            line.dial(by_id[offer.call_id], offer.volunteer_id, HOTLINE_RING,
                      screen=SCREEN_SECONDS)


def strategies(what_if: bool = False) -> list[Callable[[], Strategy]]:
    """The strategies compared; with `what_if`, rows that take one thing away to show its cost."""
    made: list[Callable[[], Strategy]] = [
        RingAllOnce, lambda: RingAllOnce(screen=True), OneAtATime,
        lambda: Hotline(sequential=False), lambda: Hotline(sequential=True)]
    if what_if:
        made.append(lambda: Hotline(sequential=False, one_tier=True))
        made.append(lambda: Hotline(sequential=False, matching=False))
    return made


def digest(trace: Trace) -> str:
    """A fingerprint of what was played (callers, rota, phones), the same in every process."""
    text = repr(_canonical((trace.seed, trace.callers, trace.people, trace.rota.shifts)))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _canonical(value: object) -> object:
    """`value` with sets sorted (their order follows the process's string hashing)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return tuple(_canonical(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, set | frozenset):
        return tuple(sorted(repr(v) for v in value))
    if isinstance(value, dict):
        return tuple(sorted((repr(k), _canonical(v)) for k, v in value.items()))
    if isinstance(value, tuple | list):
        return tuple(_canonical(v) for v in value)
    return value


def play(trace: Trace, what_if: bool = False) -> list[Result]:
    """Every strategy on the same trace."""
    return [Line(trace, make()).run() for make in strategies(what_if)]


# The report ---------------------------------------------------------------------------------

def _pct(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 0.0


def _quantile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _within(result: Result, seconds: float) -> float:
    """Share of the callers (while anyone is on call) who reached a person this soon."""
    return _pct(sum(t <= seconds for t in result.to_person), result.covered)


FIGURES: list[tuple[str, Callable[[Result], float], str]] = [
    ("reach a person (%)", lambda r: _pct(r.person, r.covered), "{:.0f}%"),
    ("time to a person, median (s)", lambda r: _quantile(r.to_person, 0.5), "{:.0f}"),
    ("time to a person, p90 (s)", lambda r: _quantile(r.to_person, 0.9), "{:.0f}"),
    ("a person within 30 s (%)", lambda r: _within(r, 30.0), "{:.0f}%"),
    ("a person within 60 s (%)", lambda r: _within(r, 60.0), "{:.0f}%"),
    ("offered voicemail or call-back (%)", lambda r: _pct(r.voicemail, r.covered), "{:.0f}%"),
    ("taken by a volunteer's voicemail box (%)", lambda r: _pct(r.box, r.covered), "{:.0f}%"),
    ("hung up while waiting (%)", lambda r: _pct(r.abandoned, r.covered), "{:.0f}%"),
    ("phones rung per answered call", lambda r: r.rung / r.person if r.person else 0.0,
     "{:.1f}"),
    ("language matched (%)", lambda r: _pct(r.language_matched, r.language_asked), "{:.0f}%"),
    ("experience matched (%)",
     lambda r: _pct(r.experience_matched, r.experience_asked), "{:.0f}%"),
    ("language matched, a speaker on call (%)",
     lambda r: _pct(r.speaker_matched, r.speaker_on_call), "{:.0f}%"),
    ("time to a person, p90, who asked (s)",
     lambda r: _quantile(r.to_person_asked, 0.9), "{:.0f}"),
    ("time to a person, p90, who asked nothing (s)",
     lambda r: _quantile(r.to_person_plain, 0.9), "{:.0f}"),
]


def summary(values: Sequence[float], fmt: str) -> str:
    """Median [lowest-highest]."""
    med = statistics.median(values)
    if min(values) == max(values):
        return fmt.format(med)
    return f"{fmt.format(med)} [{fmt.format(min(values))}-{fmt.format(max(values))}]"


def table(runs: Sequence[Sequence[Result]]) -> str:
    """A Markdown table: a column per strategy, a row per figure, each figure's median
    [lowest-highest] over the seeds."""
    names = [r.strategy for r in runs[0]]
    lines = ["| figure | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for label, figure, fmt in FIGURES:
        cells = [summary([figure(run[i]) for run in runs], fmt) for i in range(len(names))]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--hours", type=float, default=7 * 24.0, help="length of the trace")
    parser.add_argument("--volunteers", type=int, default=16)
    parser.add_argument("--scale", type=float, default=1.0, help="arrival rate multiplier")
    parser.add_argument("--what-if", action="store_true",
                        help="add hotline ringing both tiers in one wave, and without matching")
    args = parser.parse_args(argv)
    began = time.monotonic()
    runs = []
    for seed in args.seeds:
        trace = make_trace(seed, volunteers=args.volunteers, scale=args.scale,
                           hours=args.hours)
        runs.append(play(trace, args.what_if))
    first = runs[0][0]
    callers = [run[0].callers for run in runs]
    gaps = [run[0].gap for run in runs]
    print(f"{len(args.seeds)} seeds {args.seeds}, {args.hours:g} h each, "
          f"{args.volunteers} volunteers; callers per trace {summary(callers, '{:.0f}')}, "
          f"of whom nobody on call {summary(gaps, '{:.0f}')} (left out of the shares); "
          f"median [lowest-highest] over the seeds")
    print()
    print(table(runs))
    print()
    print(f"same trace for every strategy: "
          f"{all(len({r.trace for r in run}) == 1 for run in runs)} (seed {args.seeds[0]}: "
          f"{first.trace}); {time.monotonic() - began:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
