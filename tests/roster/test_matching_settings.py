"""The matching keys in the rota file: languages, experiences, match_wait; read, checked,
stored and written back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hotline.roster.matching import chapter_languages, match_rank, speaks
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
MATCHING = '''languages = ["en-US", "es-US"]
experiences = [{key = "loss-of-child", prompt = "if you have lost a child"},
               {key = "suicide-loss", prompt = "if someone you love took their own life"}]
match_wait = 45
'''


def test_matching_keys_are_read_stored_and_written_back(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        assert import_rota(session, parse_rota(CHAPTER + MATCHING), now=NOW).changed
        chapter = chapter_by_slug(session, "line")
        assert chapter.language == "en-US"          # the first of languages
        assert chapter.languages == ["en-US", "es-US"]
        assert chapter.experiences == [
            {"key": "loss-of-child", "prompt": "if you have lost a child"},
            {"key": "suicide-loss", "prompt": "if someone you love took their own life"}]
        assert chapter.match_wait_seconds == 45
        exported = export_rota(session, now=NOW)
    assert 'languages = ["en-US", "es-US"]' in exported
    assert ('experiences = [{ key = "loss-of-child", prompt = "if you have lost a child" }'
            in exported)
    assert "match_wait = 45" in exported
    with runtime.transaction() as session:              # exported, it imports to no change
        assert not import_rota(session, parse_rota(exported), now=NOW).changed
    with runtime.transaction() as session:              # keys dropped: the menus go
        assert import_rota(session, parse_rota(CHAPTER), now=NOW).changed
        chapter = chapter_by_slug(session, "line")
        assert (chapter.languages, chapter.experiences, chapter.match_wait_seconds) == (
            [], [], 30)
        plain = export_rota(session, now=NOW)
    assert "languages" not in plain and "experiences" not in plain


def test_languages_with_language_given_must_agree() -> None:
    parsed = parse_rota(CHAPTER + 'language = "es-US"\nlanguages = ["es-US", "en-US"]\n')
    assert parsed.chapters[0].settings["language"] == "es-US"
    with pytest.raises(RotaFileError) as refused:
        parse_rota(CHAPTER + 'language = "en-US"\nlanguages = ["es-US", "en-US"]\n')
    assert ("line 7: the first of languages (es-US) must be the chapter's language (en-US)"
            in str(refused.value))


@pytest.mark.parametrize(("line", "reason"), [
    ('languages = ["en-US", "xx-YY"]', "languages must list up to 9 of en-US"),
    ('languages = "en-US"', "languages must be a list"),
    ('languages = ["en-US", "es-US", "es-MX"]', "languages must name each language once"),
    ("experiences = [{key = \"Loss\", prompt = \"if\"}]", "experiences must list up to 9"),
    ("experiences = [{key = \"loss\"}]", "experiences must list up to 9"),
    ('experiences = [{key = "loss", prompt = "if you lost\\nsomeone"}]',
     "experiences must list up to 9"),
    ("experiences = [{key = \"loss\", prompt = \"a\"}, {key = \"loss\", prompt = \"b\"}]",
     "experiences must not repeat a key"),
    ("match_wait = 1", "match_wait must be 5 to 600 seconds"),
    ('match_wait = "30"', "match_wait must be a whole number"),
])
def test_a_bad_matching_key_refuses_the_file(line: str, reason: str) -> None:
    with pytest.raises(RotaFileError) as refused:
        parse_rota(CHAPTER + line + "\n")
    assert f"line 6: {reason}" in str(refused.value)


def test_matching_is_on_the_primary_subtag() -> None:
    assert speaks(["es"], "es-US") and speaks(["ES-mx"], "es-US") and not speaks(["en"], "es-US")
    assert match_rank("es-US", "loss-of-child", ["es"], ["loss-of-child"]) == 3
    assert match_rank("es-US", "loss-of-child", ["en"], ["loss-of-child"]) == 1
    assert match_rank(None, None, ["es"], ["loss-of-child"]) == 0
    assert chapter_languages("es-US", ["en-US", "es-MX"]) == ("es-US", "en-US")
