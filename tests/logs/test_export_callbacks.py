"""The contact export's `callbacks` (product.md: one object per attempt, `at`, `volunteer`,
`outcome`), and texts sent logged with the number masked."""

from __future__ import annotations

import csv
import io
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from hotline.db import make_engine
from hotline.logs.models import AttemptResult, Call, CallKind, CallLeg, LegStatus, Outcome
from hotline.logs.records import open_call
from hotline.models import Chapter, Volunteer
from hotline.phone import E164
from hotline.privacy import Privacy
from hotline.texts import outbox
from tests.conftest import RecordingTelephony, RuntimeFactory
from tests.test_cli import run

KEY = "export-privacy-key-0123456789"
CALLER = E164("+16175550987")
START = datetime(2026, 3, 8, 17, 30, tzinfo=UTC)


def seed(url: str) -> None:
    engine = make_engine(url)
    with Session(engine) as s, s.begin():
        chapter = Chapter(slug="boston-grief", name="Boston", timezone="America/New_York")
        ann = Volunteer(name="Ann Example", phone="+16175550111")
        s.add_all([chapter, ann])
        s.flush()
        call_id = open_call(s, Privacy(KEY), call_sid="CA" + "1" * 32,
                            to_number="+16175550100", caller=CALLER, started_at=START,
                            chapter_id=chapter.id, outcome=Outcome.CALLBACK_REQUESTED)
        first = Call(call_sid="CB" + "1" * 32, kind=CallKind.CALLBACK, chapter_id=chapter.id,
                     to_number="+16175550100", origin_call_id=call_id,
                     started_at=START + timedelta(minutes=5),
                     result=AttemptResult.VOLUNTEER_UNAVAILABLE, caller_hint="***0987")
        second = Call(call_sid="CB" + "2" * 32, kind=CallKind.CALLBACK, chapter_id=chapter.id,
                      to_number="+16175550100", origin_call_id=call_id,
                      started_at=START + timedelta(minutes=30), result=AttemptResult.ANSWERED,
                      caller_hint="***0987")
        s.add_all([first, second])
        s.flush()
        leg = CallLeg(call_id=second.id, volunteer_id=ann.id, volunteer_name=ann.name,
                      status=LegStatus.COMPLETED, created_at=second.started_at)
        s.add(leg)
        s.flush()
        second.answered_leg_id = leg.id
    engine.dispose()


def test_export_lists_each_call_back_attempt_under_its_call(
    clean_database_url: str, tmp_path: Path,
) -> None:
    seed(clean_database_url)
    env = {"HOTLINE_DATABASE_URL": clean_database_url, "HOTLINE_PRIVACY_KEY": KEY}
    result = run(["contacts", "export", "--format", "json"], tmp_path, **env)
    assert result.returncode == 0, result.stderr
    (row,) = json.loads(result.stdout)                   # attempts are no contacts of their own
    assert row["outcome"] == "callback_requested" and row["caller"] == "***0987"
    assert [{k: a[k] for k in ("at", "volunteer", "outcome")} for a in row["callbacks"]] == [
        {"at": "2026-03-08T17:35:00Z", "volunteer": None, "outcome": "volunteer_unavailable"},
        {"at": "2026-03-08T18:00:00Z", "volunteer": "Ann Example", "outcome": "answered"},
    ]
    table = run(["contacts", "export", "--format", "csv"], tmp_path, **env)
    (record,) = csv.DictReader(io.StringIO(table.stdout))
    assert record["callbacks"] == ("2026-03-08T17:35:00Z nobody: volunteer_unavailable; "
                                   "2026-03-08T18:00:00Z Ann Example: answered")
    assert "6175550987" not in result.stdout + table.stdout


def test_texts_sent_are_logged_masked(
    make_runtime: RuntimeFactory, caplog: pytest.LogCaptureFixture,
) -> None:
    telephony = RecordingTelephony()
    runtime = make_runtime(telephony=telephony)
    with runtime.transaction() as session:
        outbox.queue_text(session, key="c-1", kind="checkin", from_number="+16175550100",
                          body="Hello", now=runtime.clock(),
                          caller_cipher=runtime.privacy.encrypt(CALLER),
                          caller_hash=runtime.privacy.digest(CALLER), caller_hint="***0987")
    with caplog.at_level(logging.INFO, logger="hotline.texts.outbox"):
        runtime.jobs.run_due()                                  # type: ignore[attr-defined]
    assert [sms[0] for sms in telephony.sms] == [CALLER]        # it went to the caller
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "sent to ***0987" in logged and "6175550987" not in logged
