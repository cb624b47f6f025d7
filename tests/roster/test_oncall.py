"""on_call: wave shape, ring order, cost, and the rules' own validation."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

import hotline.roster.spans as spans_module
from hotline.roster.localtime import to_instant
from hotline.roster.oncall import on_call
from hotline.roster.rules import Override, OverrideKind, Rotation, Tier, Weekday, WeeklyShift
from hotline.roster.timeline import timeline

from .builders import CREATED, crew, hm, ids_on_call, local, override, rota, shift, volunteer

NY = "America/New_York"
NOON = local(NY, "2026-06-08T12:00")  # a Monday


def test_waves_lowest_tier_first_ids_ascending_each_person_once() -> None:
    chapter = rota(
        NY,
        volunteers=crew(1, 2, 3, 4, 5),
        shifts=[
            shift(5, "mon", "09:00", "17:00", tier=1),
            shift(2, "mon", "09:00", "17:00", tier=1),
            shift(3, "mon", "09:00", "17:00", tier=3),
            shift(2, "mon", "09:00", "17:00", tier=2),  # also primary: rung in tier 1 only
            shift(4, "mon", "09:00", "17:00", tier=3),
            shift(99, "mon", "09:00", "17:00", tier=2),  # not a known volunteer
        ],
    )
    answer = on_call(chapter, NOON)
    assert [(wave.tier, [v.id for v in wave.volunteers]) for wave in answer.waves] == [
        (Tier.PRIMARY, [2, 5]),
        (Tier.FALLBACK, [3, 4]),
    ]
    assert answer.tier_of(2) is Tier.PRIMARY and answer.tier_of(1) is None
    assert [v.id for v in answer.volunteers] == [2, 5, 3, 4]


def test_on_call_refuses_a_naive_instant() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        on_call(rota(NY), datetime(2026, 6, 8, 12))  # noqa: DTZ001


def test_on_call_cost_does_not_grow_with_history(monkeypatch: pytest.MonkeyPatch) -> None:
    """A thousand closed versions of a shift cost nothing at an instant they do not cover."""
    current = shift(1, "mon", "09:00", "17:00", valid_from=local(NY, "2026-01-01T00:00"))
    history = [
        shift(
            2,
            "mon",
            "09:00",
            "17:00",
            valid_from=local(NY, "2000-01-01T00:00") + timedelta(days=7 * n),
            valid_until=local(NY, "2000-01-01T00:00") + timedelta(days=7 * n + 7),
        )
        for n in range(1000)
    ]
    calls = 0

    def counting(wall: datetime, zone: object) -> datetime:
        nonlocal calls
        calls += 1
        return to_instant(wall, zone)  # type: ignore[arg-type]

    monkeypatch.setattr(spans_module, "to_instant", counting)
    small = rota(NY, volunteers=crew(1, 2), shifts=[current])
    big = rota(NY, volunteers=crew(1, 2), shifts=[*history, current])
    assert ids_on_call(small, NOON) == {1: [1]}
    alone = calls
    calls = 0
    assert ids_on_call(big, NOON) == {1: [1]}
    assert calls == alone > 0


def test_weekly_rotation_members_and_tier() -> None:
    rotation = Rotation(
        members=(3, 1, 2), anchor=date(2026, 6, 1), handoff=hm("09:00"), tier=Tier.BACKUP
    )
    chapter = rota(NY, volunteers=crew(1, 2, 3), rotations=[rotation])
    assert ids_on_call(chapter, local(NY, "2026-06-01T09:00")) == {2: [3]}
    assert ids_on_call(chapter, local(NY, "2026-06-08T08:59")) == {2: [3]}
    assert ids_on_call(chapter, local(NY, "2026-06-08T09:00")) == {2: [1]}
    assert ids_on_call(chapter, local(NY, "2026-05-31T12:00")) == {2: [2]}  # before the anchor


def test_timeline_of_empty_range_is_empty_and_unknown_override_person_ignored() -> None:
    stranger = override(1, "add", 42, NOON, NOON + timedelta(hours=1), tier=1)
    chapter = rota(NY, volunteers=[volunteer(1)], overrides=[stranger])
    assert timeline(chapter, NOON, NOON) == ()
    assert on_call(chapter, NOON).waves == ()


def test_days_accept_plain_strings_and_refuse_nonsense() -> None:
    made = WeeklyShift(1, frozenset({"sun"}), hm("22:00"), hm("02:00"))  # type: ignore[arg-type]
    assert made.days == frozenset({Weekday.SUN})
    with pytest.raises(ValueError):
        WeeklyShift(1, frozenset({"sunday"}), hm("22:00"), hm("02:00"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one"):
        WeeklyShift(1, frozenset(), hm("22:00"), hm("02:00"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": OverrideKind.ADD}, "needs a tier"),
        ({"kind": OverrideKind.REMOVE, "tier": Tier.PRIMARY}, "takes no tier"),
        ({"kind": OverrideKind.REPLACE}, "replacement_id"),
        ({"kind": OverrideKind.REMOVE, "replacement_id": 2}, "replacement_id"),
        ({"kind": OverrideKind.REPLACE, "replacement_id": 1}, "themselves"),
        ({"kind": OverrideKind.REMOVE, "end": NOON - timedelta(hours=1)}, "end after"),
        ({"kind": OverrideKind.REMOVE, "start": datetime(2026, 6, 8)}, "aware"),  # noqa: DTZ001
    ],
)
def test_override_validation(kwargs: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {
        "id": 1,
        "volunteer_id": 1,
        "start": NOON - timedelta(hours=1),
        "end": NOON + timedelta(hours=1),
        "created_at": CREATED,
        **kwargs,
    }
    with pytest.raises(ValueError, match=message):
        Override(**fields)  # type: ignore[arg-type]


def test_rotation_validation() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Rotation(members=(1,), anchor=date(2026, 1, 1), handoff=hm("09:00"), length=0)
    with pytest.raises(ValueError, match="valid_until"):
        Rotation(
            members=(1,),
            anchor=date(2026, 1, 1),
            handoff=hm("09:00"),
            valid_from=NOON,
            valid_until=NOON,
        )
