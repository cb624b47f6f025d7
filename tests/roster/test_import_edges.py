"""Rota file imports at the edges: rules that already ended, overlapping overrides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from hotline.roster import models
from hotline.roster.history import oncall_at
from hotline.roster.rotafile import RotaFileError, parse_rota
from hotline.roster.rotasync import import_rota
from hotline.roster.store import chapter_by_slug, load_rota_between
from hotline.roster.timeline import timeline
from hotline.runtime import Runtime

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
BASE = """
[[chapter]]
slug = "b"
name = "B"
timezone = "America/New_York"

[[volunteer]]
name = "Ann"
phone = "+16175550111"

[[volunteer]]
name = "Bo"
phone = "+16175550112"

[[shift]]
chapter = "b"
volunteer = "+16175550111"
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
start = "00:00"
end = "00:00"
"""
ENDED = """
[[shift]]
chapter = "b"
volunteer = "+16175550112"
days = ["mon"]
start = "09:00"
end = "10:00"
until = 2026-01-01
"""


def test_a_rule_that_ended_before_the_import_opens_nothing(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        import_rota(session, parse_rota(BASE), now=NOW)
    later = NOW + timedelta(days=1)
    with runtime.transaction() as session:
        summary = import_rota(session, parse_rota(BASE + ENDED), now=later)
        assert summary.rules_opened == 0
    with runtime.transaction() as session:
        bad = session.scalars(
            select(models.Shift).where(models.Shift.valid_until <= models.Shift.valid_from)
        ).all()
        assert bad == []
        # A timeline over the past reads every version valid then; none may be malformed.
        chapter = chapter_by_slug(session, "b")
        rota = load_rota_between(session, chapter.id, NOW - timedelta(days=90), later)
        assert timeline(rota, NOW - timedelta(days=90), later)


def test_every_overlapping_override_is_named(runtime: Runtime) -> None:
    spans = [
        ("2026-04-01T00:00:00Z", "2026-04-10T00:00:00Z"),
        ("2026-04-02T00:00:00Z", "2026-04-03T00:00:00Z"),
        ("2026-04-05T00:00:00Z", "2026-04-06T00:00:00Z"),
    ]
    text = BASE + "".join(
        f'\n[[override]]\nchapter = "b"\nkind = "remove"\nvolunteer = "+16175550111"\n'
        f"start = {start}\nend = {end}\n"
        for start, end in spans
    )
    with pytest.raises(RotaFileError) as refused:
        parse_rota(text)
    lines = [problem.line for problem in refused.value.problems]
    firsts = [n for n, line in enumerate(text.splitlines(), 1) if line == "[[override]]"]
    assert lines == firsts[1:]


OTHER = """
[[chapter]]
slug = "c"
name = "C"
timezone = "Europe/London"

[[shift]]
chapter = "c"
volunteer = "+16175550112"
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
start = "00:00"
end = "00:00"
"""
BO_LEAVES = BASE.replace('name = "Bo"', 'name = "Bo"\nactive = false')


def test_a_volunteer_edit_keeps_the_past_of_chapters_outside_the_file(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        import_rota(session, parse_rota(BASE + OTHER), now=NOW)
    past = NOW + timedelta(days=3)
    with runtime.transaction() as session:
        # Bo is deactivated by a file that only names chapter "b"; "c" is not in it.
        summary = import_rota(session, parse_rota(BO_LEAVES), now=NOW + timedelta(days=7))
        assert summary.volunteers == 1
    with runtime.transaction() as session:
        chapter = chapter_by_slug(session, "c")
        then = oncall_at(session, chapter.id, past)
        now = oncall_at(session, chapter.id, NOW + timedelta(days=8))
        assert [v.name for v in then.volunteers] == ["Bo"]
        assert now.volunteers == ()


@pytest.mark.parametrize(
    ("table", "key", "limit"),
    [("chapter", "name", 200), ("volunteer", "name", 200), ("chapter", "language", 16)],
)
def test_a_text_longer_than_its_column_is_refused_on_its_line(
    table: str, key: str, limit: int
) -> None:
    lines = BASE.splitlines()
    header = lines.index(f"[[{table}]]")
    long = "x" * (limit + 1)
    if key == "language":
        lines.insert(header + 1, f'{key} = "{long}"')
    else:
        at = next(i for i in range(header, len(lines)) if lines[i].startswith(f"{key} ="))
        lines[at] = f'{key} = "{long}"'
    text = "\n".join(lines)
    with pytest.raises(RotaFileError) as refused:
        parse_rota(text)
    line = next(n for n, item in enumerate(text.splitlines(), 1) if long in item)
    assert [(p.line, str(limit) in p.reason) for p in refused.value.problems] == [(line, True)]


def test_a_rotation_name_longer_than_its_column_is_refused() -> None:
    text = BASE + (
        '\n[[rotation]]\nchapter = "b"\nname = "' + "r" * 101 + '"\n'
        'members = ["+16175550111"]\nanchor = 2026-01-05\n'
    )
    with pytest.raises(RotaFileError, match="at most 100"):
        parse_rota(text)
