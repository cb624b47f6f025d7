"""Importing and exporting the rota file against the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from hotline.roster import models
from hotline.roster.history import oncall_at
from hotline.roster.rotaexport import export_rota
from hotline.roster.rotafile import RotaFileError, parse_rota
from hotline.roster.rotasync import import_rota
from hotline.roster.store import chapter_by_slug
from hotline.runtime import Runtime

SAMPLE = (Path(__file__).resolve().parents[2] / "hotline" / "sample" / "rota.toml").read_text()
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def snapshot(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every rota table, as plain tuples (ids included)."""
    tables = [
        models.Chapter,
        models.ChapterNumber,
        models.Volunteer,
        models.Shift,
        models.Rotation,
        models.RotationMember,
        models.Override,
        models.Unavailability,
        models.OnCallHistory,
    ]
    result = {}
    for table in tables:
        columns = list(table.__table__.columns)
        keys = list(inspect(table).primary_key)
        rows = session.execute(select(*columns).order_by(*keys)).all()
        result[table.__tablename__] = [tuple(row) for row in rows]
    return result


def who(session: Session, slug: str, at: datetime) -> list[tuple[int, list[str]]]:
    chapter = chapter_by_slug(session, slug)
    plan = oncall_at(session, chapter.id, at)
    return [(int(w.tier), [v.name for v in w.volunteers]) for w in plan.waves]


