"""load_rota: the chapter's rota for one instant, read from the database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from hotline.roster import models
from hotline.roster.oncall import on_call
from hotline.roster.rules import OverrideKind, Tier
from hotline.roster.store import UnknownChapter, load_rota, load_rota_between
from hotline.runtime import Runtime
from tests.roster import dbrota

# Tuesday 10 March 2026, 19:30 in Boston (EDT since the 8th).
TUESDAY_EVENING = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)


def names(session: Session, chapter_id: int, at: datetime) -> list[tuple[int, list[str]]]:
    plan = on_call(load_rota(session, chapter_id, at), at)
    return [(int(wave.tier), [v.name for v in wave.volunteers]) for wave in plan.waves]


def test_shifts_and_volunteers_come_back_as_the_pure_rota(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        boston = dbrota.chapter(session, "boston")
        ann = dbrota.volunteer(session, "Ann", "+16175550111")
        bob = dbrota.volunteer(session, "Bob", "+16175550112")
        dbrota.shift(session, boston, ann, "mon,tue", "18:00", "22:00")
        dbrota.shift(session, boston, bob, "tue", "12:00", "02:00", tier=2)
        rota = load_rota(session, boston.id, TUESDAY_EVENING)
        assert rota.slug == "boston" and rota.zone == "America/New_York"
        assert {v.name for v in rota.volunteers} == {"Ann", "Bob"}
        assert names(session, boston.id, TUESDAY_EVENING) == [(1, ["Ann"]), (2, ["Bob"])]
        # 01:30 Wednesday local: Bob's overnight part only.
        assert names(session, boston.id, TUESDAY_EVENING + timedelta(hours=6)) == [(2, ["Bob"])]


def test_only_versions_valid_around_the_instant_are_loaded(runtime: Runtime) -> None:
    edit = datetime(2026, 3, 1, tzinfo=UTC)
    with runtime.transaction() as session:
        boston = dbrota.chapter(session, "boston")
        ann = dbrota.volunteer(session, "Ann", "+16175550111")
        bob = dbrota.volunteer(session, "Bob", "+16175550112")
        old = dbrota.shift(session, boston, ann, "tue", "18:00", "22:00", valid_until=edit)
        new = dbrota.shift(session, boston, bob, "tue", "18:00", "22:00", valid_from=edit)
        now = load_rota(session, boston.id, TUESDAY_EVENING)
        assert [s.id for s in now.shifts] == [new.id]
        before = TUESDAY_EVENING - timedelta(weeks=2)
        assert [s.id for s in load_rota(session, boston.id, before).shifts] == [old.id]
        assert names(session, boston.id, before) == [(1, ["Ann"])]
        assert names(session, boston.id, TUESDAY_EVENING) == [(1, ["Bob"])]
        both = load_rota_between(session, boston.id, before, TUESDAY_EVENING)
        assert {s.id for s in both.shifts} == {old.id, new.id}


def test_other_chapters_rules_are_not_loaded(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        boston = dbrota.chapter(session, "boston")
        chicago = dbrota.chapter(session, "chicago", "America/Chicago")
        ann = dbrota.volunteer(session, "Ann", "+16175550111")
        cat = dbrota.volunteer(session, "Cat", "+13125550111")
        dbrota.shift(session, boston, ann, "tue", "18:00", "22:00")
        dbrota.shift(session, chicago, cat, "tue", "00:00", "00:00")
        rota = load_rota(session, boston.id, TUESDAY_EVENING)
        assert [v.name for v in rota.volunteers] == ["Ann"]
        assert len(rota.shifts) == 1


def test_rotations_overrides_and_unavailability_are_loaded(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        boston = dbrota.chapter(session, "boston")
        ann, bob, cy, dee = (
            dbrota.volunteer(session, name, f"+1617555012{index}")
            for index, name in enumerate(["Ann", "Bob", "Cy", "Dee"])
        )
        # Weekly turns handing off Monday 09:00, Ann's turn from Monday 2 March.
        dbrota.rotation(session, boston, [bob, ann], date(2026, 3, 2))
        assert names(session, boston.id, TUESDAY_EVENING) == [(1, ["Ann"])]
        session.add(
            models.Override(
                chapter_id=boston.id,
                kind=OverrideKind.ADD,
                volunteer_id=cy.id,
                tier=2,
                start=TUESDAY_EVENING - timedelta(hours=1),
                end=TUESDAY_EVENING + timedelta(hours=1),
            )
        )
        session.add(
            models.Override(
                chapter_id=boston.id,
                kind=OverrideKind.ADD,
                volunteer_id=dee.id,
                tier=2,
                start=TUESDAY_EVENING - timedelta(days=9),
                end=TUESDAY_EVENING - timedelta(days=8),
            )
        )
        session.flush()
        rota = load_rota(session, boston.id, TUESDAY_EVENING)
        assert len(rota.overrides) == 1  # the ended one is not read
        assert names(session, boston.id, TUESDAY_EVENING) == [(1, ["Ann"]), (2, ["Cy"])]
        session.add(
            models.Unavailability(
                volunteer_id=ann.id, start=TUESDAY_EVENING, end=TUESDAY_EVENING + timedelta(days=1)
            )
        )
        session.flush()
        assert names(session, boston.id, TUESDAY_EVENING) == [(2, ["Cy"])]
        assert names(session, boston.id, TUESDAY_EVENING - timedelta(seconds=1)) == [
            (1, ["Ann"]),
            (2, ["Cy"]),
        ]


def test_rotation_window_round_trips(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        boston = dbrota.chapter(session, "boston")
        ann = dbrota.volunteer(session, "Ann", "+16175550111")
        dbrota.rotation(
            session,
            boston,
            [ann],
            date(2026, 1, 5),
            length=3,
            unit="days",
            tier=3,
            window_days="mon,tue",
            window_start="18:00",
            window_end="20:00",
        )
        rota = load_rota(session, boston.id, TUESDAY_EVENING)
        (rotation,) = rota.rotations
        assert rotation.window is not None and rotation.length == 3
        assert rotation.tier is Tier.FALLBACK
        assert names(session, boston.id, TUESDAY_EVENING) == [(3, ["Ann"])]
        assert names(session, boston.id, TUESDAY_EVENING + timedelta(hours=1)) == []
        # Wednesday is outside the window's days.
        assert names(session, boston.id, TUESDAY_EVENING + timedelta(days=1)) == []


def test_an_inactive_volunteer_is_loaded_but_not_rung(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        boston = dbrota.chapter(session, "boston")
        ann = dbrota.volunteer(session, "Ann", "+16175550111", active=False)
        dbrota.shift(session, boston, ann, "tue", "18:00", "22:00")
        assert [v.active for v in load_rota(session, boston.id, TUESDAY_EVENING).volunteers] == [
            False
        ]
        assert names(session, boston.id, TUESDAY_EVENING) == []


def test_unknown_chapter(runtime: Runtime) -> None:
    with runtime.transaction() as session, pytest.raises(UnknownChapter):
        load_rota(session, 999_999, TUESDAY_EVENING)


def test_query_count_does_not_grow_with_history(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        boston = dbrota.chapter(session, "boston")
        ann = dbrota.volunteer(session, "Ann", "+16175550111")
        start = datetime(2025, 1, 1, tzinfo=UTC)
        for week in range(52):
            dbrota.shift(
                session,
                boston,
                ann,
                "tue",
                "18:00",
                "22:00",
                valid_from=start + timedelta(weeks=week),
                valid_until=start + timedelta(weeks=week + 1),
            )
        dbrota.shift(
            session, boston, ann, "tue", "18:00", "22:00", valid_from=start + timedelta(weeks=52)
        )
        statements: list[str] = []
        bind = session.connection()
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(bind, "before_cursor_execute", listener)
        try:
            session.expire_all()
            rota = load_rota(session, boston.id, TUESDAY_EVENING)
        finally:
            event.remove(bind, "before_cursor_execute", listener)
        assert len(rota.shifts) == 1
        assert len(statements) <= 6
