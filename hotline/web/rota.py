"""A chapter's rota: the week view, and adding, changing or ending shifts, rotations and
overrides; approving or refusing swaps. Every change goes through hotline.roster."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.reminders.swaps import swap_decided
from hotline.roster import models
from hotline.roster.changes import add_override, approve_swap, decline_swap
from hotline.roster.edits import (
    add_rotation,
    add_shift,
    change_override,
    end_override,
    end_rule,
    live_rotations,
    live_shifts,
    override_summary,
    rotation_summary,
    shift_summary,
    swap_summary,
)
from hotline.roster.localtime import as_utc
from hotline.roster.people import volunteers_of
from hotline.roster.rules import OverrideKind, RotationUnit, Tier, Weekday
from hotline.roster.store import parse_days
from hotline.roster.weekview import day_bounds, plan_between, split_days, week_start
from hotline.web.access import coordinator_page, runtime
from hotline.web.changes import YEARS, Done, apply, local_instant, refused
from hotline.web.forms import KIND_CHOICES, ActionForm, OverrideForm, RotationForm, ShiftForm

bp = Blueprint("rota", __name__, url_prefix="/chapters/<slug>/rota")


def _week(chapter: models.Chapter) -> date:
    zone = ZoneInfo(chapter.timezone)
    text = request.args.get("week")
    if text is None:
        return week_start(as_utc(runtime().clock()).astimezone(zone).date())
    try:
        day = date.fromisoformat(text)
    except ValueError:
        abort(400, _("week must be a date like 2027-03-08"))
    if not YEARS[0] <= day.year <= YEARS[1]:
        abort(400, _("week must be a date like 2027-03-08"))
    return week_start(day)


@bp.get("")
@coordinator_page
def week(chapter: models.Chapter) -> ResponseReturnValue:
    rt, first = runtime(), _week(chapter)
    zone = ZoneInfo(chapter.timezone)
    now = as_utc(rt.clock())
    with rt.sessions() as db:
        lo = day_bounds(first, zone)[0]
        hi = day_bounds(first + timedelta(days=6), zone)[1]
        days = split_days(plan_between(db, chapter.id, lo, hi), zone, first, 7)
        names = {v.id: v for v in volunteers_of(db, chapter.id)}
        shifts = live_shifts(db, chapter.id, now)
        rotations = live_rotations(db, chapter.id, now)
        overrides = db.scalars(
            select(models.Override)
            .where(models.Override.chapter_id == chapter.id, models.Override.end > now)
            .order_by(models.Override.start)).all()
        swaps = db.scalars(
            select(models.SwapRequest)
            .where(models.SwapRequest.chapter_id == chapter.id,
                   models.SwapRequest.status.in_(["offered", "taken"]))
            .order_by(models.SwapRequest.start)).all()
        members = {r.id: [names[m.volunteer_id].name for m in r.members
                          if m.volunteer_id in names] for r in rotations}
    return render_template(
        "rota/week.html", chapter=chapter, days=days, first=first, zone=zone,
        previous=first - timedelta(days=7), following=first + timedelta(days=7),
        names=names, shifts=shifts, rotations=rotations, members=members,
        overrides=overrides, swaps=swaps, action=ActionForm(), parse_days=parse_days,
    )


def _choices(db: Session, chapter: models.Chapter) -> list[tuple[int, str]]:
    return [(v.id, f"{v.name} ({v.phone})") for v in volunteers_of(db, chapter.id) if v.active]


def _volunteer(db: Session, chapter: models.Chapter, volunteer_id: int) -> models.Volunteer:
    found = next((v for v in volunteers_of(db, chapter.id) if v.id == volunteer_id), None)
    if found is None:
        abort(400, _("that volunteer is not in this chapter"))
    return found


def _back(chapter: models.Chapter) -> ResponseReturnValue:
    return redirect(url_for("web.rota.week", slug=chapter.slug, week=request.args.get("week")))


def _rule(db: Session, table: type[models.Shift] | type[models.Rotation], rule_id: int,
          chapter: models.Chapter) -> models.Shift | models.Rotation:
    row: models.Shift | models.Rotation | None = (
        db.get(models.Shift, rule_id) if table is models.Shift
        else db.get(models.Rotation, rule_id))
    if row is None or row.chapter_id != chapter.id:
        abort(404)
    return row


@bp.route("/shifts/new", methods=["GET", "POST"])
@bp.route("/shifts/<int:shift_id>", methods=["GET", "POST"])
@coordinator_page
def shift(chapter: models.Chapter, shift_id: int | None = None) -> ResponseReturnValue:
    rt = runtime()
    with rt.sessions() as db:
        old = _rule(db, models.Shift, shift_id, chapter) if shift_id is not None else None
        form = ShiftForm()
        form.volunteer.choices = _choices(db, chapter)
        if old is not None and request.method == "GET":
            assert isinstance(old, models.Shift)
            form.volunteer.data, form.tier.data = old.volunteer_id, old.tier
            form.days.data = old.days.split(",")
            form.start.data, form.end.data = (time.fromisoformat(old.start),
                                              time.fromisoformat(old.end))
    if form.validate_on_submit():
        def change(db: Session, now: datetime) -> Done:
            before = db.get(models.Shift, shift_id) if shift_id is not None else None
            summary = shift_summary(before) if before is not None else None
            row = add_shift(
                db, chapter, _volunteer(db, chapter, form.volunteer.data or 0),
                frozenset(Weekday(d) for d in form.days.data or []),
                form.start.data or time(0), form.end.data or time(0), Tier(form.tier.data),
                now=now, replacing=before)
            return Done(f"shift {row.id}", summary, shift_summary(row))

        error = apply("shift.change" if old else "shift.add", chapter.id, change)
        if not refused(form.start, error):
            flash(_("Shift saved."))
            return _back(chapter)
    return render_template("rota/shift.html", chapter=chapter, form=form, old=old)


@bp.route("/rotations/new", methods=["GET", "POST"])
@bp.route("/rotations/<int:rotation_id>", methods=["GET", "POST"])
@coordinator_page
def rotation(chapter: models.Chapter, rotation_id: int | None = None) -> ResponseReturnValue:
    rt = runtime()
    with rt.sessions() as db:
        old = _rule(db, models.Rotation, rotation_id, chapter) if rotation_id is not None else None
        form = RotationForm()
        choices = [(0, _("(nobody)")), *_choices(db, chapter)]
        for entry in form.members:
            entry.choices = choices
        if old is not None and request.method == "GET":
            assert isinstance(old, models.Rotation)
            form.name.data, form.anchor.data, form.every.data = old.name, old.anchor, old.length
            form.handoff.data, form.unit.data = time.fromisoformat(old.handoff), old.unit
            form.tier.data = old.tier
            for entry, member in zip(form.members, old.members, strict=False):
                entry.data = member.volunteer_id
    if form.validate_on_submit():
        def change(db: Session, now: datetime) -> Done:
            before = db.get(models.Rotation, rotation_id) if rotation_id is not None else None
            summary = rotation_summary(before) if before is not None else None
            people = [_volunteer(db, chapter, e.data) for e in form.members if e.data]
            row = add_rotation(
                db, chapter, (form.name.data or "").strip(), people,
                form.anchor.data or now.date(), form.handoff.data or time(9),
                form.every.data or 1, RotationUnit(form.unit.data), Tier(form.tier.data),
                now=now, replacing=before)
            return Done(f"rotation {row.id}", summary, rotation_summary(row))

        error = apply("rotation.change" if old else "rotation.add", chapter.id, change)
        if not refused(form.anchor, error):
            flash(_("Rotation saved."))
            return _back(chapter)
    return render_template("rota/rotation.html", chapter=chapter, form=form, old=old)


@bp.route("/<any(shifts, rotations):kind>/<int:rule_id>/end", methods=["POST"])
@coordinator_page
def end(chapter: models.Chapter, kind: str, rule_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    table: type[models.Shift] | type[models.Rotation] = (
        models.Shift if kind == "shifts" else models.Rotation)

    def change(db: Session, now: datetime) -> Done:
        row = _rule(db, table, rule_id, chapter)
        before = (shift_summary(row) if isinstance(row, models.Shift)
                  else rotation_summary(row))
        end_rule(db, chapter, row, now=now)
        return Done(f"{kind[:-1]} {rule_id}", before, None)

    error = apply(f"{kind[:-1]}.end", chapter.id, change)
    flash(error or _("Ended from now on; the past keeps it."))
    return _back(chapter)


def _override(db: Session, override_id: int, chapter: models.Chapter) -> models.Override:
    row = db.get(models.Override, override_id)
    if row is None or row.chapter_id != chapter.id:
        abort(404)
    return row


def _for_change(form: OverrideForm, old: models.Override, zone: ZoneInfo, fill: bool) -> str:
    """Fit the form to changing `old`: its kind stays, so only that kind's fields remain
    (filled from it for a GET). Returns the kind's label."""
    label = next(str(text) for value, text in KIND_CHOICES if value == old.kind)
    del form.kind
    if old.kind != OverrideKind.ADD.value:
        del form.tier
    if old.kind != OverrideKind.REPLACE.value:
        del form.replacement
    if fill:
        form.volunteer.data, form.reason.data = old.volunteer_id, old.reason
        form.start.data = as_utc(old.start).astimezone(zone).replace(tzinfo=None)
        form.end.data = as_utc(old.end).astimezone(zone).replace(tzinfo=None)
        if "tier" in form:
            form.tier.data = old.tier
        if "replacement" in form:
            form.replacement.data = old.replacement_id
    return label


