"""Overflow in the rota: read with line and reason, stored, exported, and the chain it makes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hotline.roster import models
from hotline.roster.oncall import Wave
from hotline.roster.overflow import MAX_DEPTH, overflow_chain, overflow_waves, with_overflow
from hotline.roster.rotaexport import export_rota
from hotline.roster.rotafile import RotaFileError, parse_rota
from hotline.roster.rotasync import import_rota
from hotline.roster.rules import Tier, VolunteerRef
from hotline.roster.store import chapter_by_slug
from hotline.runtime import Runtime

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def chapter(slug: str, overflow: str = "", number: str = "") -> str:
    return (f'[[chapter]]\nslug = "{slug}"\nname = "{slug.title()}"\n'
            f'timezone = "America/New_York"\n'
            + (f'numbers = ["{number}"]\n' if number else "")
            + (f"overflow = {overflow}\n" if overflow else ""))


def problems(text: str) -> list[tuple[int, str]]:
    with pytest.raises(RotaFileError) as caught:
        parse_rota(text)
    return [(p.line, p.reason) for p in caught.value.problems]


def test_a_chapter_cannot_overflow_to_itself() -> None:
    text = chapter("boston") + chapter("national", '["national"]')
    assert problems(text) == [(9, "chapter 'national' cannot overflow to itself")]


@pytest.mark.parametrize(("value", "reason"), [
    ('"national"', "overflow must be a list, got 'national'"),
    ('["National Line"]', "overflow must list chapters' slugs, got 'National Line'"),
    ("[3]", "overflow must list chapters' slugs, got 3"),
    ('["boston", "boston"]', "overflow names a chapter twice"),
    ('["a", "b", "c", "d", "e", "f"]', "overflow lists 6 chapters; at most 5"),
])
def test_a_bad_overflow_is_refused_with_its_line(value: str, reason: str) -> None:
    text = chapter("boston") + "\n" + chapter("national", value)
    assert problems(text) == [(10, reason)]


def test_an_unknown_overflow_chapter_is_refused_at_import_and_nothing_changes(
    runtime: Runtime,
) -> None:
    text = chapter("boston", '["national-line"]', "+16175550100")
    with runtime.transaction() as session:
        with pytest.raises(RotaFileError) as caught:
            import_rota(session, parse_rota(text), now=NOW)
        assert str(caught.value) == (
            "line 6: overflow: unknown chapter 'national-line' (not a [[chapter]] in this "
            "file, nor in the database)")
        assert session.query(models.Chapter).count() == 0


def test_overflow_to_a_chapter_of_another_file_is_stored_and_exported(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        import_rota(session, parse_rota(chapter("national-line", "", "+18005550100")), now=NOW)
        import_rota(session, parse_rota(chapter("boston", '["national-line"]', "+16175550100")),
                    now=NOW)
        assert chapter_by_slug(session, "boston").overflow == ["national-line"]
        text = export_rota(session, now=NOW)
        assert 'overflow = ["national-line"]' in text
        # The export imports back to no change; dropping the key clears it.
        assert not import_rota(session, parse_rota(text), now=NOW).changed
        import_rota(session, parse_rota(chapter("boston", "", "+16175550100")), now=NOW)
        assert chapter_by_slug(session, "boston").overflow == []


def _waves(*tiers: tuple[int, ...]) -> tuple[Wave, ...]:
    return tuple(Wave(Tier(index + 1), tuple(VolunteerRef(v, f"V{v}", None, True) for v in ids))
                 for index, ids in enumerate(tiers) if ids)


def test_a_volunteer_on_call_in_both_chapters_is_kept_in_the_first_wave_only() -> None:
    own = _waves((1,), (2,))
    plan = with_overflow(own, [("national", _waves((1, 3), (2,))), ("west", _waves((3, 4)))])
    assert [(w.chapter, int(w.tier), [v.id for v in w.volunteers]) for w in plan] == [
        (None, 1, [1]), (None, 2, [2]), ("national", 1, [3]), ("west", 1, [4])]


def test_the_chain_has_no_loops_and_stops_at_the_depth(runtime: Runtime) -> None:
    # a -> b -> a (a loop), b -> c -> d -> e: e is four hops from a, beyond MAX_DEPTH.
    links = {"a": ["b"], "b": ["a", "c"], "c": ["d", "a"], "d": ["e"], "e": ["a"]}
    with runtime.transaction() as session:
        for slug, overflow in links.items():
            session.add(models.Chapter(slug=slug, name=slug, timezone="UTC", overflow=overflow))
        session.flush()
        a = chapter_by_slug(session, "a")
        assert MAX_DEPTH == 3
        assert [c.slug for c in overflow_chain(session, a)] == ["b", "c", "d"]
        assert [c.slug for c in overflow_chain(session, chapter_by_slug(session, "d"))] == [
            "e", "a", "b"]
        seen: list[str] = []

        def waves_of(chapter_id: int, at: datetime) -> tuple[Wave, ...]:
            seen.append(session.get(models.Chapter, chapter_id).slug)  # type: ignore[union-attr]
            return _waves((chapter_id,))

        plan = overflow_waves(session, a.id, NOW, waves_of)
        assert seen == ["a", "b", "c", "d"]
        assert [w.chapter for w in plan] == [None, "b", "c", "d"]
