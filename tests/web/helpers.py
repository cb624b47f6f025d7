"""Signing in through the real pages, and reading forms' CSRF tokens out of them."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from hotline.accounts.models import Role
from hotline.accounts.users import add_user, redeem_link
from hotline.roster import models
from hotline.roster.rotafile import parse_rota
from hotline.roster.rotasync import import_rota
from hotline.runtime import Runtime

SAMPLE = Path(__file__).resolve().parents[2] / "hotline" / "sample" / "rota.toml"
PASSWORD = "correct horse battery"
IMPORTED = datetime(2026, 3, 1, tzinfo=UTC)
# Who signs in as what, over the sample rota: (email, role, chapters, volunteer phone).
PEOPLE: dict[str, tuple[str, Role, tuple[str, ...], str | None]] = {
    "admin": ("admin@example.org", Role.ADMIN, (), None),
    "boston": ("coord@example.org", Role.COORDINATOR, ("boston-grief",), None),
    "chicago": ("chi@example.org", Role.COORDINATOR, ("chicago-recovery",), None),
    "ann": ("ann@example.org", Role.VOLUNTEER, (), "+16175550111"),       # Boston
    "ben": ("ben@example.org", Role.VOLUNTEER, (), "+16175550112"),       # Boston
    "erin": ("erin@example.org", Role.VOLUNTEER, (), "+13125550111"),     # Chicago
}


def seed(runtime: Runtime, *who: str) -> None:
    """The sample rota, and accounts with PASSWORD for the named PEOPLE (all when none given)."""
    with runtime.transaction() as db:
        import_rota(db, parse_rota(SAMPLE.read_text()), now=IMPORTED)
        for key in who or tuple(PEOPLE):
            email, role, slugs, phone = PEOPLE[key]
            chapters = [db.scalars(select(models.Chapter).where(models.Chapter.slug == s)).one()
                        for s in slugs]
            volunteer = (db.scalars(select(models.Volunteer).where(models.Volunteer.phone == phone))
                         .one() if phone else None)
            _user, token = add_user(db, email, key.title(), role, now=IMPORTED,
                                    chapters=chapters, volunteer=volunteer)
            redeem_link(db, token, PASSWORD, now=IMPORTED)


def csrf(html: bytes | str) -> str:
    text = html.decode() if isinstance(html, bytes) else html
    found = re.search(r'name="(?:[\w-]*-)?csrf_token" type="hidden" value="([^"]+)"', text) or \
        re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(client: FlaskClient, key: str, password: str = PASSWORD) -> Any:
    page = client.get("/login")
    return client.post("/login", data={"email": PEOPLE[key][0], "password": password,
                                       "csrf_token": csrf(page.data)})


def post(client: FlaskClient, url: str, data: dict[str, Any] | None = None,
         token_from: str | None = None) -> Any:
    """POST a form the way a browser would: with the CSRF token of a page it was on."""
    page = client.get(token_from or "/account")
    return client.post(url, data={"csrf_token": csrf(page.data), **(data or {})})


def leave_voicemail(runtime: Runtime, *, slug: str = "boston-grief",
                    caller: str | None = "+16175550987", at: datetime = IMPORTED,
                    seconds: int = 8, audio: bytes | None = None) -> int:
    """A finished call in the chapter whose caller left a message (its audio held by the
    runtime's RecordingTelephony, when `audio` is given); the message's id."""
    from hotline.logs.models import Call, Outcome, Phase
    from hotline.logs.records import record_voicemail
    from hotline.phone import E164
    from hotline.privacy import mask

    sid = "RE" + uuid.uuid4().hex
    with runtime.transaction() as db:
        chapter = db.scalars(select(models.Chapter).where(models.Chapter.slug == slug)).one()
        number = db.scalars(select(models.ChapterNumber.number)
                            .where(models.ChapterNumber.chapter_id == chapter.id)).first()
        call = Call(call_sid="CA" + uuid.uuid4().hex, chapter_id=chapter.id,
                    to_number=number or "+16175550100", started_at=at, phase=Phase.LEFT,
                    ended_at=at + timedelta(seconds=seconds + 20), outcome=Outcome.VOICEMAIL,
                    caller_cipher=runtime.privacy.encrypt(E164(caller)) if caller else "",
                    caller_hash=runtime.privacy.digest(E164(caller)) if caller else "",
                    caller_hint=mask(caller))
        db.add(call)
        db.flush()
        voicemail = record_voicemail(
            db, call, recording_sid=sid, status="completed", at=at + timedelta(seconds=20),
            recording_url=f"https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/{sid}",
            duration_seconds=seconds)
        voicemail_id = voicemail.id
    if audio is not None:
        runtime.telephony.recordings[sid] = audio  # type: ignore[attr-defined]
    return voicemail_id


def owe_callback(runtime: Runtime, caller: str, *, tried: Any = None) -> str:
    """A call-back owed on a Boston caller's call (tried once with `tried`, if given, by Ann);
    its reference."""
    from hotline.callbacks.requests import request_followup
    from hotline.logs.models import Call, CallKind, CallLeg, FollowUpKind, LegStatus, Voicemail
    from hotline.roster.changes import volunteer_by_phone

    voicemail = leave_voicemail(runtime, caller=caller)
    with runtime.transaction() as db:
        message = db.get(Voicemail, voicemail)
        assert message is not None
        origin = db.get(Call, message.call_id)
        assert origin is not None
        request = request_followup(db, origin, FollowUpKind.CALLBACK, IMPORTED)
        assert request is not None and request.reference
        if tried is not None:
            ann = volunteer_by_phone(db, PEOPLE["ann"][3] or "")
            request.attempts = 1
            attempt = Call(call_sid="CB" + request.reference * 8, kind=CallKind.CALLBACK,
                           chapter_id=origin.chapter_id, to_number=origin.to_number,
                           origin_call_id=origin.id, followup_id=request.id,
                           started_at=IMPORTED + timedelta(minutes=5), result=tried,
                           caller_hint=origin.caller_hint)
            db.add(attempt)
            db.flush()
            leg = CallLeg(call_id=attempt.id, volunteer_id=ann.id, volunteer_name=ann.name,
                          status=LegStatus.COMPLETED, created_at=attempt.started_at)
            db.add(leg)
            db.flush()
            attempt.answered_leg_id = leg.id
        return request.reference
