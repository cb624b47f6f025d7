"""The voicemail inbox: the chapter's messages, callers masked, played through the app (never a
network URL), for that chapter's coordinators and admins only."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from flask.testing import FlaskClient
from sqlalchemy import select

from hotline.accounts.users import user_by_email
from hotline.app import create_app
from hotline.audit.models import AuditEntry
from hotline.logs.models import (
    Call,
    CallbackRequest,
    FollowUpKind,
    FollowUpStatus,
    Outcome,
    Voicemail,
)
from hotline.roster.changes import volunteer_by_phone
from hotline.runtime import Runtime
from hotline.standin.calls import Recording, silence_wav
from hotline.standin.switchboard import Switchboard
from hotline.telephony.standin import StandinTelephony
from hotline.work import kinds
from hotline.work.models import ScheduledTask
from tests.conftest import RuntimeFactory
from tests.web.helpers import PEOPLE, leave_voicemail, post, seed, sign_in

AUDIO = silence_wav(2)
LEFT = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def no_network_url(html: str) -> None:
    """Nothing in the page leads to the phone network or names a recording."""
    assert "twilio" not in html.lower() and "standin.invalid" not in html
    assert not re.search(r"RE[0-9a-f]{32}", html)
    assert "16175550987" not in html and "617-555-0987" not in html


def test_a_coordinator_sees_the_chapters_messages_masked_with_the_apps_player(
    seeded: Runtime, login: Callable[[str], FlaskClient],
) -> None:
    boston = leave_voicemail(seeded, at=LEFT, seconds=12, audio=AUDIO)
    chicago = leave_voicemail(seeded, slug="chicago-recovery", caller="+13125550444", at=LEFT,
                              audio=AUDIO)
    page = login("boston").get("/chapters/boston-grief/voicemails")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "***0987" in html and "12 s" in html
    assert f'src="/voicemails/{boston}/recording"' in html
    assert f"/voicemails/{chicago}/recording" not in html and "***0444" not in html
    no_network_url(html)
    # The all-chapters inbox of a coordinator shows only their chapters; an admin's, all.
    mine = login("boston").get("/voicemails").get_data(as_text=True)
    assert f"/voicemails/{boston}/recording" in mine
    assert f"/voicemails/{chicago}/recording" not in mine
    every = login("admin").get("/voicemails").get_data(as_text=True)
    assert f"/voicemails/{boston}/recording" in every
    assert f"/voicemails/{chicago}/recording" in every
    no_network_url(every)


def test_a_caller_who_left_messages_before_is_marked_a_repeat(
    seeded: Runtime, login: Callable[[str], FlaskClient],
) -> None:
    leave_voicemail(seeded, at=LEFT.replace(day=1))
    leave_voicemail(seeded, at=LEFT)
    html = login("boston").get("/chapters/boston-grief/voicemails").get_data(as_text=True)
    assert "call 2 in 7 days" in html


def test_the_recording_is_streamed_by_the_app_whole_or_in_ranges(
    seeded: Runtime, login: Callable[[str], FlaskClient],
) -> None:
    voicemail = leave_voicemail(seeded, audio=AUDIO)
    client = login("boston")
    whole = client.get(f"/voicemails/{voicemail}/recording")
    assert whole.status_code == 200 and whole.data == AUDIO
    assert whole.mimetype == "audio/wav"
    assert whole.headers["Cache-Control"] == "no-store"
    assert whole.headers["Accept-Ranges"] == "bytes"
    part = client.get(f"/voicemails/{voicemail}/recording", headers={"Range": "bytes=4-11"})
    assert part.status_code == 206 and part.data == AUDIO[4:12]
    assert part.headers["Content-Range"] == f"bytes 4-11/{len(AUDIO)}"
    no_network_url(str(whole.headers) + str(part.headers))


def test_only_the_chapters_coordinators_and_admins_may_hear_it(
    seeded: Runtime, login: Callable[[str], FlaskClient],
) -> None:
    voicemail = leave_voicemail(seeded, audio=AUDIO)
    url = f"/voicemails/{voicemail}/recording"
    assert login("admin").get(url).data == AUDIO
    assert login("chicago").get(url).status_code == 404
    assert login("chicago").get("/chapters/boston-grief/voicemails").status_code == 403
    for volunteer in ("ann", "erin"):
        assert login(volunteer).get(url).status_code == 403
        assert login(volunteer).get("/chapters/boston-grief/voicemails").status_code == 403
        assert login(volunteer).get("/voicemails").status_code == 403
    signed_out = create_app(runtime=seeded).test_client().get(url)
    assert signed_out.status_code == 302 and "/login" in signed_out.headers["Location"]
    assert login("boston").get("/voicemails/99999/recording").status_code == 404


def test_a_recording_gone_or_unreachable_is_a_reason_not_a_crash(
    seeded: Runtime, login: Callable[[str], FlaskClient],
) -> None:
    deleted = leave_voicemail(seeded, audio=AUDIO)
    with seeded.transaction() as db:
        row = db.get(Voicemail, deleted)
        assert row is not None
        row.deleted_at = LEFT
    client = login("boston")
    gone = client.get(f"/voicemails/{deleted}/recording")
    assert gone.status_code == 404 and b"retention" in gone.data
    page = client.get("/chapters/boston-grief/voicemails?show=all").get_data(as_text=True)
    assert f"/voicemails/{deleted}/recording" not in page
    missing = leave_voicemail(seeded)              # the network has no such recording
    assert client.get(f"/voicemails/{missing}/recording").status_code == 404
    assert client.get("/chapters/boston-grief/voicemails?show=nonsense").status_code == 400


def test_the_stand_in_serves_the_recording_the_app_streams(
    make_runtime: RuntimeFactory,
) -> None:
    board = Switchboard()
    runtime = make_runtime(telephony=StandinTelephony(board))
    seed(runtime, "boston")
    voicemail = leave_voicemail(runtime, seconds=3)
    with runtime.sessions() as db:
        sid = db.scalars(select(Voicemail.recording_sid).where(Voicemail.id == voicemail)).one()
    board.recordings.append(Recording(sid, "CA" + "1" * 32, f"https://standin.invalid/{sid}", 3,
                                      LEFT, LEFT))
    client = create_app(runtime=runtime).test_client()
    assert sign_in(client, "boston").status_code == 302
    streamed = client.get(f"/voicemails/{voicemail}/recording")
    assert streamed.status_code == 200 and streamed.mimetype == "audio/wav"
    assert streamed.data == board.recording_media(sid) and len(streamed.data) > 44
    board.delete_recording(sid)                     # gone at the network: a 404, not a 500
    assert client.get(f"/voicemails/{voicemail}/recording").status_code == 404


def audit(runtime: Runtime, action: str) -> list[AuditEntry]:
    with runtime.sessions() as db:
        return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)
                               .order_by(AuditEntry.seq)))


def message(runtime: Runtime, voicemail_id: int) -> Voicemail:
    with runtime.sessions() as db:
        row = db.get(Voicemail, voicemail_id)
        assert row is not None
        return row


def test_marking_a_message_handled_records_who_and_when_and_audits_it(
    seeded: Runtime, login: Callable[[str], FlaskClient],
) -> None:
    voicemail = leave_voicemail(seeded, audio=AUDIO)
    client = login("boston")
    url = f"/chapters/boston-grief/voicemails/{voicemail}/handled"
    done = post(client, url, token_from="/chapters/boston-grief/voicemails")
    assert done.status_code == 302
    row = message(seeded, voicemail)
    with seeded.sessions() as db:
        coordinator = user_by_email(db, PEOPLE["boston"][0])
        assert coordinator is not None
    assert row.handled_at is not None and row.handled_by_user_id == coordinator.id
    (entry,) = audit(seeded, "voicemail.handled")
    assert entry.actor == "web:coord@example.org" and entry.subject == f"voicemail {voicemail}"
    assert entry.before["handled_at"] is None and entry.after["handled_at"] is not None
    # Off the list of messages to handle, on the list of handled ones, with who did it.
    assert f"message-{voicemail}" not in client.get(
        "/chapters/boston-grief/voicemails").get_data(as_text=True)
    handled = client.get("/chapters/boston-grief/voicemails?show=handled").get_data(as_text=True)
    assert f"message-{voicemail}" in handled and "by Boston" in handled
    # Twice is refused with a reason (and audited once).
    again = post(client, url, token_from="/chapters/boston-grief/voicemails")
    assert "already marked handled" in client.get(again.headers["Location"]).get_data(
        as_text=True)
    assert len(audit(seeded, "voicemail.handled")) == 1


def test_a_message_is_given_to_a_volunteer_of_its_chapter_only(
    seeded: Runtime, login: Callable[[str], FlaskClient],
) -> None:
    voicemail = leave_voicemail(seeded, audio=AUDIO)
    with seeded.sessions() as db:
        ann = volunteer_by_phone(db, PEOPLE["ann"][3] or "")
        erin = volunteer_by_phone(db, PEOPLE["erin"][3] or "")
    client = login("boston")
    url = f"/chapters/boston-grief/voicemails/{voicemail}/assign"
    assert post(client, url, {"volunteer": ann.id}).status_code == 302
    assert message(seeded, voicemail).claimed_volunteer_id == ann.id
    (entry,) = audit(seeded, "voicemail.assign")
    assert entry.before["assigned_volunteer_id"] is None
    assert entry.after["assigned_volunteer_id"] == ann.id
    assert "given to Ann" in client.get("/chapters/boston-grief/voicemails").get_data(
        as_text=True)
    # Chicago's volunteer is no one to give a Boston message to: refused, nothing changed.
    refused = post(client, url, {"volunteer": erin.id})
    assert "active volunteer of this chapter" in client.get(
        refused.headers["Location"]).get_data(as_text=True)
    assert message(seeded, voicemail).claimed_volunteer_id == ann.id
    assert len(audit(seeded, "voicemail.assign")) == 1
    # Nobody in particular again.
    post(client, url, {"volunteer": 0})
    assert message(seeded, voicemail).claimed_volunteer_id is None
    assert post(client, url, {"volunteer": "ann"}).status_code == 400


def test_another_chapters_coordinator_cannot_change_the_message(
    seeded: Runtime, login: Callable[[str], FlaskClient],
) -> None:
    voicemail = leave_voicemail(seeded, audio=AUDIO)
    chicago = login("chicago")
    for what, data in (("handled", {}), ("assign", {"volunteer": 0})):
        assert post(chicago, f"/chapters/boston-grief/voicemails/{voicemail}/{what}",
                    data).status_code == 403
        # ... nor through their own chapter's URL: not a message of theirs.
        assert post(chicago, f"/chapters/chicago-recovery/voicemails/{voicemail}/{what}",
                    data).status_code == 404
        assert post(login("ann"), f"/chapters/boston-grief/voicemails/{voicemail}/{what}",
                    data).status_code == 403
    row = message(seeded, voicemail)
    assert row.handled_at is None and row.claimed_volunteer_id is None
    assert audit(seeded, "voicemail.handled") == audit(seeded, "voicemail.assign") == []


def test_a_call_back_from_a_message_is_the_call_back_domains_request(
    seeded: Runtime, login: Callable[[str], FlaskClient],
) -> None:
    voicemail = leave_voicemail(seeded, audio=AUDIO)
    withheld = leave_voicemail(seeded, caller=None, audio=AUDIO)
    with seeded.sessions() as db:
        ben = volunteer_by_phone(db, PEOPLE["ben"][3] or "")
    client = login("boston")
    post(client, f"/chapters/boston-grief/voicemails/{voicemail}/assign", {"volunteer": ben.id})
    assert post(client, f"/chapters/boston-grief/voicemails/{voicemail}/callback").status_code \
        == 302
    with seeded.sessions() as db:
        (request,) = db.scalars(select(CallbackRequest)).all()
        row = db.get(Voicemail, voicemail)
        assert row is not None and request.call_id == row.call_id
        assert request.kind is FollowUpKind.CALLBACK and request.status is FollowUpStatus.OPEN
        assert request.claimed_volunteer_id == ben.id         # the message was given to Ben
        call = db.get(Call, row.call_id)
        assert call is not None and call.outcome is Outcome.VOICEMAIL  # not asked by the caller
        (attempt,) = db.scalars(select(ScheduledTask).where(
            ScheduledTask.kind == kinds.FOLLOWUP_ATTEMPT)).all()
        assert attempt.subject_id == request.id
    assert row.handled_at is not None
    (entry,) = audit(seeded, "voicemail.callback")
    assert entry.subject == f"voicemail {voicemail}: call-back {request.reference}"
    page = client.get("/chapters/boston-grief/voicemails?show=all").get_data(as_text=True)
    assert f"{request.reference} (waiting)" in page
    # Started twice, it is the same request; a withheld number cannot be called back.
    post(client, f"/chapters/boston-grief/voicemails/{voicemail}/callback")
    refused = post(client, f"/chapters/boston-grief/voicemails/{withheld}/callback")
    assert "withheld their number" in client.get(refused.headers["Location"]).get_data(
        as_text=True)
    with seeded.sessions() as db:
        assert len(db.scalars(select(CallbackRequest)).all()) == 1
    assert post(login("chicago"), f"/chapters/boston-grief/voicemails/{voicemail}/callback"
                ).status_code == 403
