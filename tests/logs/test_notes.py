"""After-call notes: encrypted at rest, numbers in them masked, left out of the export unless
asked for, dropped by retention with the caller's number."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from hotline.db import make_engine
from hotline.logs.models import LegOutcome
from hotline.logs.notes import read_note, taken_by, write_note
from hotline.models import Chapter, Volunteer
from hotline.privacy import Privacy
from hotline.work import retention
from tests.conftest import FixedClock, RuntimeFactory
from tests.logs.calls import add_call
from tests.test_cli import run

KEY = "notes-privacy-key-0123456789"
NOW = datetime(2026, 3, 10, 18, 30, tzinfo=UTC)
WORDS = "Talked about her brother; she will call the group on Thursday."


def test_a_note_is_encrypted_at_rest_with_numbers_masked(make_runtime: RuntimeFactory) -> None:
    runtime = make_runtime(clock=FixedClock(NOW))
    with runtime.transaction() as db:
        chapter = Chapter(slug="boston-grief", name="Boston", timezone="America/New_York")
        ann = Volunteer(name="Ann Example", phone="+16175550111")
        db.add_all([chapter, ann])
        db.flush()
        call_id = add_call(db, runtime.privacy, chapter_id=chapter.id, started_at=NOW,
                           legs=[(ann, LegOutcome.ANSWERED)], talk_seconds=60)
        write_note(db, runtime.privacy, call_id, ann.id, WORDS + " Her cell: 617-555-0142.", NOW)
        assert taken_by(db, call_id) == ann.id
    with runtime.sessions() as db:
        raw = db.execute(text("SELECT body_cipher FROM call_notes")).scalar_one()
        words = read_note(db, runtime.privacy, call_id)
    assert "brother" not in raw and "Thursday" not in raw
    assert Privacy("another-privacy-key-0123456789").decrypt(raw) is None
    assert words == WORDS + " Her cell: ***0142."


def test_retention_drops_notes_with_the_callers_number(make_runtime: RuntimeFactory) -> None:
    runtime = make_runtime(clock=FixedClock(NOW))
    with runtime.transaction() as db:
        chapter = Chapter(slug="boston-grief", name="Boston", timezone="America/New_York")
        ann = Volunteer(name="Ann Example", phone="+16175550111")
        db.add_all([chapter, ann])
        db.flush()
        ids = {}
        for name, days in (("old", 400), ("new", 3)):
            ids[name] = add_call(db, runtime.privacy, chapter_id=chapter.id,
                                 started_at=NOW - timedelta(days=days),
                                 legs=[(ann, LegOutcome.ANSWERED)], talk_seconds=60)
            write_note(db, runtime.privacy, ids[name], ann.id, f"{name} {WORDS}", NOW)
    with runtime.transaction() as db:
        dry = retention.apply_retention(db, runtime, NOW, dry_run=True)
    assert dry.notes == 1 and "would delete 1 after-call note(s)" in dry.lines()[0]
    with runtime.transaction() as db:
        done = retention.apply_retention(db, runtime, NOW)
    assert done.notes == 1 and retention.retention_summary(done)["notes"] == 1
    with runtime.sessions() as db:
        assert read_note(db, runtime.privacy, ids["old"]) is None
        assert read_note(db, runtime.privacy, ids["new"]) == f"new {WORDS}"


def seed(url: str) -> None:
    engine = make_engine(url)
    with Session(engine) as db, db.begin():
        chapter = Chapter(slug="boston-grief", name="Boston", timezone="America/New_York")
        ann = Volunteer(name="Ann Example", phone="+16175550111")
        db.add_all([chapter, ann])
        db.flush()
        privacy = Privacy(KEY)
        noted = add_call(db, privacy, chapter_id=chapter.id, started_at=NOW,
                         legs=[(ann, LegOutcome.ANSWERED)], talk_seconds=60)
        add_call(db, privacy, chapter_id=chapter.id, started_at=NOW + timedelta(hours=1))
        write_note(db, privacy, noted, ann.id, "=SUM(1) " + WORDS, NOW)
    engine.dispose()


def test_the_export_leaves_notes_out_unless_asked(clean_database_url: str,
                                                  tmp_path: Path) -> None:
    seed(clean_database_url)
    env = {"HOTLINE_DATABASE_URL": clean_database_url, "HOTLINE_PRIVACY_KEY": KEY}
    plain = run(["contacts", "export", "--format", "json"], tmp_path, **env)
    assert plain.returncode == 0, plain.stderr
    assert all("note" not in row for row in json.loads(plain.stdout))
    plain_csv = run(["contacts", "export", "--format", "csv"], tmp_path, **env)
    assert "note" not in plain_csv.stdout.splitlines()[0] and "brother" not in plain_csv.stdout
    asked = run(["contacts", "export", "--format", "json", "--notes"], tmp_path, **env)
    assert asked.returncode == 0, asked.stderr
    assert [row["note"] for row in json.loads(asked.stdout)] == ["=SUM(1) " + WORDS, None]
    table = run(["contacts", "export", "--format", "csv", "--notes"], tmp_path, **env)
    records = list(csv.DictReader(io.StringIO(table.stdout)))
    assert [r["note"] for r in records] == ["'=SUM(1) " + WORDS, ""]   # no formula runs
