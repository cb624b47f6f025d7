"""Trainee listen-in in the rota file: `listen_in` on a chapter, `trainee` on a volunteer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hotline.roster.models import Volunteer
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
TRAINEE = '''
[[volunteer]]
name = "Tia Trainee"
phone = "+16175550119"
trainee = true
'''


def _trainee(session: object) -> bool:
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    row = session.query(Volunteer).filter_by(phone="+16175550119").one()
    return row.trainee


def test_listen_in_and_trainee_are_read_stored_and_written_back(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        import_rota(session, parse_rota(CHAPTER + "listen_in = true\n" + TRAINEE), now=NOW)
        assert chapter_by_slug(session, "line").listen_in is True
        assert _trainee(session) is True
        exported = export_rota(session, now=NOW)
    assert "listen_in = true" in exported
    assert 'phone = "+16175550119"\ntrainee = true' in exported
    # The export reads back to the same rota.
    again = parse_rota(exported)
    assert again.volunteers[0].trainee is True
    assert again.chapters[0].settings["listen_in"] is True
    with runtime.transaction() as session:
        # Left out: the defaults (no listen-in, not a trainee), and the export says so.
        import_rota(session, parse_rota(CHAPTER + TRAINEE.replace("trainee = true\n", "")),
                    now=NOW)
        assert chapter_by_slug(session, "line").listen_in is False
        assert _trainee(session) is False
        exported = export_rota(session, now=NOW)
    assert "listen_in = false" in exported and "trainee" not in exported


@pytest.mark.parametrize(("text", "reason"), [
    (CHAPTER + 'listen_in = "yes"\n', "line 6: listen_in must be true or false"),
    (CHAPTER + TRAINEE.replace("trainee = true", "trainee = 1"),
     "line 10: trainee must be true or false"),
])
def test_a_listen_in_key_of_the_wrong_type_refuses_the_file(text: str, reason: str) -> None:
    with pytest.raises(RotaFileError) as refused:
        parse_rota(text)
    assert reason in str(refused.value)
