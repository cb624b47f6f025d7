"""`hotline contacts export`: overflow_from and overflow_to, in JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from hotline.db import make_engine
from hotline.logs.lifecycle import set_outcome
from hotline.logs.models import Call, LegOutcome, LegStatus, Outcome
from hotline.logs.records import offer, open_call
from hotline.models import Chapter, Volunteer
from hotline.phone import E164
from hotline.privacy import Privacy
from tests.test_cli import run

KEY = "export-privacy-key-0123456789"
START = datetime(2026, 3, 8, 7, 30, tzinfo=UTC)


def seed(url: str) -> None:
    """Two calls to Boston: one answered by the national line's Ned (an overflow wave), one
    by Sam, who was on call in both chapters (Boston's own wave has him first)."""
    privacy = Privacy(KEY)
    engine = make_engine(url)
    with Session(engine) as s, s.begin():
        boston = Chapter(slug="boston-grief", name="Boston", timezone="America/New_York",
                         overflow=["national-line"])
        national = Chapter(slug="national-line", name="National", timezone="America/New_York")
        sam = Volunteer(name="Sam", phone="+16175550133")
        ned = Volunteer(name="Ned", phone="+18005550121")
        s.add_all([boston, national, sam, ned])
        s.flush()
        plan = [{"tier": 1, "volunteers": [{"id": sam.id, "name": "Sam"}]},
                {"tier": 1, "volunteers": [{"id": ned.id, "name": "Ned"}],
                 "chapter": "national-line"}]
        for digit, who in (("1", ned), ("2", sam)):
            call_id = open_call(s, privacy, call_sid="CA" + digit * 32,
                                to_number="+16175550100", caller=E164("+16175550987"),
                                started_at=START, chapter_id=boston.id)
            call = s.get(Call, call_id)
            assert call is not None
            call.plan, call.planned_at = plan, START
            leg = offer(s, call, who.id, who.name, START)
            assert leg is not None
            s.flush()
            leg.status, leg.outcome = LegStatus.COMPLETED, LegOutcome.ANSWERED
            call.answered_leg_id, call.answered_at = leg.id, START + timedelta(seconds=20)
            set_outcome(s, call, Outcome.ANSWERED)
    engine.dispose()


def test_overflow_fields_in_json_and_csv(clean_database_url: str, tmp_path: Path) -> None:
    seed(clean_database_url)
    env = {"HOTLINE_DATABASE_URL": clean_database_url, "HOTLINE_PRIVACY_KEY": KEY}
    result = run(["contacts", "export", "--format", "json"], tmp_path, **env)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["chapter"], r["answered_by"], r["overflow_from"], r["overflow_to"])
            for r in rows] == [("boston-grief", "Ned", "boston-grief", "national-line"),
                               ("boston-grief", "Sam", None, None)]
    result = run(["contacts", "export", "--format", "csv"], tmp_path, **env)
    assert result.returncode == 0, result.stderr
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["overflow_from"], r["overflow_to"]) for r in table] == [
        ("boston-grief", "national-line"), ("", "")]
