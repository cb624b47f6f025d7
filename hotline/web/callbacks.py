"""A chapter's call-back queue: follow-ups waiting, attempted and done, each attempt shown;
given to one volunteer of the chapter or canceled (as `hotline callbacks cancel`), audited."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from hotline.callbacks.inbox import FollowUpError, member_of, takers_of
from hotline.callbacks.listing import (
    CancelError,
    State,
    assign_callback,
    attempts_of,
    cancel_callback,
    list_callbacks,
    open_request,
)
from hotline.roster import models
from hotline.web.access import coordinator_page, runtime
from hotline.web.changes import Done, apply, reason
from hotline.web.forms import ActionForm, AssignForm

bp = Blueprint("callbacks", __name__, url_prefix="/chapters/<slug>")
DONE_SHOWN = 50        # the most recent ended follow-ups on the page


@bp.get("/callbacks")
@coordinator_page
def queue(chapter: models.Chapter) -> ResponseReturnValue:
    with runtime().sessions() as db:
        lines = list_callbacks(db, chapter_slug=chapter.slug, done_limit=DONE_SHOWN)
        attempts = attempts_of(db, [line.id for line in lines])
        team = takers_of(db, chapter.id)
    sections = {state: [line for line in lines if line.state is state] for state in State}
    sections[State.DONE] = sorted(sections[State.DONE], key=lambda line: line.ended_at or
                                  line.requested_at, reverse=True)
    return render_template("callbacks/queue.html", chapter=chapter, sections=sections,
                           attempts=attempts, team=team, State=State)


def _check(reference: str, chapter: models.Chapter) -> None:
    with runtime().sessions() as db:
        try:
            open_request(db, reference, chapter.id)
        except CancelError:
            abort(404, _("No open call-back with that reference in this chapter."))


def _back(chapter: models.Chapter) -> ResponseReturnValue:
    return redirect(url_for("web.callbacks.queue", slug=chapter.slug))


@bp.post("/callbacks/<reference>/assign")
@coordinator_page
def assign(chapter: models.Chapter, reference: str) -> ResponseReturnValue:
    form = AssignForm()
    if not form.validate_on_submit() or form.volunteer.data is None:
        abort(400, _("Choose a volunteer of this chapter."))
    chosen: int = form.volunteer.data
    _check(reference, chapter)
    given: list[str] = []

    def change(db: Session, now: datetime) -> Done:
        request = open_request(db, reference, chapter.id)
        volunteer = member_of(db, chapter.id, chosen) if chosen else None
        before = {"taken_by_volunteer_id": request.claimed_volunteer_id}
        assign_callback(request, volunteer, now)
        given.append(volunteer.name if volunteer else "")
        return Done(f"call-back {request.reference}", before,
                    {"taken_by_volunteer_id": request.claimed_volunteer_id})

    try:
        error = apply("callback.assign", chapter.id, change)
    except FollowUpError as exc:
        error = reason(exc)
    except CancelError:
        error = _("This call-back has ended already.")
    flash(error or (_("Given to %(name)s: its attempts ring them.", name=given[0])
                    if given and given[0] else
                    _("Given to nobody in particular: the volunteers on call are offered it.")))
    return _back(chapter)


@bp.post("/callbacks/<reference>/cancel")
@coordinator_page
def cancel(chapter: models.Chapter, reference: str) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400, _("The form was incomplete. Go back and try again."))
    _check(reference, chapter)

    def change(db: Session, now: datetime) -> Done:
        open_request(db, reference, chapter.id)          # this chapter's, still open
        request = cancel_callback(db, reference, now)
        return Done(f"call-back {request.reference}",
                    {"status": "open", "attempts": request.attempts},
                    {"status": request.status.value})

    try:
        error = apply("callback.cancel", chapter.id, change)
    except CancelError:
        error = _("This call-back has ended already.")
    flash(error or _("Call-back %(reference)s canceled: no further attempt is made.",
                     reference=reference.strip().upper()))
    return _back(chapter)
