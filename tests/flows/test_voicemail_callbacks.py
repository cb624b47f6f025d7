"""A coordinator returns a message from the voicemail inbox: the call-back domain's own request,
shown in the chapter's call-back queue, whose attempt rings the volunteer on call and then the
caller from the hotline number (masked), as any call-back."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import select

from hotline.accounts.models import Role
from hotline.accounts.users import add_user, redeem_link
from hotline.audit.models import AuditEntry
from hotline.logs.models import AttemptResult, Call, CallbackRequest, FollowUpStatus, Voicemail
from hotline.roster.models import Chapter
from hotline.standin.phones import answers, leaves_voicemail, rings_out
from tests.conftest import RuntimeFactory
from tests.flows.harness import CALLER, HOTLINE, Hotline, hotline, seed_chapter, status_url
from tests.web.helpers import PASSWORD, csrf

ANN = "+16175550111"
ALWAYS = "00:00-00:00"
EMAIL = "coord@example.org"


def coordinator(line: Hotline) -> FlaskClient:
    """The chapter's coordinator, signed in to the web app."""
    with line.runtime.transaction() as db:
        chapter = db.scalars(select(Chapter)).one()
        _user, token = add_user(db, EMAIL, "Cora", Role.COORDINATOR, now=line.board.now(),
                                chapters=[chapter])
        redeem_link(db, token, PASSWORD, now=line.board.now())
    client = line.app.test_client()
    page = client.get("/login")
    signed = client.post("/login", data={"email": EMAIL, "password": PASSWORD,
                                         "csrf_token": csrf(page.data)})
    assert signed.status_code == 302, signed.data
    return client


def test_a_call_back_started_from_a_message_is_queued_and_made(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime, {ANN: rings_out()})
    seed_chapter(line.runtime, {1: [ANN]}, ring_timeout_seconds=10, max_wait_seconds=20,
                 callback_hours=ALWAYS, callback_delays_minutes=[5, 30])
    report = line.sim.call(CALLER, HOTLINE, caller=leaves_voicemail(8),
                           status_callback=status_url())
    assert len(report.recordings) == 1
    client = coordinator(line)
    inbox = client.get("/chapters/boston-grief/voicemails").get_data(as_text=True)
    (voicemail_id,) = {int(n) for n in re.findall(r'src="/voicemails/(\d+)/recording"', inbox)}
    # The recording the page plays is the stand-in's, through the app.
    audio = client.get(f"/voicemails/{voicemail_id}/recording")
    assert audio.data == line.board.recording_media(report.recordings[0].sid)
    started = client.post(f"/chapters/boston-grief/voicemails/{voicemail_id}/callback",
                          data={"csrf_token": csrf(inbox)})
    assert started.status_code == 302
    with line.runtime.sessions() as db:
        request = db.scalars(select(CallbackRequest)).one()
        message = db.get(Voicemail, voicemail_id)
        assert message is not None and message.handled_at is not None
        assert request.status is FollowUpStatus.OPEN and request.attempts == 0
        origin = db.get(Call, request.call_id)
        assert origin is not None and origin.id == message.call_id
        entry = db.scalars(select(AuditEntry).where(AuditEntry.action ==
                                                    "voicemail.callback")).one()
        assert request.reference and request.reference in entry.subject
        reference = request.reference
    queue = client.get("/chapters/boston-grief/callbacks").get_data(as_text=True)
    assert f'id="callback-{reference}" data-state="waiting"' in queue
    assert CALLER[-10:] not in queue and "***0199" in queue
    # Five minutes on (the chapter's first delay) Ann is at her phone, and the caller at theirs.
    line.board.phone(ANN, answers(after=3, talk_seconds=60))
    line.board.phone(CALLER, answers(after=4, talk_seconds=45))
    line.sim.advance(6 * 60)
    line.sim.run_until_idle()
    caller_legs = [leg for leg in line.board.legs.values()
                   if leg.to == CALLER and leg.direction == "outbound-api"]
    assert len(caller_legs) == 1 and caller_legs[0].from_ == HOTLINE   # masked: the line's number
    with line.runtime.sessions() as db:
        (attempt,) = db.scalars(select(Call).where(Call.followup_id.is_not(None))).all()
        assert attempt.result is AttemptResult.ANSWERED
        done = db.scalars(select(CallbackRequest)).one()
        assert done.status is FollowUpStatus.DONE and done.attempts == 1
    queue = client.get("/chapters/boston-grief/callbacks").get_data(as_text=True)
    assert f'id="callback-{reference}" data-state="done"' in queue
    row = re.search(r'<tr class="attempt">(.*?)</tr>', queue, re.S)
    assert row and "Volunteer 0111" in row.group(1) and "answered" in row.group(1)
