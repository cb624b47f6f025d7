"""Swap requests must never leave the offerer's time to someone who cannot be rung."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hotline.roster.changes import (
    RotaChangeError,
    add_unavailability,
    approve_swap,
    offer_swap,
    take_swap,
    volunteer_by_phone,
)
from hotline.roster.history import oncall_at
from hotline.roster.store import chapter_by_slug
from hotline.runtime import Runtime
from tests.conftest import RuntimeFactory
from tests.roster.test_feeds import NOW, setup

ANN, BEN = "+16175550111", "+16175550112"
# Ann is Boston's primary over this instant of the sample rota; Ben is not on call then.
SHIFT_AT = NOW + timedelta(days=3, hours=12)


def primary(runtime: Runtime) -> list[str]:
    with runtime.transaction() as session:
        plan = oncall_at(session, chapter_by_slug(session, "boston-grief").id, SHIFT_AT)
        return [v.phone or "" for w in plan.waves if int(w.tier) == 1 for v in w.volunteers]


def offer_and_take(runtime: Runtime) -> int:
    with runtime.transaction() as session:
        boston = chapter_by_slug(session, "boston-grief")
        ann, ben = volunteer_by_phone(session, ANN), volunteer_by_phone(session, BEN)
        swap = offer_swap(
            session,
            boston,
            ann,
            SHIFT_AT - timedelta(hours=1),
            SHIFT_AT + timedelta(hours=1),
            now=NOW,
        )
        take_swap(session, swap.id, ben, now=NOW)
        return swap.id


def test_approved_swap_puts_the_taker_on_call(make_runtime: RuntimeFactory) -> None:
    runtime = setup(make_runtime)
    assert primary(runtime) == [ANN]
    swap_id = offer_and_take(runtime)
    with runtime.transaction() as session:
        approve_swap(session, swap_id, now=NOW)
    assert primary(runtime) == [BEN]


def test_approval_refused_when_the_taker_became_unavailable(make_runtime: RuntimeFactory) -> None:
    runtime = setup(make_runtime)
    swap_id = offer_and_take(runtime)
    with runtime.transaction() as session:
        ben = volunteer_by_phone(session, BEN)
        add_unavailability(
            session, ben, SHIFT_AT, SHIFT_AT + timedelta(days=1), now=NOW, reason="ill"
        )
    with runtime.transaction() as session, pytest.raises(RotaChangeError, match="unavailable"):
        approve_swap(session, swap_id, now=NOW)
    assert primary(runtime) == [ANN]


def test_approval_refused_when_the_taker_became_inactive(make_runtime: RuntimeFactory) -> None:
    runtime = setup(make_runtime)
    swap_id = offer_and_take(runtime)
    with runtime.transaction() as session:
        volunteer_by_phone(session, BEN).active = False
    with runtime.transaction() as session, pytest.raises(RotaChangeError, match="inactive"):
        approve_swap(session, swap_id, now=NOW)
    assert primary(runtime) == [ANN]


def test_an_unavailable_volunteer_cannot_take_a_swap(make_runtime: RuntimeFactory) -> None:
    runtime = setup(make_runtime)
    with runtime.transaction() as session:
        ben = volunteer_by_phone(session, BEN)
        add_unavailability(session, ben, SHIFT_AT, SHIFT_AT + timedelta(hours=2), now=NOW)
    with pytest.raises(RotaChangeError, match="unavailable"):
        offer_and_take(runtime)


def test_approval_refused_once_the_swaps_time_has_passed(make_runtime: RuntimeFactory) -> None:
    runtime = setup(make_runtime)
    swap_id = offer_and_take(runtime)
    with runtime.transaction() as session, pytest.raises(
            RotaChangeError, match=f"swap {swap_id} was for a time that has passed: decline it"):
        approve_swap(session, swap_id, now=SHIFT_AT + timedelta(hours=2))
