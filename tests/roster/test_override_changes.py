"""Changing an override: a new version (the old one withdrawn at `now`), checked as a new
override is, and refused where a change would rewrite the past or an approved swap."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hotline.roster import models
from hotline.roster.changes import (
    RotaChangeError,
    add_override,
    approve_swap,
    offer_swap,
    take_swap,
    volunteer_by_phone,
)
from hotline.roster.edits import change_override
from hotline.roster.rules import OverrideKind, Tier
from hotline.roster.store import chapter_by_slug
from tests.conftest import RuntimeFactory
from tests.roster.test_feeds import NOW, setup

HOUR = timedelta(hours=1)


def test_a_change_replaces_an_override_and_refuses_what_cannot_be(
    make_runtime: RuntimeFactory,
) -> None:
    runtime = setup(make_runtime)
    with runtime.transaction() as db:
        boston = chapter_by_slug(db, "boston-grief")
        chicago = chapter_by_slug(db, "chicago-recovery")
        ann, ben = volunteer_by_phone(db, "+16175550111"), volunteer_by_phone(db, "+16175550112")
        row = add_override(db, boston, OverrideKind.REPLACE, ann, NOW + HOUR, NOW + 3 * HOUR,
                           now=NOW, replacement=ben)
        with pytest.raises(RotaChangeError, match="nothing was changed"):
            change_override(db, boston, row.id, ann, NOW + HOUR, NOW + 3 * HOUR, now=NOW,
                            replacement=ben)
        with pytest.raises(RotaChangeError, match="no override"):
            change_override(db, chicago, row.id, ann, NOW + HOUR, NOW + 2 * HOUR, now=NOW,
                            replacement=ben)
        with pytest.raises(RotaChangeError, match="takes no tier"):
            change_override(db, boston, row.id, ann, NOW + HOUR, NOW + 2 * HOUR, now=NOW,
                            replacement=ben, tier=Tier.PRIMARY)
        with pytest.raises(RotaChangeError, match="the end has passed"):
            change_override(db, boston, row.id, ann, NOW - 2 * HOUR, NOW - HOUR, now=NOW,
                            replacement=ben)
        before, new = change_override(db, boston, row.id, ann, NOW + HOUR, NOW + 4 * HOUR,
                                      now=NOW, replacement=ben, reason="longer")
        assert before["end"] == NOW + 3 * HOUR and db.get(models.Override, row.id) is None
        assert (new.kind, new.replacement_id, new.end, new.reason) == (
            "replace", ben.id, NOW + 4 * HOUR, "longer")
        with pytest.raises(RotaChangeError, match="already over"):
            change_override(db, boston, new.id, ann, NOW + 5 * HOUR, NOW + 6 * HOUR,
                            now=NOW + 5 * HOUR, replacement=ben)


def test_an_approved_swaps_override_is_not_changed_behind_the_swap(
    make_runtime: RuntimeFactory,
) -> None:
    runtime = setup(make_runtime)
    with runtime.transaction() as db:
        boston = chapter_by_slug(db, "boston-grief")
        ann, ben = volunteer_by_phone(db, "+16175550111"), volunteer_by_phone(db, "+16175550112")
        swap = offer_swap(db, boston, ann, NOW + HOUR, NOW + 2 * HOUR, now=NOW)
        take_swap(db, swap.id, ben, now=NOW)
        approved = approve_swap(db, swap.id, now=NOW)
        assert approved.override_id is not None
        with pytest.raises(RotaChangeError, match="approved swap: withdraw it"):
            change_override(db, boston, approved.override_id, ann, NOW + HOUR, NOW + 3 * HOUR,
                            now=NOW, replacement=ben)


def test_an_override_wholly_in_the_past_is_refused_and_one_that_ends_later_is_not(
    make_runtime: RuntimeFactory,
) -> None:
    runtime = setup(make_runtime)
    with runtime.transaction() as db:
        boston = chapter_by_slug(db, "boston-grief")
        ann = volunteer_by_phone(db, "+16175550111")
        for end in (NOW - HOUR, NOW):
            with pytest.raises(RotaChangeError, match="which has passed"):
                add_override(db, boston, OverrideKind.ADD, ann, NOW - 2 * HOUR, end, now=NOW,
                             tier=Tier.PRIMARY)
        assert db.query(models.Override).count() == 0
        row = add_override(db, boston, OverrideKind.ADD, ann, NOW - HOUR, NOW + HOUR, now=NOW,
                           tier=Tier.PRIMARY)
        assert row.end == NOW + HOUR
