"""The caps as chapter settings in the rota file: read, checked, written back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

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


def test_caps_are_read_and_written_back(runtime: Runtime) -> None:
    text = CHAPTER + "max_holding = 7\nmax_calls_per_caller = 1\nreject_withheld = true\n"
    with runtime.transaction() as session:
        import_rota(session, parse_rota(text), now=NOW)
        chapter = chapter_by_slug(session, "line")
        assert (chapter.max_holding, chapter.max_calls_per_caller, chapter.reject_withheld) == (
            7, 1, True)
        exported = export_rota(session, now=NOW)
    assert "max_holding = 7" in exported and "reject_withheld = true" in exported
    with runtime.transaction() as session:
        import_rota(session, parse_rota(CHAPTER), now=NOW)     # left out: the defaults
        chapter = chapter_by_slug(session, "line")
        assert (chapter.max_holding, chapter.max_calls_per_caller, chapter.reject_withheld) == (
            100, 2, False)


@pytest.mark.parametrize(("line", "reason"), [
    ("max_holding = 0", "max_holding must be 1 to 1000"),
    ("max_holding = 5000", "max_holding must be 1 to 1000"),
    ("max_calls_per_caller = 0", "max_calls_per_caller must be 1 to 10"),
    ('reject_withheld = "yes"', "reject_withheld must be true or false"),
])
def test_a_cap_out_of_range_refuses_the_file(line: str, reason: str) -> None:
    with pytest.raises(RotaFileError) as refused:
        parse_rota(CHAPTER + line + "\n")
    assert f"line 6: {reason}" in str(refused.value)
