"""Record writers: a call written once, numbers encrypted, events once."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from hotline.logs import records
from hotline.logs.models import Call
from hotline.phone import E164
from hotline.privacy import Privacy
from hotline.roster.models import Chapter
from hotline.runtime import Runtime

AT = datetime(2026, 3, 10, 18, 30, tzinfo=UTC)


def make_call(session: Session, privacy: Privacy, sid: str = "CA" + "d" * 32) -> Call:
    chapter = Chapter(slug=f"c-{sid[-4:]}", name="C", timezone="UTC")
    session.add(chapter)
    session.flush()
    call_id = records.open_call(
        session, privacy, call_sid=sid, to_number="+16175550100", caller=E164("+16175550199"),
        started_at=AT, chapter_id=chapter.id)
    assert call_id is not None
    call = session.get(Call, call_id)
    assert call is not None
    return call


def test_event_recorded_once(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        sid = "CA" + "f" * 32
        assert records.record_event(session, sid, 2, "ringing", AT)
        assert not records.record_event(session, sid, 2, "ringing", AT)
        assert records.record_event(session, sid, 3, "completed", AT)


def test_open_call_writes_once_and_keeps_the_number_encrypted(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        call = make_call(session, runtime.privacy)
        again = records.open_call(
            session, runtime.privacy, call_sid=call.call_sid, to_number="+16175550100",
            caller=E164("+16175550199"), started_at=AT, chapter_id=call.chapter_id)
        assert again is None                       # a retried webhook writes nothing
        assert "6175550199" not in call.caller_cipher and call.caller_hint == "***0199"
        assert runtime.privacy.decrypt(call.caller_cipher) == "+16175550199"
