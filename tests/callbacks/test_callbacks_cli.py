"""`hotline callbacks list|cancel` on a database a coordinator would have."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from hotline.audit.models import AuditEntry
from hotline.callbacks.requests import request_followup
from hotline.jobs import ManualRunner
from hotline.logs.models import Call, CallbackRequest, FollowUpKind, FollowUpStatus
from hotline.logs.records import open_call
from hotline.models import Chapter
from hotline.phone import E164
from hotline.runtime import Runtime, build_runtime
from hotline.work.models import ScheduledTask, TaskStatus
from tests.conftest import RecordingTelephony, make_settings
from tests.test_cli import run

KEY = "test-privacy-key-0123456789"
CALLERS = [E164("+16175550981"), E164("+16175550982"), E164("+16175550983")]
START = datetime(2026, 3, 9, 14, 0, tzinfo=UTC)


def seed(url: str) -> tuple[Runtime, list[str]]:
    """Three call-backs: one waiting, one attempted once, one done; their references."""
    runtime = build_runtime(make_settings(url), telephony=RecordingTelephony(),
                            jobs=ManualRunner(lambda: START), clock=lambda: START)
    refs = []
    with runtime.transaction() as s:
        chapter = Chapter(slug="boston-grief", name="Boston", timezone="America/New_York")
        s.add(chapter)
        s.flush()
        for n, caller in enumerate(CALLERS):
            call_id = open_call(s, runtime.privacy, call_sid=f"CA{n}" + "1" * 31,
                                to_number="+16175550100", caller=caller,
                                started_at=START - timedelta(minutes=n), chapter_id=chapter.id)
            call = s.get(Call, call_id)
            assert call is not None
            request = request_followup(s, call, FollowUpKind.CALLBACK, START - timedelta(
                minutes=10 - n))
            assert request is not None and request.reference
            refs.append(request.reference)
            request.attempts = n
            if n == 2:
                request.status, request.ended_at = FollowUpStatus.DONE, START
    return runtime, refs


def test_list_shows_each_state_masked_and_cancel_stops_the_attempts(
    clean_database_url: str, tmp_path: Path
) -> None:
    runtime, (waiting, attempted, done) = seed(clean_database_url)
    env = {"HOTLINE_DATABASE_URL": clean_database_url, "HOTLINE_PRIVACY_KEY": KEY}
    listed = run(["callbacks", "list"], tmp_path, **env)
    assert listed.returncode == 0, listed.stderr
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    assert [(r[0], r[3], r[4]) for r in rows] == [(waiting, "waiting", "***0981"),
                                                (attempted, "attempted", "***0982")]
    every = run(["callbacks", "list", "--state", "done", "--chapter", "boston-grief"],
                tmp_path, **env)
    assert [line.split("\t")[:4] for line in every.stdout.splitlines()] == [
        [done, "boston-grief", "callback", "done (done)"]]
    assert not any(c.lstrip("+") in listed.stdout + every.stdout for c in CALLERS)
    assert "6175550981" not in listed.stdout

    canceled = run(["callbacks", "cancel", waiting.lower()], tmp_path, **env)
    assert canceled.returncode == 0, canceled.stderr
    assert canceled.stdout.strip() == f"call-back {waiting} canceled"
    with runtime.sessions() as s:
        request = s.scalar(select(CallbackRequest).where(CallbackRequest.reference == waiting))
        assert request is not None and request.status is FollowUpStatus.CANCELED
        tasks = s.scalars(select(ScheduledTask).where(
            ScheduledTask.kind == "followup_attempt",
            ScheduledTask.subject_id == request.id)).all()
        assert tasks and {t.status for t in tasks} == {TaskStatus.CANCELED}
        (entry,) = s.scalars(select(AuditEntry).where(AuditEntry.action == "callback.cancel"))
        assert entry.subject == f"call-back {waiting}" and entry.actor.startswith("cli:")
        assert entry.after == {"status": "canceled"}
    after = run(["callbacks", "list"], tmp_path, **env)
    assert [line.split("\t")[0] for line in after.stdout.splitlines()] == [attempted]


def test_cancel_errors_are_one_line(clean_database_url: str, tmp_path: Path) -> None:
    _, (_, _, done) = seed(clean_database_url)
    env = {"HOTLINE_DATABASE_URL": clean_database_url, "HOTLINE_PRIVACY_KEY": KEY}
    again = run(["callbacks", "cancel", done], tmp_path, **env)
    assert again.returncode == 1
    assert again.stderr == f"hotline: call-back {done} is already done\n"
    unknown = run(["callbacks", "cancel", "ZZZZ"], tmp_path, **env)
    assert unknown.returncode == 1
    assert unknown.stderr == "hotline: no call-back with the reference ZZZZ\n"
