"""The reach bench (bench/bench_reach.py) on a day's trace: it plays the same calls under every
strategy, its counts add up, a seed gives the same figures every time, and hotline's strategy
is hotline's own dispatch. Keeps the bench from rotting; the figures are the README's."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import time
from pathlib import Path
from typing import Any

import pytest

import hotline.calls.dispatch
from hotline.calls.dispatch import Dispatch, Offer
from hotline.roster.rules import ChapterRota, Tier, VolunteerRef, Weekday, WeeklyShift

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import bench_reach  # noqa: E402
from _reach import CallerSpec, Person, Trace, make_trace  # noqa: E402

HOURS = 24.0


@pytest.fixture(scope="module")
def results() -> list[bench_reach.Result]:
    return bench_reach.play(make_trace(7, hours=HOURS))


def test_every_strategy_plays_the_same_trace(results: list[bench_reach.Result]) -> None:
    trace = make_trace(7, hours=HOURS)
    assert len(results) == len(bench_reach.strategies()) == 5
    assert {r.trace for r in results} == {bench_reach.digest(trace)}
    assert {r.callers for r in results} == {len(trace.callers)}
    assert len({r.gap for r in results}) == 1
    assert len(trace.callers) > 20
    assert bench_reach.digest(make_trace(8, hours=HOURS)) != bench_reach.digest(trace)


def test_the_counts_add_up(results: list[bench_reach.Result]) -> None:
    for r in results:
        assert r.person + r.voicemail + r.box + r.abandoned == r.covered, r.strategy
        assert len(r.to_person) == r.person
        assert all(t > 0 for t in r.to_person)
        assert r.rung >= r.person > 0
        assert r.language_matched <= r.language_asked <= r.person
        assert r.experience_matched <= r.experience_asked <= r.person
        assert r.speaker_matched <= r.speaker_on_call <= r.language_asked
        assert r.speaker_matched <= r.language_matched
        assert len(r.to_person_asked) + len(r.to_person_plain) == r.person


def test_a_screen_keeps_voicemail_boxes_from_taking_calls(
    results: list[bench_reach.Result],
) -> None:
    by_name = {r.strategy: r for r in results}
    assert by_name["ring all once"].box > 0
    for name in ("ring all once, with a screen", "one at a time, looping", "hotline, ring-all",
                 "hotline, sequential"):
        assert by_name[name].box == 0
    assert by_name["one at a time, looping"].voicemail == 0      # it never gives up


def test_a_seed_gives_the_same_figures(results: list[bench_reach.Result]) -> None:
    assert bench_reach.play(make_trace(7, hours=HOURS)) == results


def test_a_seed_gives_the_same_table_in_another_process(
    results: list[bench_reach.Result],
) -> None:
    """Nothing depends on the order of a set (strings hash differently in each process)."""
    script = Path(bench_reach.__file__)
    run = subprocess.run(
        [sys.executable, str(script), "--seeds", "7", "--hours", str(HOURS)],
        capture_output=True, text=True, check=True, timeout=120,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    )
    printed = [line for line in run.stdout.splitlines() if line.startswith("|")]
    assert printed == bench_reach.table([results]).splitlines()
    assert f"(seed 7: {results[0].trace})" in run.stdout


def test_hotline_rings_by_hotlines_dispatch(monkeypatch: pytest.MonkeyPatch) -> None:
    real = bench_reach.dispatch
    assert real is hotline.calls.dispatch.dispatch
    decided: list[Offer] = []

    def counted(*args: Any) -> Dispatch:
        made = real(*args)
        decided.extend(made.offers)
        return made

    monkeypatch.setattr(bench_reach, "dispatch", counted)
    trace = make_trace(7, hours=HOURS)
    played = bench_reach.Line(trace, bench_reach.Hotline(sequential=False)).run()
    assert len(decided) == played.rung > 0


def test_the_table_has_a_column_per_strategy(results: list[bench_reach.Result]) -> None:
    rows = bench_reach.table([results, results]).splitlines()
    assert len(rows) == 2 + len(bench_reach.FIGURES)
    assert rows[0].startswith("| figure | ring all once | ")
    assert rows[0].endswith(" | hotline, sequential |")
    reach = rows[2].split(" | ")
    assert reach[0] == "| reach a person (%)"
    assert reach[4] == f"{100 * results[3].person / results[3].covered:.0f}%"


def test_hotlines_plan_comes_from_one_planner_function(monkeypatch: pytest.MonkeyPatch) -> None:
    """The place a planner that orders a tier for the caller plugs in: called once a caller."""
    real = bench_reach.hotline_plan
    asked: list[int] = []

    def planned(trace: Any, caller: Any) -> Any:
        asked.append(caller.id)
        return real(trace, caller)

    monkeypatch.setattr(bench_reach, "hotline_plan", planned)
    trace = make_trace(7, hours=HOURS)
    played = bench_reach.Line(trace, bench_reach.Hotline(sequential=True)).run()
    assert len(asked) == len(set(asked)) == played.covered > 0


def _one_caller_two_volunteers() -> Trace:
    """A caller who asks for Spanish; on tier 1 a quick English speaker (1) and a slower
    Spanish speaker (2), both picking up every time, no box, never busy or away."""
    def person(vid: int, languages: set[str], delay: float) -> Person:
        return Person(id=vid, languages=frozenset(languages), experiences=frozenset(),
                      answer_p=1.0, delay=delay, decline_p=0.0, box_after=None, busy=(),
                      away=())

    shifts = tuple(WeeklyShift(volunteer_id=vid, days=frozenset({Weekday.MON}), start=time(0),
                               end=time(4), tier=Tier.PRIMARY) for vid in (1, 2))
    rota = ChapterRota(slug="reach", name="Reach Line", zone="UTC", shifts=shifts,
                       volunteers=tuple(VolunteerRef(vid, f"Volunteer {vid}",
                                                     f"+1617555{1000 + vid:04d}")
                                        for vid in (1, 2)))
    caller = CallerSpec(id=1, at=600.0, language="es", experience=None, patience=600.0,
                        talk=600.0)
    return Trace(3, rota, {1: person(1, {"en"}, 1.0), 2: person(2, {"en", "es"}, 12.0)},
                 (caller,))


def test_hotline_holds_the_caller_for_the_volunteer_who_speaks_their_language() -> None:
    """With matching (the caller's ranks through hotline.calls.planning.match_ranks and the
    chapter's match_wait, as hotline.calls.line passes them) only the Spanish speaker rings
    at first and takes the caller; ringing everyone, or hotline without the ranks, lets the
    quicker English speaker take them. (On the bench's random traces matching need not beat
    ringing everyone once on every seed: whoever is on call, and picks up, decides.)"""
    trace = _one_caller_two_volunteers()
    played = {}
    for strategy in (bench_reach.RingAllOnce(screen=True), bench_reach.Hotline(sequential=False),
                     bench_reach.Hotline(sequential=False, matching=False)):
        line = bench_reach.Line(trace, strategy)
        result = line.run()
        assert result.person == result.language_asked == 1, strategy.name
        played[strategy.name] = (line.callers[1].answered_by, result.language_matched,
                                 result.rung)
    assert played["ring all once, with a screen"] == (1, 0, 2)
    assert played["hotline, ring-all, no matching"] == (1, 0, 2)
    assert played["hotline, ring-all"] == (2, 1, 1)
