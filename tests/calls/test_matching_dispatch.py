"""The dispatch rule with matching: the best fit rings first within a tier, for match_wait."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.calls.dispatch import Tried, Volunteer, Waiting, dispatch, held_for_match
from tests.calls.test_dispatch import T0, caller, free, lines, pairs

WAIT = T0 + timedelta(seconds=30)


def test_a_matching_volunteer_rings_first_and_the_others_wait() -> None:
    waiting = caller(1, (1, 2, 3), rank={2: 2}, match_until=WAIT)
    assert pairs(dispatch([waiting], free(1, 2, 3), T0)) == [(1, 2)]
    assert held_for_match(waiting, 1, free(1, 2, 3), T0)
    assert not held_for_match(waiting, 2, free(1, 2, 3), T0)


def test_without_a_request_everyone_in_the_tier_rings() -> None:
    assert sorted(pairs(dispatch([caller(1, (1, 2, 3))], free(1, 2, 3), T0))) == [
        (1, 1), (1, 2), (1, 3)]


def test_the_others_ring_once_the_match_declined() -> None:
    waiting = caller(1, (1, 2, 3), rank={2: 2}, match_until=WAIT,
                     tried=(Tried(2, "declined", T0),))
    assert sorted(pairs(dispatch([waiting], free(1, 2, 3), T0 + timedelta(seconds=5)))) == [
        (1, 1), (1, 3)]


def test_a_match_talking_with_someone_else_is_waited_for_up_to_match_wait() -> None:
    waiting = caller(1, (1, 2), rank={2: 1}, match_until=WAIT)
    people = free(1, busy=(2,))
    people[2] = Volunteer(2, free=False, talking=True)
    assert pairs(dispatch([waiting], people, T0 + timedelta(seconds=29))) == []
    assert pairs(dispatch([waiting], people, WAIT)) == [(1, 1)]       # then anyone


def test_language_and_experience_outrank_experience_alone_and_away_ones_hold_nobody() -> None:
    waiting = caller(1, (1, 2, 3), rank={1: 1, 2: 3}, match_until=WAIT, sequential=True)
    assert pairs(dispatch([waiting], free(1, 2, 3), T0)) == [(1, 2)]
    assert pairs(dispatch([waiting], free(1, 3, away=(2,)), T0)) == [(1, 1)]


def test_matching_stays_within_the_tier_reached() -> None:
    # The only match is in tier 2: tier 1 rings at once, nobody waits for tier 2.
    waiting = caller(1, (1,), (2,), rank={2: 2}, match_until=WAIT)
    assert pairs(dispatch([waiting], free(1, 2), T0)) == [(1, 1)]


def test_a_caller_still_choosing_is_offered_to_nobody_and_not_spent() -> None:
    decided = dispatch([caller(1, (1, 2), choosing=True)], free(1, 2), T0)
    assert pairs(decided) == [] and decided.spent == () and not decided.tiers


@st.composite
def matched_lines(draw: st.DrawFn) -> tuple[list[Waiting], dict[int, Volunteer], datetime]:
    callers, people, now = draw(lines())
    ids = sorted(people)
    out = []
    for waiting in callers:
        rank = {i: draw(st.integers(0, 3)) for i in ids}
        until = T0 + timedelta(seconds=draw(st.integers(0, 120)))
        out.append(replace(waiting, rank=rank, match_until=until))
    return out, people, now


@settings(max_examples=300, deadline=None)
@given(matched_lines())
def test_no_lesser_fit_rings_while_a_better_one_is_free_and_untried(
    line: tuple[list[Waiting], dict[int, Volunteer], datetime],
) -> None:
    callers, people, now = line
    decided = dispatch(callers, people, now)
    by_id = {c.call_id: c for c in callers}
    offered = [o.volunteer_id for o in decided.offers]
    assert len(offered) == len(set(offered))               # one live offer per volunteer
    for o in decided.offers:
        assert people[o.volunteer_id].free and people[o.volunteer_id].active
        waiting = by_id[o.call_id]
        if waiting.match_until is None or now >= waiting.match_until:
            continue
        mine = waiting.rank.get(o.volunteer_id, 0)
        reached = decided.tiers.get(o.call_id, waiting.tier_index)
        better = {v for tier in waiting.tiers[:reached + 1] for v in tier
                  if waiting.rank.get(v, 0) > mine and people[v].active
                  and all(t.volunteer_id != v for t in waiting.tried)}
        assert not better, (o, better)          # the better fits were tried first
