"""The dispatch rule on its own: plain values in, decisions out, properties over many lines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.calls.dispatch import Tried, Volunteer, Waiting, dispatch, ring_order

T0 = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)


def caller(call_id: int, *tiers: tuple[int, ...], at: float = 0.0, **kw: object) -> Waiting:
    values: dict[str, object] = {"tier_index": 0, "tier_since": T0 + timedelta(seconds=at)}
    values.update(kw)
    return Waiting(call_id, T0 + timedelta(seconds=at), tuple(tiers), **values)  # type: ignore[arg-type]


def free(*ids: int, busy: tuple[int, ...] = (), away: tuple[int, ...] = ()
         ) -> dict[int, Volunteer]:
    people = {i: Volunteer(i, free=True) for i in ids}
    people |= {i: Volunteer(i, free=False) for i in busy}
    people |= {i: Volunteer(i, free=False, active=False) for i in away}
    return people


def pairs(decided: object) -> list[tuple[int, int]]:
    return [(o.call_id, o.volunteer_id) for o in decided.offers]  # type: ignore[attr-defined]


def test_a_lone_caller_rings_every_free_phone_of_a_ring_all_tier() -> None:
    decided = dispatch([caller(1, (1, 2, 3), (4,))], free(1, 2, 3, 4), T0)
    assert sorted(pairs(decided)) == [(1, 1), (1, 2), (1, 3)]     # tier 2 waits its turn


def test_a_sequential_chapter_rings_one_phone_least_recently_offered_first() -> None:
    people = free(1, 2, 3)
    people[1] = Volunteer(1, free=True, last_offered=T0 - timedelta(hours=1))
    people[3] = Volunteer(3, free=True, last_offered=T0 - timedelta(hours=2))
    decided = dispatch([caller(1, (1, 2, 3), sequential=True)], people, T0)
    assert pairs(decided) == [(1, 2)]                 # never offered before: first
    assert [v.id for v in ring_order(people.values())] == [2, 3, 1]


def test_ten_callers_and_six_free_phones_ring_six_callers() -> None:
    callers = [caller(n, (1, 2, 3, 4, 5, 6), at=n * 0.2) for n in range(1, 11)]
    decided = dispatch(callers, free(1, 2, 3, 4, 5, 6), T0 + timedelta(seconds=3))
    assert sorted(call for call, _ in pairs(decided)) == [1, 2, 3, 4, 5, 6]


def test_a_volunteer_free_again_takes_the_longest_waiting_caller_they_can() -> None:
    first = caller(1, (1, 2), at=0, ringing=frozenset({2}))
    second = caller(2, (1, 2), at=5)
    decided = dispatch([second, first], free(1, busy=(2,)), T0 + timedelta(seconds=9))
    assert pairs(decided) == [(2, 1)]           # the first caller already has a phone ringing
    decided = dispatch([caller(2, (1, 2), at=5), caller(1, (1, 2), at=0)], free(1, 2), T0)
    assert sorted(pairs(decided)) == [(1, 1), (2, 2)]


def test_one_who_declined_is_offered_the_next_caller_not_the_same_one() -> None:
    declined = Tried(1, "declined", T0)
    first = caller(1, (1,), tried=(declined,))
    decided = dispatch([first, caller(2, (1,), at=1)], free(1), T0 + timedelta(seconds=2))
    assert pairs(decided) == [(2, 1)]
    assert decided.spent == (1,)                # nobody left who could take the first caller


def test_busy_volunteers_keep_a_caller_waiting_until_the_wave_timeout() -> None:
    waiting = caller(1, (1, 2), (3,), wave_timeout=timedelta(seconds=30))
    early = dispatch([waiting], free(3, busy=(1, 2)), T0 + timedelta(seconds=10))
    assert early.offers == () and early.tiers == {} and early.spent == ()
    late = dispatch([waiting], free(3, busy=(1, 2)), T0 + timedelta(seconds=31))
    assert late.tiers == {1: 1} and pairs(late) == [(1, 3)]


def test_a_tier_whose_volunteers_are_all_talking_moves_on_at_once() -> None:
    # A hotline conversation lasts many minutes: waiting the wave timeout for it helps nobody.
    waiting = caller(1, (1, 2), (3,), wave_timeout=timedelta(seconds=30))
    people = free(3) | {v: Volunteer(v, free=False, talking=True) for v in (1, 2)}
    decided = dispatch([waiting], people, T0 + timedelta(seconds=1))
    assert decided.tiers == {1: 1} and pairs(decided) == [(1, 3)]


def test_a_tier_with_nobody_left_moves_on_at_once() -> None:
    rang_out = (Tried(1, "no_answer", T0), Tried(2, "no_answer", T0))
    decided = dispatch([caller(1, (1, 2), (3,), tried=rang_out)], free(1, 2, 3), T0)
    assert decided.tiers == {1: 1} and pairs(decided) == [(1, 3)]    # no repeat yet


def test_rang_out_phones_ring_again_only_when_nothing_else_can_happen() -> None:
    rang_out = (Tried(1, "no_answer", T0),)
    ringing = caller(1, (1, 2), tried=rang_out, ringing=frozenset({2}))
    assert dispatch([ringing], free(1, busy=(2,)), T0).offers == ()
    idle = caller(1, (1, 2), tried=rang_out)
    assert pairs(dispatch([idle], free(1, busy=(2,)), T0)) == [(1, 1)]
    busy_signal = caller(1, (1,), tried=(Tried(1, "busy", T0),))
    assert dispatch([busy_signal], free(1), T0 + timedelta(seconds=5)).offers == ()
    assert pairs(dispatch([busy_signal], free(1), T0 + timedelta(seconds=31))) == [(1, 1)]


def test_nobody_on_the_plan_who_could_take_the_call_is_spent_busy_is_not() -> None:
    no = (Tried(1, "declined", T0), Tried(2, "failed", T0))
    assert dispatch([caller(1, (1, 2), (3,), tried=no)], free(away=(3,)), T0).spent == (1,)
    assert dispatch([caller(1, (1, 2), (3,), tried=no)], free(busy=(3,)),
                    T0 + timedelta(hours=1)).spent == ()


@st.composite
def lines(draw: st.DrawFn) -> tuple[list[Waiting], dict[int, Volunteer], datetime]:
    ids = list(range(1, draw(st.integers(1, 8)) + 1))
    people = {}
    for i in ids:
        state = draw(st.sampled_from(["free", "ringing", "talking", "away"]))
        offered = draw(st.none() | st.integers(0, 3600))
        people[i] = Volunteer(i, free=state == "free", active=state != "away",
                              last_offered=None if offered is None
                              else T0 - timedelta(seconds=offered), talking=state == "talking")
    callers = []
    used_ringing: set[int] = set()
    for n in range(1, draw(st.integers(0, 6)) + 1):
        tiers = tuple(tuple(draw(st.lists(st.sampled_from(ids), max_size=4, unique=True)))
                      for _ in range(draw(st.integers(1, 3))))
        busy = [i for i in ids if not people[i].free and people[i].active
                and i not in used_ringing and any(i in t for t in tiers)]
        ringing = frozenset(draw(st.lists(st.sampled_from(busy), max_size=2, unique=True))
                            if busy else [])
        used_ringing |= ringing
        tried = tuple(Tried(i, draw(st.sampled_from(["no_answer", "busy", "declined",
                                                      "failed"])), T0)
                      for i in draw(st.lists(st.sampled_from(ids), max_size=3, unique=True))
                      if i not in ringing)
        callers.append(Waiting(n, T0 + timedelta(seconds=n), tiers,
                               tier_index=draw(st.integers(0, len(tiers) - 1)),
                               tier_since=T0, ringing=ringing, tried=tried,
                               sequential=draw(st.booleans())))
    return callers, people, T0 + timedelta(seconds=draw(st.integers(0, 120)))


@settings(max_examples=400, deadline=None)
@given(lines())
def test_the_rule_keeps_the_line_s_invariants(
    line: tuple[list[Waiting], dict[int, Volunteer], datetime],
) -> None:
    callers, people, now = line
    decided = dispatch(callers, people, now)
    by_id = {c.call_id: c for c in callers}
    offered = [o.volunteer_id for o in decided.offers]
    assert len(offered) == len(set(offered))            # one live offer per volunteer
    for o in decided.offers:
        person, waiting = people[o.volunteer_id], by_id[o.call_id]
        assert person.free and person.active             # never a busy or away phone
        assert o.call_id not in decided.spent
        reached = decided.tiers.get(o.call_id, waiting.tier_index)
        assert any(o.volunteer_id in tier for tier in waiting.tiers[:reached + 1])
        assert not any(t.volunteer_id == o.volunteer_id and t.ended in ("declined", "failed")
                       for t in waiting.tried)           # never asked twice after a no
    for waiting in callers:                              # never past the wave size
        mine = sum(1 for o in decided.offers if o.call_id == waiting.call_id)
        assert mine == 0 or len(waiting.ringing) + mine <= room(waiting, decided)
        assert decided.tiers.get(waiting.call_id, waiting.tier_index) >= waiting.tier_index
    # Work-conserving: a free volunteer left idle has no caller that may take a fresh offer.
    for person in people.values():
        if not (person.free and person.active) or person.id in offered:
            continue
        for waiting in callers:
            if waiting.call_id in decided.spent:
                continue
            reached = decided.tiers.get(waiting.call_id, waiting.tier_index)
            fresh = all(t.volunteer_id != person.id for t in waiting.tried)
            eligible = any(person.id in tier for tier in waiting.tiers[:reached + 1])
            mine = sum(1 for o in decided.offers if o.call_id == waiting.call_id)
            assert not (fresh and eligible and person.id not in waiting.ringing
                        and len(waiting.ringing) + mine < room(waiting, decided)), (
                person, waiting)


def room(waiting: Waiting, decided: object) -> int:
    """How many phones may ring for the caller at the tier the dispatch left them at."""
    reached = decided.tiers.get(waiting.call_id, waiting.tier_index)  # type: ignore[attr-defined]
    return 1 if waiting.sequential else max(1, len({v for t in waiting.tiers[:reached + 1]
                                                    for v in t}))
