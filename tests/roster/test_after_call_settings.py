"""The after-the-call settings and coordinators in the rota file: read, checked, written back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from hotline.roster.models import ChapterMember, Volunteer
from hotline.roster.rotaexport import export_rota
from hotline.roster.rotafile import RotaFileError, parse_rota
from hotline.roster.rotasync import import_rota
from hotline.roster.store import chapter_by_slug
from hotline.runtime import Runtime

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CHAPTER = '''[[chapter]]
slug = "line"
name = "Line"
timezone = "UTC"
numbers = ["+16175550100"]
'''
PEOPLE = '''
[[volunteer]]
name = "Ann"
phone = "+16175550111"

[[volunteer]]
name = "Bob"
phone = "+16175550112"
'''
SETTINGS = '''alert_unclaimed_minutes = 15
callback_delays_minutes = [10, 60]
callback_hours = "10:00-18:30"
reminder_hours = [48, 2]
callback_greeting = "Hello, this is Sam returning your call."
'''


def coordinators(runtime: Runtime) -> list[str]:
    with runtime.sessions() as session:
        return sorted(session.scalars(
            select(Volunteer.phone).join(ChapterMember, ChapterMember.volunteer_id == Volunteer.id)
            .where(ChapterMember.coordinator)))


def test_after_call_settings_and_coordinators_are_read_and_written_back(
    runtime: Runtime,
) -> None:
    text = CHAPTER + SETTINGS + 'coordinators = ["+16175550112"]\n' + PEOPLE
    with runtime.transaction() as session:
        summary = import_rota(session, parse_rota(text), now=NOW)
        chapter = chapter_by_slug(session, "line")
        assert (chapter.alert_unclaimed_minutes, chapter.callback_delays_minutes,
                chapter.callback_hours, chapter.reminder_hours) == (
            15, [10, 60], "10:00-18:30", [48, 2])
        assert chapter.callback_greeting.startswith("Hello, this is Sam")
        exported = export_rota(session, now=NOW)
    assert summary.changed and coordinators(runtime) == ["+16175550112"]
    assert "callback_delays_minutes = [10, 60]" in exported
    assert 'coordinators = ["+16175550112"]' in exported
    with runtime.transaction() as session:                 # exported, it imports to no change
        assert not import_rota(session, parse_rota(exported), now=NOW).changed
    moved = CHAPTER + 'coordinators = ["+16175550111"]\n' + PEOPLE
    with runtime.transaction() as session:
        assert import_rota(session, parse_rota(moved), now=NOW).changed
        chapter = chapter_by_slug(session, "line")
        assert (chapter.callback_delays_minutes, chapter.reminder_hours,
                chapter.alert_unclaimed_minutes) == ([5, 30, 120], [24], 30)   # the defaults
    assert coordinators(runtime) == ["+16175550111"]


@pytest.mark.parametrize(("line", "reason"), [
    ("callback_delays_minutes = [30, 5]", "callback_delays_minutes must list 1 to 10 delays"),
    ("callback_delays_minutes = []", "callback_delays_minutes must list 1 to 10 delays"),
    ('callback_delays_minutes = ["5"]', "callback_delays_minutes must list 1 to 10 delays"),
    ('callback_delays_minutes = 5', "callback_delays_minutes must be a list"),
    ('callback_hours = "9-5"', "callback_hours must be HH:MM-HH:MM"),
    ("reminder_hours = [0]", "reminder_hours must list up to 5 different hours"),
    ("reminder_hours = [24, 24]", "reminder_hours must list up to 5 different hours"),
    ("alert_unclaimed_minutes = 1", "alert_unclaimed_minutes must be 5 to 1440 minutes"),
    ('coordinators = ["+16175550199"]', "unknown volunteer '+16175550199'"),
])
def test_a_bad_after_call_setting_refuses_the_file(line: str, reason: str) -> None:
    with pytest.raises(RotaFileError) as refused:
        parse_rota(CHAPTER + line + "\n" + PEOPLE)
    assert f"line 6: {reason}" in str(refused.value)
