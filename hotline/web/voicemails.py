"""The voicemail inbox: a chapter's messages (or every chapter the viewer runs), played through
the app, marked handled, given to a volunteer, or returned as a masked call-back.

The recording stays at the phone network, behind the account's credentials: the app fetches
it through the telephony layer and streams it to the page. No network URL, recording id or
credential reaches the browser.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from hotline.callbacks.inbox import (
    LIST_LIMIT,
    FollowUpError,
    assign_voicemail,
    call_back,
    list_voicemails,
    mark_handled,
    summary,
    takers_of,
    voicemail_in,
)
from hotline.logs.models import Call, Voicemail
from hotline.roster import models
from hotline.telephony import TelephonyError
from hotline.web.access import chapters_run_by, coordinator_page, runtime, staff_page, viewer
from hotline.web.changes import Done, apply, reason
from hotline.web.forms import ActionForm, AssignForm

log = logging.getLogger(__name__)
bp = Blueprint("voicemails", __name__)
NOT_FOUND = 20404      # Twilio's code for a resource that is not there (deleted)


def _filter() -> bool | None:
    shown = request.args.get("show", "open")
    if shown not in ("open", "handled", "all"):
        abort(400, _("show must be open, handled or all"))
    return {"open": False, "handled": True, "all": None}[shown]


@bp.get("/chapters/<slug>/voicemails")
@coordinator_page
def inbox(chapter: models.Chapter) -> ResponseReturnValue:
    handled = _filter()
    with runtime().sessions() as db:
        lines = list_voicemails(db, [chapter.id], handled=handled)
        team = takers_of(db, chapter.id)
    return render_template("voicemails/inbox.html", chapter=chapter, lines=lines,
                           teams={chapter.id: team}, show=request.args.get("show", "open"),
                           everywhere=False, limit=LIST_LIMIT)


@bp.get("/voicemails")
@staff_page
def everywhere() -> ResponseReturnValue:
    handled = _filter()
    with runtime().sessions() as db:
        chapters = chapters_run_by(db, viewer())
        ids = [c.id for c in chapters]
        lines = list_voicemails(db, ids, handled=handled) if ids else []
        teams = {c.id: takers_of(db, c.id) for c in chapters}
    return render_template("voicemails/inbox.html", chapter=None, lines=lines, teams=teams,
                           show=request.args.get("show", "open"), everywhere=True,
                           limit=LIST_LIMIT)


def audio_type(audio: bytes) -> str:
    """The media type of a recording's bytes (Twilio serves WAV by default, MP3 if asked)."""
    if audio[:4] == b"RIFF" and audio[8:12] == b"WAVE":
        return "audio/wav"
    if audio[:3] == b"ID3" or (len(audio) > 1 and audio[0] == 0xFF and audio[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    return "application/octet-stream"


@bp.get("/voicemails/<int:voicemail_id>/recording")
@staff_page
def recording(voicemail_id: int) -> ResponseReturnValue:
    """The message's audio, fetched now with the account's credentials (never cached)."""
    rt, who = runtime(), viewer()
    with rt.sessions() as db:
        found = voicemail_in(db, voicemail_id, None)
        if found is None or not who.coordinates(found[1].chapter_id or 0):
            abort(404, _("No such message."))
        voicemail = found[0]
        if voicemail.deleted_at is not None or voicemail.status != "completed":
            abort(404, _("This message's recording is gone (deleted after the retention time)."))
        sid = voicemail.recording_sid
    try:
        audio = rt.telephony.recording_audio(sid)
    except TelephonyError as exc:
        log.warning("message %s: its audio could not be fetched: %s", voicemail_id, exc)
        if exc.code == NOT_FOUND:
            abort(404, _("The phone network no longer has this recording."))
        return Response(_("The recording could not be fetched from the phone network. Try "
                          "again in a minute."), status=503, mimetype="text/plain",
                        headers={"Retry-After": "60"})
    response = Response(audio, mimetype=audio_type(audio))
    response.headers["Cache-Control"] = "no-store"
    return response.make_conditional(request, accept_ranges=True, complete_length=len(audio))


def _message(db: Session, chapter: models.Chapter, voicemail_id: int) -> tuple[Voicemail, Call]:
    found = voicemail_in(db, voicemail_id, frozenset({chapter.id}))
    if found is None:
        abort(404, _("No such message in this chapter."))
    return found


def _back(chapter: models.Chapter) -> ResponseReturnValue:
    if request.form.get("back") == "all":
        return redirect(url_for("web.voicemails.everywhere"))
    return redirect(url_for("web.voicemails.inbox", slug=chapter.slug))


def _change(action: str, chapter: models.Chapter, voicemail_id: int,
            act: Callable[[Session, Voicemail, Call, datetime], str]) -> str | None:
    """Change one message of the chapter (and audit it); a refusal's reason instead."""
    with runtime().sessions() as db:
        _message(db, chapter, voicemail_id)              # a 404 before anything is written

    def change(db: Session, now: datetime) -> Done:
        voicemail, call = _message(db, chapter, voicemail_id)
        before = summary(voicemail)
        subject = act(db, voicemail, call, now)
        return Done(subject, before, summary(voicemail))

    try:
        return apply(action, chapter.id, change)
    except FollowUpError as exc:
        return reason(exc)


@bp.post("/chapters/<slug>/voicemails/<int:voicemail_id>/handled")
@coordinator_page
def handled(chapter: models.Chapter, voicemail_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400, _("The form was incomplete. Go back and try again."))
    who = viewer()

    def act(db: Session, voicemail: Voicemail, call: Call, now: datetime) -> str:
        mark_handled(voicemail, who.id, now)
        return f"voicemail {voicemail.id}"

    flash(_change("voicemail.handled", chapter, voicemail_id, act) or _("Marked handled."))
    return _back(chapter)


@bp.post("/chapters/<slug>/voicemails/<int:voicemail_id>/assign")
@coordinator_page
def assign(chapter: models.Chapter, voicemail_id: int) -> ResponseReturnValue:
    form = AssignForm()
    if not form.validate_on_submit() or form.volunteer.data is None:
        abort(400, _("Choose a volunteer of this chapter."))
    chosen: int = form.volunteer.data
    given: list[str] = []

    def act(db: Session, voicemail: Voicemail, call: Call, now: datetime) -> str:
        volunteer = assign_voicemail(db, voicemail, call, chosen or None, now)
        given.append(volunteer.name if volunteer else "")
        return f"voicemail {voicemail.id}"

    error = _change("voicemail.assign", chapter, voicemail_id, act)
    flash(error or (_("Given to %(name)s: only they hear it in the dial-in menu.",
                      name=given[0]) if given and given[0]
                    else _("Given to nobody in particular.")))
    return _back(chapter)


@bp.post("/chapters/<slug>/voicemails/<int:voicemail_id>/callback")
@coordinator_page
def callback(chapter: models.Chapter, voicemail_id: int) -> ResponseReturnValue:
    """Return the caller's call through the call-back domain (masked: the hotline's number),
    offered to the volunteers on call like any call-back; the message is then handled."""
    if not ActionForm().validate_on_submit():
        abort(400, _("The form was incomplete. Go back and try again."))
    who, started = viewer(), []

    def act(db: Session, voicemail: Voicemail, call: Call, now: datetime) -> str:
        request = call_back(db, voicemail, call, who.id, now)
        started.append(request.reference or "")
        return f"voicemail {voicemail.id}: call-back {request.reference}"

    error = _change("voicemail.callback", chapter, voicemail_id, act)
    flash(error or _("Call-back %(reference)s started: a volunteer on call is offered it at "
                     "the chapter's first call-back delay, inside its call-back hours.",
                     reference=started[0]))
    return _back(chapter)
