"""`hotline contacts export` on a database a coordinator would have."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from hotline.db import make_engine
from hotline.logs.lifecycle import set_outcome
from hotline.logs.models import Call, Outcome
from hotline.logs.records import offer, open_call
from hotline.models import Chapter, Volunteer
from hotline.phone import E164
from hotline.privacy import Privacy
from tests.test_cli import run

KEY = "export-privacy-key-0123456789"
CALLER = E164("+16175550987")


def seed(url: str) -> None:
    privacy = Privacy(KEY)
    start = datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    engine = make_engine(url)
    with Session(engine) as s, s.begin():
        chapter = Chapter(slug="boston-grief", name="Boston", timezone="America/New_York")
        other = Chapter(slug="chicago", name="Chicago", timezone="America/Chicago")
        ann = Volunteer(name="=HYPERLINK(evil)", phone="+16175550111")
        s.add_all([chapter, other, ann])
        s.flush()
        call_id = open_call(s, privacy, call_sid="CA" + "1" * 32, to_number="+16175550100",
                            caller=CALLER, started_at=start, chapter_id=chapter.id)
        call = s.get(Call, call_id)
        assert call is not None
        offer(s, call, ann.id, ann.name, start)
        set_outcome(s, call, Outcome.VOICEMAIL)
        open_call(s, privacy, call_sid="CA" + "2" * 32, to_number="+13125550100",
                    caller=None, started_at=start + timedelta(days=2), chapter_id=other.id,
                    outcome=Outcome.NO_ONE_ON_CALL)
    engine.dispose()


def test_json_export_has_the_contract_fields_and_masks_callers(
    clean_database_url: str, tmp_path: Path
) -> None:
    seed(clean_database_url)
    env = {"HOTLINE_DATABASE_URL": clean_database_url, "HOTLINE_PRIVACY_KEY": KEY}
    result = run(["contacts", "export", "--format", "json"], tmp_path, **env)
    assert result.returncode == 0, result.stderr
    assert CALLER not in result.stdout and "6175550987" not in result.stdout
    rows = json.loads(result.stdout)
    assert [r["call_sid"][:3] for r in rows] == ["CA1", "CA2"]
    first = rows[0]
    assert first["chapter"] == "boston-grief"
    assert first["started_at"] == "2026-03-08T07:30:00Z"
    assert first["outcome"] == "voicemail"
    assert first["caller"] == "***0987"
    assert first["answered_by"] is None and first["seconds_to_answer"] is None
    assert [leg["volunteer"] for leg in first["legs"]] == ["=HYPERLINK(evil)"]
    assert rows[1]["caller"] == "anonymous" and rows[1]["outcome"] == "no_one_on_call"

    one = run(["contacts", "export", "--chapter", "chicago", "--since", "2026-03-09"],
              tmp_path, **env)
    assert [r["chapter"] for r in json.loads(one.stdout)] == ["chicago"]
    none = run(["contacts", "export", "--until", "2026-03-08"], tmp_path, **env)
    assert json.loads(none.stdout) == []


def test_csv_export_is_spreadsheet_safe(clean_database_url: str, tmp_path: Path) -> None:
    seed(clean_database_url)
    env = {"HOTLINE_DATABASE_URL": clean_database_url, "HOTLINE_PRIVACY_KEY": KEY}
    result = run(["contacts", "export", "--format", "csv"], tmp_path, **env)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0]["caller"] == "***0987"
    assert rows[0]["legs"].startswith("'=HYPERLINK(evil)")   # not a live formula
    assert rows[1]["answered_by"] == ""


def test_export_rejects_bad_options(clean_database_url: str, tmp_path: Path) -> None:
    env = {"HOTLINE_DATABASE_URL": clean_database_url}
    bad_day = run(["contacts", "export", "--since", "March"], tmp_path, **env)
    assert bad_day.returncode == 1 and "--since" in bad_day.stderr
    bad_chapter = run(["contacts", "export", "--chapter", "nowhere"], tmp_path, **env)
    assert bad_chapter.returncode == 1 and "no chapter 'nowhere'" in bad_chapter.stderr
