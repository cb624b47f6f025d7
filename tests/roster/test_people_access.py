"""A volunteer is changed only by someone who coordinates every chapter they are in; a phone
already registered elsewhere does not hand its volunteer to another chapter's coordinators."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from hotline.roster import models
from hotline.roster.changes import volunteer_by_phone
from hotline.roster.people import (
    NotInCharge,
    add_volunteer,
    in_charge,
    update_volunteer,
    volunteer_chapters,
)
from hotline.roster.store import chapter_by_slug
from tests.conftest import RuntimeFactory
from tests.roster.test_feeds import setup

NOW = datetime(2026, 2, 22, 12, 0, tzinfo=UTC)
ANN, DEV, ERIN = "+16175550111", "+16175550114", "+13125550111"   # Boston, both, Chicago


def test_a_volunteer_is_changed_only_by_who_coordinates_all_their_chapters(
    make_runtime: RuntimeFactory,
) -> None:
    runtime = setup(make_runtime)
    with runtime.transaction() as db:
        boston, chicago = (chapter_by_slug(db, s).id for s in ("boston-grief", "chicago-recovery"))
        ann, dev = volunteer_by_phone(db, ANN), volunteer_by_phone(db, DEV)
        assert volunteer_chapters(db, [ann.id, dev.id]) == {ann.id: {boston},
                                                            dev.id: {boston, chicago}}
        assert in_charge(db, [ann.id, dev.id], {boston}) == {ann.id}
        assert in_charge(db, [ann.id, dev.id], {boston, chicago}) == {ann.id, dev.id}
        assert in_charge(db, [ann.id, dev.id], None) == {ann.id, dev.id}
        with pytest.raises(NotInCharge, match="Dev Patel also volunteers for a chapter"):
            update_volunteer(db, dev, now=NOW, coordinated={boston}, active=False)
        with pytest.raises(NotInCharge):
            update_volunteer(db, dev, now=NOW, coordinated={chicago}, languages=["fr"])
        update_volunteer(db, ann, now=NOW, coordinated={boston}, languages=["fr"])
        update_volunteer(db, dev, now=NOW, coordinated={boston, chicago}, active=False)
        update_volunteer(db, dev, now=NOW, coordinated=None, active=True)
    with runtime.sessions() as db:
        assert volunteer_by_phone(db, ANN).languages == ["fr"]
        assert volunteer_by_phone(db, DEV).active is True


def test_a_phone_registered_in_another_chapter_is_refused_without_naming_its_volunteer(
    make_runtime: RuntimeFactory,
) -> None:
    runtime = setup(make_runtime)
    with runtime.transaction() as db:
        boston = chapter_by_slug(db, "boston-grief")
        chicago = chapter_by_slug(db, "chicago-recovery")
        with pytest.raises(NotInCharge) as refused:
            add_volunteer(db, boston, "Someone", ERIN, coordinated={boston.id})
        assert "ask an admin" in str(refused.value) and "Erin" not in str(refused.value)
        assert "Chicago" not in str(refused.value)
        # A coordinator of both chapters, or an admin, may bring her over.
        row, created = add_volunteer(db, boston, "ignored", ERIN,
                                     coordinated={boston.id, chicago.id})
        assert (row.name, created) == ("Erin Walsh", False)
        members = db.scalars(select(models.ChapterMember.chapter_id).where(
            models.ChapterMember.volunteer_id == row.id)).all()
        assert boston.id in members
        # Now in Boston and Chicago: Boston's coordinator alone may not change her.
        with pytest.raises(NotInCharge):
            update_volunteer(db, row, now=NOW, coordinated={boston.id}, active=False)
        new, created = add_volunteer(db, boston, "Zoe New", "+16175550199",
                                     coordinated={boston.id})
        assert created and new.id in in_charge(db, [new.id], {boston.id})
