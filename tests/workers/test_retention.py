"""Retention: the daily job drops old callers' numbers and recordings, keeps bans and
opt-outs, runs once a day from the sweep, and `hotline retention run` says what it does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.bans import add_ban, is_banned
from hotline.db import make_engine
from hotline.jobs import ManualRunner
from hotline.logs.messages import InboundMessage, record_message
from hotline.logs.models import Call, Outcome, Voicemail
from hotline.logs.records import open_call
from hotline.phone import E164
from hotline.privacy import Privacy
from hotline.roster.models import Chapter
from hotline.runtime import Runtime
from hotline.settings import SettingsError, load_settings
from hotline.telephony import TelephonyError
from hotline.texts import outbox
from hotline.texts.models import OutboundText, TextStatus
from hotline.texts.optouts import is_opted_out, opt_out
from hotline.work import kinds, retention, sweeps
from hotline.work.models import ScheduledTask, TaskStatus
from tests.conftest import FixedClock, RecordingTelephony, RuntimeFactory, make_settings
from tests.test_cli import run
from workers.tasks import HANDLERS

NOW = datetime(2026, 3, 10, 18, 30, tzinfo=UTC)
CALLER = E164("+16175550199")
HOTLINE = "+16175550100"


class Recordings(RecordingTelephony):
    """Deletes recordings; one is gone already (404), one the network refuses."""

    def __init__(self) -> None:
        super().__init__()
        self.deleted: list[str] = []

    def delete_recording(self, recording_sid: str) -> None:
        if recording_sid.endswith("GONE"):
            raise TelephonyError("not found", code=20404)
        if recording_sid.endswith("BUSY"):
            raise TelephonyError(f"server error about {CALLER}", code=20500)
        self.deleted.append(recording_sid)


def seed(session: Session, privacy: Privacy) -> dict[str, int]:
    chapter = Chapter(slug="boston-grief", name="Boston", timezone="America/New_York")
    session.add(chapter)
    session.flush()
    ids = {}
    for name, days in (("old", 400), ("new", 10)):
        ids[name] = open_call(session, privacy, call_sid=f"CA{name:0>32}", to_number=HOTLINE,
                              caller=CALLER, started_at=NOW - timedelta(days=days),
                              chapter_id=chapter.id, outcome=Outcome.VOICEMAIL)
    for sid, days in (("RE" + "1" * 32, 40), ("RE" + "2" * 32, 5), ("RE" + "3" * 28 + "GONE", 50),
                      ("RE" + "4" * 28 + "BUSY", 60)):
        session.add(Voicemail(call_id=ids["new"], recording_sid=sid, status="completed",
                              recording_url=f"https://api.twilio.com/{sid}",
                              created_at=NOW - timedelta(days=days)))
    for name, days in (("old", 500), ("new", 3)):
        message, _ = record_message(session, privacy, message_sid=f"SM{name:0>32}",
                                    to_number=HOTLINE, sender=CALLER, body="please call",
                                    chapter_id=chapter.id, at=NOW - timedelta(days=days))
        ids[f"message-{name}"] = message.id
        text = outbox.queue_text(session, key=f"t-{name}", kind="checkin", body="Hello",
                                 from_number=HOTLINE, now=NOW - timedelta(days=days),
                                 caller_cipher=privacy.encrypt(CALLER),
                                 caller_hash=privacy.digest(CALLER), caller_hint="***0199",
                                 chapter_id=chapter.id)
        text.status = TextStatus.SENT
        ids[f"text-{name}"] = text.id
    add_ban(session, privacy, CALLER, chapter.id, "abusive")
    opt_out(session, privacy, CALLER, "STOP", NOW - timedelta(days=700))
    ids["chapter"] = chapter.id
    return ids


def test_dry_run_counts_and_the_run_drops_only_what_is_past_its_time(
    make_runtime: RuntimeFactory,
) -> None:
    telephony = Recordings()
    runtime = make_runtime(telephony=telephony, clock=FixedClock(NOW))
    with runtime.transaction() as session:
        ids = seed(session, runtime.privacy)
    with runtime.transaction() as session:
        dry = retention.apply_retention(session, runtime, NOW, dry_run=True)
    assert (dry.calls, dry.texts, dry.messages, dry.recordings) == (1, 1, 1, 3)
    assert (dry.bans, dry.opt_outs) == (1, 1)
    assert "would drop" in dry.lines()[0] and telephony.deleted == []
    with runtime.sessions() as session:
        assert session.get(Call, ids["old"]).caller_cipher != ""  # type: ignore[union-attr]

    with runtime.transaction() as session:
        done = retention.apply_retention(session, runtime, NOW)
    assert (done.calls, done.texts, done.messages) == (1, 1, 1)
    assert (done.recordings, done.recordings_failed) == (2, 1)       # one was gone already
    assert telephony.deleted == ["RE" + "1" * 32]
    assert not any(str(CALLER) in line or "6175550199" in line for line in done.lines())
    with runtime.sessions() as session:
        old, new = session.get(Call, ids["old"]), session.get(Call, ids["new"])
        assert old is not None and new is not None
        assert (old.caller_cipher, old.caller_hash) == ("", "")
        assert old.caller_hint == "***0199" and old.outcome is Outcome.VOICEMAIL
        assert runtime.privacy.decrypt(new.caller_cipher) == CALLER
        messages = {m.id: m for m in session.scalars(select(InboundMessage))}
        assert messages[ids["message-old"]].body_cipher == ""
        assert messages[ids["message-old"]].sender_hash == ""
        assert messages[ids["message-new"]].body_cipher != ""
        texts = {t.id: t for t in session.scalars(select(OutboundText))}
        assert texts[ids["text-old"]].to_cipher == "" and texts[ids["text-new"]].to_cipher
        gone = {v.recording_sid[-4:]: v.deleted_at for v in session.scalars(select(Voicemail))}
        assert gone == {"1111": NOW, "2222": None, "GONE": NOW, "BUSY": None}
        # A ban and a STOP outlive the records.
        assert is_banned(session, runtime.privacy, CALLER, ids["chapter"])
        assert is_opted_out(session, runtime.privacy.digest(CALLER))

    with runtime.transaction() as session:           # the next day: only the refused one
        again = retention.apply_retention(session, runtime, NOW + timedelta(days=1))
    assert (again.calls, again.texts, again.messages, again.recordings) == (0, 0, 0, 0)
    assert again.recordings_failed == 1


def test_the_sweep_schedules_one_run_a_day_which_the_worker_runs(
    make_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(retention, "_scheduled", {})
    clock = FixedClock(datetime(2026, 3, 10, 0, 0, 30, tzinfo=UTC))
    runner = ManualRunner(clock)
    runtime = make_runtime(telephony=Recordings(), clock=clock, jobs=runner)
    with runtime.transaction() as session:
        ids = seed(session, runtime.privacy)
    sweeps.sweep(runtime)
    monkeypatch.setattr(retention, "_scheduled", {})       # another process sweeps too
    sweeps.sweep(runtime)

    def runs() -> list[ScheduledTask]:
        with runtime.sessions() as session:
            return list(session.scalars(select(ScheduledTask).where(
                ScheduledTask.kind == kinds.RETENTION)))

    (task,) = runs()
    assert task.key == "retention-2026-03-10" and task.status is TaskStatus.PENDING
    assert task.due_at == datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
    clock.now = datetime(2026, 3, 10, 3, 0, 1, tzinfo=UTC)
    runner.run_due()
    (task,) = runs()
    assert task.status is TaskStatus.DONE
    with runtime.sessions() as session:
        old = session.get(Call, ids["old"])
        assert old is not None and old.caller_cipher == ""
    clock.now += timedelta(days=1)
    sweeps.sweep(runtime)
    assert sorted(t.key for t in runs()) == ["retention-2026-03-10", "retention-2026-03-11"]


def test_every_kind_of_scheduled_work_has_a_handler() -> None:
    assert set(HANDLERS) == set(kinds.ALL_KINDS)


def test_retention_cli_says_what_it_would_drop_then_drops_it(
    clean_database_url: str, tmp_path: Path,
) -> None:
    key = "retention-privacy-key-0123456789"
    engine = make_engine(clean_database_url)
    started = datetime.now(UTC) - timedelta(days=400)
    with Session(engine) as session, session.begin():
        call_id = open_call(session, Privacy(key), call_sid="CA" + "9" * 32,
                            to_number=HOTLINE, caller=CALLER, started_at=started,
                            chapter_id=None, outcome=Outcome.ABANDONED)
    env = {"HOTLINE_DATABASE_URL": clean_database_url, "HOTLINE_PRIVACY_KEY": key}
    dry = run(["retention", "run", "--dry-run"], tmp_path, **env)
    assert dry.returncode == 0, dry.stderr
    assert "would drop the caller's number from 1 call(s)" in dry.stdout
    assert "nothing was changed" in dry.stdout and "0 ban(s)" in dry.stdout
    assert "privacy.retention_days = 365" in dry.stdout
    with Session(engine) as session:
        assert session.get(Call, call_id).caller_cipher != ""  # type: ignore[union-attr]
    done = run(["retention", "run"], tmp_path, **env, HOTLINE_PRIVACY_RETENTION_DAYS="399")
    assert done.returncode == 0, done.stderr
    assert "drop the caller's number from 1 call(s)" in done.stdout
    assert "would" not in done.stdout and "6175550199" not in done.stdout + dry.stdout
    with Session(engine) as session:
        call = session.get(Call, call_id)
        assert call is not None and call.caller_cipher == "" and call.caller_hash == ""
    engine.dispose()
    bad = run(["retention", "run"], tmp_path, **env, HOTLINE_PRIVACY_RETENTION_DAYS="a year")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert "privacy.retention_days" in bad.stderr


@pytest.mark.parametrize(("value", "ok"), [("30", True), ("0", False), ("1.5", False)])
def test_retention_days_are_whole_days(value: str, ok: bool, database_url: str) -> None:
    env = {"HOTLINE_PRIVACY_RECORDING_RETENTION_DAYS": value}
    if ok:
        assert make_settings(database_url, **env).privacy.recording_retention_days == 30
        return
    with pytest.raises(SettingsError, match="privacy.recording_retention_days"):
        load_settings(env, path=None)


def test_defaults_are_product_md_s(runtime: Runtime) -> None:
    assert runtime.settings.privacy.retention_days == 365
    assert runtime.settings.privacy.recording_retention_days == 30