@bp.route("/overrides/new", methods=["GET", "POST"])
@bp.route("/overrides/<int:override_id>", methods=["GET", "POST"])
@coordinator_page
def override(chapter: models.Chapter, override_id: int | None = None) -> ResponseReturnValue:
    rt = runtime()
    with rt.sessions() as db:
        old = _override(db, override_id, chapter) if override_id is not None else None
        form = OverrideForm()
        form.volunteer.choices = _choices(db, chapter)
        form.replacement.choices = [(0, _("(nobody)")), *_choices(db, chapter)]
        label = (_for_change(form, old, ZoneInfo(chapter.timezone), request.method == "GET")
                 if old is not None else None)
    if form.validate_on_submit():
        kind = OverrideKind(old.kind if old is not None else form.kind.data)

        def change(db: Session, now: datetime) -> Done:
            volunteer = _volunteer(db, chapter, form.volunteer.data or 0)
            start = local_instant(form.start.data, chapter.timezone)
            end = local_instant(form.end.data, chapter.timezone)
            tier = Tier(form.tier.data) if kind is OverrideKind.ADD else None
            replacement = (_volunteer(db, chapter, form.replacement.data)
                           if kind is OverrideKind.REPLACE and form.replacement.data else None)
            if old is None:
                row = add_override(db, chapter, kind, volunteer, start, end, now=now, tier=tier,
                                   replacement=replacement, reason=form.reason.data or "")
                return Done(f"override {row.id}", None, override_summary(row))
            before, row = change_override(db, chapter, old.id, volunteer, start, end, now=now,
                                          tier=tier, replacement=replacement,
                                          reason=form.reason.data or "")
            return Done(f"override {old.id}", before, override_summary(row))

        error = apply("override.change" if old else "override.add", chapter.id, change)
        if not refused(form.start, error):
            flash(_("Override saved."))
            return _back(chapter)
    return render_template("rota/override.html", chapter=chapter, form=form, old=old,
                           kind_label=label)


@bp.post("/overrides/<int:override_id>/end")
@coordinator_page
def override_end(chapter: models.Chapter, override_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)

    def change(db: Session, now: datetime) -> Done:
        row = end_override(db, chapter, override_id, now=now)
        return Done(f"override {override_id}", None, override_summary(row))

    flash(apply("override.end", chapter.id, change) or _("Override withdrawn."))
    return _back(chapter)


@bp.post("/swaps/<int:swap_id>/<any(approve, refuse):decision>")
@coordinator_page
def swap(chapter: models.Chapter, swap_id: int, decision: str) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)

    def change(db: Session, now: datetime) -> Done:
        row = db.get(models.SwapRequest, swap_id)
        if row is None or row.chapter_id != chapter.id:
            abort(404)
        before = swap_summary(row)
        decided = (approve_swap(db, swap_id, now=now) if decision == "approve"
                   else decline_swap(db, swap_id, now=now))
        swap_decided(db, decided, decision == "approve", now)
        return Done(f"swap {swap_id}", before, swap_summary(decided))

    error = apply(f"swap.{decision}", chapter.id, change)
    flash(error or (_("Swap approved: the rota has changed.") if decision == "approve"
                    else _("Swap refused.")))
    return _back(chapter)
