"""A volunteer's own pages: my shifts and calendar link, swaps (offer, take, withdraw), taking
an open gap, marking myself unavailable, my calls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.logs.contactlog import call_chapter
from hotline.logs.live import calls_of_volunteer, my_call
from hotline.logs.notes import find_note, note_summary, read_note, taken_by, write_note
from hotline.reminders.swaps import pages_url, swap_offered, swap_taken
from hotline.roster import models
from hotline.roster.changes import (
    RotaChangeError,
    add_override,
    add_unavailability,
    decline_swap,
    offer_swap,
    take_swap,
)
from hotline.roster.edits import override_summary, swap_summary
from hotline.roster.feeds import create_feed
from hotline.roster.localtime import as_utc
from hotline.roster.rules import OverrideKind, Tier
from hotline.roster.store import load_rota_between
from hotline.roster.timeline import Gap, find_gaps, timeline, volunteer_intervals
from hotline.web.access import Viewer, runtime, signed_in, viewer, volunteer_page
from hotline.web.changes import Done, apply, local_instant, refused
from hotline.web.forms import ActionForm, NoteForm, OfferForm, UnavailableForm

bp = Blueprint("me", __name__, url_prefix="/me")
AHEAD = timedelta(days=14)


@dataclass(frozen=True)
class Stint:
    """One stretch on call for me in one chapter."""

    chapter: models.Chapter
    tier: int
    start: datetime
    end: datetime


def _mine(who: Viewer) -> int:
    if who.volunteer_id is None:
        abort(403)
    return who.volunteer_id


def _chapters(db: Session, who: Viewer) -> list[models.Chapter]:
    query = select(models.Chapter).order_by(models.Chapter.name)
    if who.chapters is not None:
        query = query.where(models.Chapter.id.in_(sorted(who.chapters)))
    return list(db.scalars(query))


def _stints_and_gaps(db: Session, volunteer_id: int, chapters: list[models.Chapter],
                     now: datetime) -> tuple[list[Stint], list[tuple[models.Chapter, Gap]]]:
    stints: list[Stint] = []
    gaps: list[tuple[models.Chapter, Gap]] = []
    for chapter in chapters:
        rota = load_rota_between(db, chapter.id, now, now + AHEAD)
        segments = timeline(rota, now, now + AHEAD)
        stints += [Stint(chapter, int(i.tier), i.start, i.end)
                   for i in volunteer_intervals(segments) if i.volunteer_id == volunteer_id]
        gaps += [(chapter, gap) for gap in find_gaps(rota, now, now + AHEAD)]
    stints.sort(key=lambda s: s.start)
    return stints, gaps


@bp.get("")
@signed_in
def mine() -> ResponseReturnValue:
    return _page()


def _page(feed_url: str | None = None, offer: OfferForm | None = None,
          unavailable: UnavailableForm | None = None) -> ResponseReturnValue:
    """My shifts page; a refused form comes back with its errors and what was typed (400)."""
    who, rt = viewer(), runtime()
    if who.volunteer_id is None:
        return render_template("me/none.html")
    now = as_utc(rt.clock())
    with rt.sessions() as db:
        chapters = _chapters(db, who)
        stints, gaps = _stints_and_gaps(db, who.volunteer_id, chapters, now)
        swaps = db.scalars(
            select(models.SwapRequest)
            .where(models.SwapRequest.chapter_id.in_([c.id for c in chapters]),
                   models.SwapRequest.status.in_(["offered", "taken"]),
                   models.SwapRequest.end > now)
            .order_by(models.SwapRequest.start)).all()
        names = {v.id: v.name for v in db.scalars(select(models.Volunteer).where(
            models.Volunteer.id.in_({s.offered_by_id for s in swaps}
                                    | {s.taken_by_id for s in swaps if s.taken_by_id})))}
    refused_form = offer is not None or unavailable is not None
    if offer is None:
        offer = OfferForm(formdata=None)
        offer.chapter.choices = [(c.id, c.name) for c in chapters]
    page = render_template(
        "me/mine.html", stints=stints, gaps=gaps, swaps=swaps, names=names, me=who.volunteer_id,
        chapters={c.id: c for c in chapters}, offer=offer,
        unavailable=unavailable or UnavailableForm(prefix="away", formdata=None),
        action=ActionForm(), feed_url=feed_url, zone=_zone(chapters), now=now,
    )
    return (page, 400) if refused_form else page


def _zone(chapters: list[models.Chapter]) -> ZoneInfo:
    return ZoneInfo(chapters[0].timezone if chapters else "UTC")


@bp.post("/calendar")
@volunteer_page
def calendar() -> ResponseReturnValue:
    who = viewer()
    volunteer_id = _mine(who)
    if not ActionForm().validate_on_submit():
        abort(400)
    rt = runtime()
    made: list[str] = []

    def change(db: Session, now: datetime) -> Done:
        volunteer = db.get(models.Volunteer, volunteer_id)
        assert volunteer is not None
        feed, token = create_feed(db, now=now, volunteer=volunteer)
        made.append(token)
        return Done(f"feed {feed.id}", None, {"id": feed.id, "volunteer_id": volunteer_id})

    apply("feed.create", None, change)
    (token,) = made
    # Shown once, in this page only: the URL is a secret, so it never goes into the cookie.
    return _page(feed_url=f"{rt.settings.app.public_url.rstrip('/')}/calendar/{token}.ics")


@bp.post("/swaps")
@volunteer_page
def offer() -> ResponseReturnValue:
    who = viewer()
    volunteer_id = _mine(who)
    form = OfferForm()
    with runtime().sessions() as db:
        form.chapter.choices = [(c.id, c.name) for c in _chapters(db, who)]
    if not form.validate_on_submit():
        return _page(offer=form)

    def change(db: Session, now: datetime) -> Done:
        chapter = db.get(models.Chapter, form.chapter.data)
        volunteer = db.get(models.Volunteer, volunteer_id)
        assert chapter is not None and volunteer is not None
        row = offer_swap(db, chapter, volunteer, local_instant(form.start.data, chapter.timezone),
                         local_instant(form.end.data, chapter.timezone), now=now,
                         note=form.note.data or "")
        swap_offered(db, row, pages_url(runtime().settings), now)
        return Done(f"swap {row.id}", None, swap_summary(row))

    if refused(form.start, apply("swap.offer", form.chapter.data, change)):
        return _page(offer=form)
    flash(_("Asked: others on your line can now take it; a coordinator approves."))
    return redirect(url_for("web.me.mine"))


@bp.post("/swaps/<int:swap_id>/<any(take, withdraw):what>")
@volunteer_page
def swap(swap_id: int, what: str) -> ResponseReturnValue:
    who = viewer()
    volunteer_id = _mine(who)
    if not ActionForm().validate_on_submit():
        abort(400)
    with runtime().sessions() as db:
        row = db.get(models.SwapRequest, swap_id)
        if row is None or (who.chapters is not None and row.chapter_id not in who.chapters):
            abort(404)
        if what == "withdraw" and row.offered_by_id != volunteer_id:
            abort(403)
        chapter_id = row.chapter_id

    def change(db: Session, now: datetime) -> Done:
        volunteer = db.get(models.Volunteer, volunteer_id)
        assert volunteer is not None
        if what == "take":
            done = take_swap(db, swap_id, volunteer, now=now)
            swap_taken(db, done, now)
        else:
            done = decline_swap(db, swap_id, now=now)
        return Done(f"swap {swap_id}", None, swap_summary(done))

    error = apply(f"swap.{what}", chapter_id, change)
    flash(error or (_("Taken: it is yours once a coordinator approves.") if what == "take"
                    else _("Withdrawn.")))
    return redirect(url_for("web.me.mine"))


@bp.post("/gaps")
@volunteer_page
def take_gap() -> ResponseReturnValue:
    """Cover an open gap at tier 1: only a gap the rota really has now, whole."""
    who = viewer()
    volunteer_id = _mine(who)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        chapter_id = int(request.form.get("chapter", ""))
        start = datetime.fromisoformat(request.form.get("start", ""))
        end = datetime.fromisoformat(request.form.get("end", ""))
        start, end = as_utc(start), as_utc(end)
    except ValueError:
        abort(400)
    if who.chapters is not None and chapter_id not in who.chapters:
        abort(403)

    def change(db: Session, now: datetime) -> Done:
        chapter = db.get(models.Chapter, chapter_id)
        volunteer = db.get(models.Volunteer, volunteer_id)
        assert chapter is not None and volunteer is not None
        _stints, gaps = _stints_and_gaps(db, volunteer_id, [chapter], as_utc(now))
        if not any(g.start <= start and end <= g.end and start < end for _c, g in gaps):
            raise RotaChangeError(_("That gap has been covered or has changed; look again."))
        row = add_override(db, chapter, OverrideKind.ADD, volunteer, start, end, now=now,
                           tier=Tier.PRIMARY, reason="covered a gap", source="volunteer")
        return Done(f"override {row.id}", None, override_summary(row))

    error = apply("gap.take", chapter_id, change)
    flash(error or _("Thank you: you are on call for that time."))
    return redirect(url_for("web.me.mine"))


@bp.post("/unavailable")
@volunteer_page
def unavailable() -> ResponseReturnValue:
    who, rt = viewer(), runtime()
    volunteer_id = _mine(who)
    form = UnavailableForm(prefix="away")
    with rt.sessions() as db:
        zone = _zone(_chapters(db, who)).key
    if not form.validate_on_submit():
        return _page(unavailable=form)

    def change(db: Session, now: datetime) -> Done:
        volunteer = db.get(models.Volunteer, volunteer_id)
        assert volunteer is not None
        row = add_unavailability(db, volunteer, local_instant(form.start.data, zone),
                                 local_instant(form.end.data, zone), now=now,
                                 reason=form.reason.data or "")
        return Done(volunteer.name, None, {"id": row.id, "start": row.start, "end": row.end})

    if refused(form.start, apply("unavailable.add", who.chapters, change)):
        return _page(unavailable=form)
    flash(_("Marked: you will not be rung then, on any line."))
    return redirect(url_for("web.me.mine"))


@bp.get("/calls")
@volunteer_page
def calls() -> ResponseReturnValue:
    who = viewer()
    volunteer_id = _mine(who)
    with runtime().sessions() as db:
        rows = calls_of_volunteer(db, volunteer_id)
    return render_template("me/calls.html", rows=rows)


@bp.route("/calls/<int:call_id>/note", methods=["GET", "POST"])
@volunteer_page
def note(call_id: int) -> ResponseReturnValue:
    """The note on a call I took: written and read by me (and the chapter's coordinators on
    the call's page), nobody else; 403 for a call I did not take, 404 for no such call."""
    who, rt = viewer(), runtime()
    volunteer_id = _mine(who)
    with rt.sessions() as db:
        exists, chapter_id = call_chapter(db, call_id)
        if not exists:
            abort(404)
        if taken_by(db, call_id) != volunteer_id:
            abort(403)
        call = my_call(db, volunteer_id, call_id)
        words = read_note(db, rt.privacy, call_id)
    form = NoteForm(data={"note": words or ""})
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("me/note.html", call=call, form=form, written=words), 400

        def change(db: Session, now: datetime) -> Done:
            before = find_note(db, call_id)
            was = note_summary(before) if before is not None else None
            row = write_note(db, rt.privacy, call_id, volunteer_id, form.note.data or "", now)
            return Done(f"note on call {call_id}", was, note_summary(row))

        apply("note.write", chapter_id, change)
        flash(_("Note saved."))
        return redirect(url_for("web.me.calls"))
    return render_template("me/note.html", call=call, form=form, written=words)