def test_sample_imports_and_answers(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        summary = import_rota(session, parse_rota(SAMPLE), now=NOW)
        assert summary.chapters == 2 and summary.volunteers == 8 and summary.rules_opened == 8
        # Tuesday 10 March 2026 23:30 EDT: Carmen overnight, Dev backup.
        at = datetime(2026, 3, 11, 3, 30, tzinfo=UTC)
        assert who(session, "boston-grief", at) == [(1, ["Carmen Ruiz"]), (2, ["Dev Patel"])]
        chicago = chapter_by_slug(session, "chicago-recovery")
        assert chicago.ring_strategy == "sequential" and chicago.max_wait_seconds == 180
        assert [n.number for n in chicago.numbers] == ["+13125550100"]


def test_import_twice_changes_nothing(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        import_rota(session, parse_rota(SAMPLE), now=NOW)
        before = snapshot(session)
        again = import_rota(session, parse_rota(SAMPLE), now=NOW + timedelta(days=3))
        assert not again.changed
        assert snapshot(session) == before


def test_export_round_trips(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        import_rota(session, parse_rota(SAMPLE), now=NOW)
        text = export_rota(session, now=NOW)
        before = snapshot(session)
        summary = import_rota(session, parse_rota(text), now=NOW + timedelta(hours=1))
        assert not summary.changed, summary
        assert snapshot(session) == before
        assert export_rota(session, now=NOW + timedelta(hours=1)) == text


def test_an_edit_takes_effect_from_now_and_keeps_the_past(runtime: Runtime) -> None:
    tuesday_evening = datetime(2026, 3, 10, 23, 0, tzinfo=UTC)  # 19:00 EDT
    # Ann takes Ben's evenings (Dev, on tier 2 then, would be on call twice: refused).
    edited = SAMPLE.replace('"+16175550112"\ndays = ["tue"', '"+16175550111"\ndays = ["tue"')
    assert edited != SAMPLE
    with runtime.transaction() as session:
        import_rota(session, parse_rota(SAMPLE), now=NOW)
        assert who(session, "boston-grief", tuesday_evening)[0] == (1, ["Ben Okafor"])
        later = tuesday_evening + timedelta(days=1)
        summary = import_rota(session, parse_rota(edited), now=later)
        assert (summary.rules_opened, summary.rules_closed) == (1, 1)
        # Last Tuesday still says Ben (history and the closed version); next Tuesday says Ann.
        assert who(session, "boston-grief", tuesday_evening)[0] == (1, ["Ben Okafor"])
        assert who(session, "boston-grief", tuesday_evening + timedelta(weeks=1))[0] == (
            1,
            ["Ann Example"],
        )
        assert not import_rota(session, parse_rota(edited), now=later + timedelta(days=1)).changed


def test_history_survives_a_change_that_reaches_back(runtime: Runtime) -> None:
    """rota.md case 14: a past instant is answered from recorded history."""
    three_am_last_tuesday = datetime(2026, 3, 10, 7, 0, tzinfo=UTC)  # 03:00 EDT
    deactivated = SAMPLE.replace(
        'name = "Dev Patel"\nphone = "+16175550114"',
        'name = "Dev Patel"\nphone = "+16175550114"\nactive = false',
    )
    with runtime.transaction() as session:
        import_rota(session, parse_rota(SAMPLE), now=datetime(2026, 3, 1, tzinfo=UTC))
        assert who(session, "boston-grief", three_am_last_tuesday) == []
        monday_night = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)  # 01:00 EDT Tuesday
        assert who(session, "boston-grief", monday_night) == [
            (1, ["Carmen Ruiz"]),
            (2, ["Dev Patel"]),
        ]
        import_rota(session, parse_rota(deactivated), now=NOW)
        assert who(session, "boston-grief", monday_night) == [
            (1, ["Carmen Ruiz"]),
            (2, ["Dev Patel"]),
        ]
        assert who(session, "boston-grief", monday_night + timedelta(weeks=1)) == [
            (1, ["Carmen Ruiz"]),
        ]


BAD_ROWS = [
    ('volunteer = "+16175550111"\ndays', 'volunteer = "+16175550999"\ndays', "unknown volunteer"),
    ('start = "22:00"', 'start = "22:70"', "start must be a 24-hour time"),
    ('"America/Chicago"', '"America/Springfield"', "unknown time zone"),
    ('phone = "+13125550114"', 'phone = "+1 312 555 0114"', "is not E.164"),
]


@pytest.mark.parametrize(("old", "new", "reason"), BAD_ROWS)
def test_a_bad_file_changes_nothing(runtime: Runtime, old: str, new: str, reason: str) -> None:
    with runtime.transaction() as session:
        import_rota(session, parse_rota(SAMPLE), now=NOW)
        before = snapshot(session)
        bad = SAMPLE.replace(old, new, 1).replace("Ben Okafor", "Benjamin Okafor")
        assert bad != SAMPLE
        with pytest.raises(RotaFileError) as caught:
            import_rota(session, parse_rota(bad), now=NOW + timedelta(days=1))
        assert reason in str(caught.value)
        assert all(problem.line > 0 for problem in caught.value.problems)
        assert snapshot(session) == before


def test_overlapping_overrides_change_nothing(runtime: Runtime) -> None:
    overlapping = (
        SAMPLE
        + """
[[override]]
chapter = "boston-grief"
kind = "remove"
volunteer = "+16175550111"
start = 2026-03-20T00:00:00
end = 2026-03-22T00:00:00

[[override]]
chapter = "boston-grief"
kind = "add"
tier = 1
volunteer = "+16175550111"
start = 2026-03-21T00:00:00
end = 2026-03-23T00:00:00
"""
    )
    with runtime.transaction() as session:
        import_rota(session, parse_rota(SAMPLE), now=NOW)
        before = snapshot(session)
        with pytest.raises(RotaFileError, match="overlaps the one on line"):
            import_rota(session, parse_rota(overlapping), now=NOW)
        assert snapshot(session) == before


def test_a_number_owned_by_another_chapter_changes_nothing(runtime: Runtime) -> None:
    other = """
[[chapter]]
slug = "denver"
name = "Denver"
numbers = ["+13125550100"]
timezone = "America/Denver"
"""
    with runtime.transaction() as session:
        import_rota(session, parse_rota(SAMPLE), now=NOW)
        before = snapshot(session)
        with pytest.raises(RotaFileError) as caught:
            import_rota(session, parse_rota(other), now=NOW)
        assert str(caught.value) == (
            "line 2: number +13125550100 belongs to chapter 'chicago-recovery', "
            "which is not in this file"
        )
        assert snapshot(session) == before


def test_numbers_may_move_between_chapters_of_one_file(runtime: Runtime) -> None:
    swapped = (
        SAMPLE.replace('["+16175550100"]', '["+1X"]')
        .replace('["+13125550100"]', '["+16175550100"]')
        .replace('["+1X"]', '["+13125550100"]')
    )
    with runtime.transaction() as session:
        import_rota(session, parse_rota(SAMPLE), now=NOW)
        import_rota(session, parse_rota(swapped), now=NOW)
        boston = chapter_by_slug(session, "boston-grief")
        assert [n.number for n in boston.numbers] == ["+13125550100"]


def test_overrides_round_trip_and_a_dropped_one_is_cut_short(runtime: Runtime) -> None:
    with_override = (
        SAMPLE
        + """
[[override]]
chapter = "boston-grief"
kind = "replace"
volunteer = "+16175550111"
replacement = "+16175550113"
start = 2026-03-09T18:00:00
end = 2026-03-16T18:00:00
reason = "Ann at a conference"

[[unavailable]]
volunteer = "+16175550112"
start = 2026-03-20T00:00:00Z
end = 2026-03-27T00:00:00Z
"""
    )
    monday = datetime(2026, 3, 9, 23, 0, tzinfo=UTC)  # 19:00 EDT
    with runtime.transaction() as session:
        import_rota(session, parse_rota(with_override), now=NOW)
        text = export_rota(session, now=NOW)
        assert 'reason = "Ann at a conference"' in text
        assert "start = 2026-03-09T18:00:00-04:00" in text
        assert not import_rota(session, parse_rota(text), now=NOW).changed
        # Next Monday 19:00 falls inside the override: Carmen instead of Ann.
        wednesday = monday + timedelta(days=2)
        assert who(session, "boston-grief", wednesday)[0] == (1, ["Carmen Ruiz"])
        summary = import_rota(session, parse_rota(SAMPLE), now=NOW + timedelta(days=1))
        assert summary.overrides_ended == 1
        assert who(session, "boston-grief", wednesday)[0] == (1, ["Ann Example"])
        # The part that already happened stays what it was.
        assert who(session, "boston-grief", monday)[0] == (1, ["Carmen Ruiz"])
