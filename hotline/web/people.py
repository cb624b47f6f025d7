"""A chapter's volunteers (add, edit languages and experiences, deactivate), its gaps, and its
call-handling settings."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from hotline.roster import models
from hotline.roster.localtime import as_utc
from hotline.roster.overflow import overflow_chain
from hotline.roster.people import (
    add_volunteer,
    chapter_settings,
    in_charge,
    update_chapter_settings,
    update_volunteer,
    volunteer_summary,
    volunteers_of,
)
from hotline.roster.rotasettings import SETTINGS, SettingValue, setting_problems
from hotline.roster.store import load_rota_between
from hotline.roster.timeline import find_gaps
from hotline.web.access import coordinator_page, runtime, viewer
from hotline.web.changes import Done, apply, reason, refused, split_tags
from hotline.web.forms import ActionForm, SettingsForm, VolunteerEditForm, VolunteerForm

bp = Blueprint("people", __name__, url_prefix="/chapters/<slug>")


@bp.route("/volunteers", methods=["GET", "POST"])
@coordinator_page
def volunteers(chapter: models.Chapter) -> ResponseReturnValue:
    form, coordinated = VolunteerForm(), viewer().coordinated
    if form.validate_on_submit():
        def change(db: Session, now: datetime) -> Done:
            row, created = add_volunteer(
                db, chapter, form.name.data or "", (form.phone.data or "").strip(),
                coordinated=coordinated, languages=split_tags(form.languages.data),
                experiences=split_tags(form.experiences.data))
            return Done(row.name, None, {**volunteer_summary(row), "new": created})

        error = apply("volunteer.add", chapter.id, change)
        if not refused(form.phone, error):
            flash(_("Volunteer added to %(chapter)s.", chapter=chapter.name))
            return redirect(url_for("web.people.volunteers", slug=chapter.slug))
    with runtime().sessions() as db:
        rows = volunteers_of(db, chapter.id)
        mine = in_charge(db, [v.id for v in rows], coordinated)
    return render_template("people/volunteers.html", chapter=chapter, rows=rows, form=form,
                           action=ActionForm(), mine=mine)


def _member(db: Session, chapter: models.Chapter, volunteer_id: int) -> models.Volunteer:
    found = next((v for v in volunteers_of(db, chapter.id) if v.id == volunteer_id), None)
    if found is None:
        abort(404)
    return found


def _not_theirs(chapter: models.Chapter, row: models.Volunteer) -> ResponseReturnValue | None:
    """The refusal page when the viewer does not coordinate every chapter of `row` (the
    domain functions refuse the change too; this says so before a form is filled in)."""
    with runtime().sessions() as db:
        if row.id in in_charge(db, [row.id], viewer().coordinated):
            return None
    return render_template("people/volunteer.html", chapter=chapter, row=row, form=None), 403


@bp.route("/volunteers/<int:volunteer_id>", methods=["GET", "POST"])
@coordinator_page
def volunteer(chapter: models.Chapter, volunteer_id: int) -> ResponseReturnValue:
    with runtime().sessions() as db:
        row = _member(db, chapter, volunteer_id)
    refusal, coordinated = _not_theirs(chapter, row), viewer().coordinated
    if refusal is not None:
        return refusal
    form = VolunteerEditForm(data={"name": row.name, "languages": ", ".join(row.languages),
                                   "experiences": ", ".join(row.experiences),
                                   "trainee": row.trainee}
                             if request.method == "GET" else None)
    if form.validate_on_submit():
        def change(db: Session, now: datetime) -> Done:
            target = _member(db, chapter, volunteer_id)
            before = volunteer_summary(target)
            update_volunteer(db, target, now=now, coordinated=coordinated,
                             name=form.name.data, languages=split_tags(form.languages.data),
                             experiences=split_tags(form.experiences.data),
                             trainee=bool(form.trainee.data))
            return Done(target.name, before, volunteer_summary(target))

        error = apply("volunteer.change", chapter.id, change)
        if not refused(form.languages, error):
            flash(_("Saved."))
            return redirect(url_for("web.people.volunteers", slug=chapter.slug))
    return render_template("people/volunteer.html", chapter=chapter, row=row, form=form,
                           action=ActionForm())


@bp.post("/volunteers/<int:volunteer_id>/<any(deactivate, activate):what>")
@coordinator_page
def activity(chapter: models.Chapter, volunteer_id: int, what: str) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    with runtime().sessions() as db:
        row = _member(db, chapter, volunteer_id)
    refusal, coordinated = _not_theirs(chapter, row), viewer().coordinated
    if refusal is not None:
        return refusal

    def change(db: Session, now: datetime) -> Done:
        target = _member(db, chapter, volunteer_id)
        before = volunteer_summary(target)
        update_volunteer(db, target, now=now, coordinated=coordinated,
                         active=what == "activate")
        return Done(target.name, before, volunteer_summary(target))

    error = apply(f"volunteer.{what}", chapter.id, change)
    flash(error or (_("Active again: they are rung on their shifts.") if what == "activate"
                    else _("Deactivated: they are no longer rung, in any chapter.")))
    return redirect(url_for("web.people.volunteers", slug=chapter.slug))


# Settings that are lists of whole numbers, typed as "5, 30, 120".
LIST_SETTINGS = ("callback_delays_minutes", "reminder_hours")


def _experiences_text(value: object) -> str:
    """The chapter's experiences as the page shows them: one "key: prompt" per line."""
    items = value if isinstance(value, list) else []
    return "\n".join(f"{item.get('key', '')}: {item.get('prompt', '')}"
                     for item in items if isinstance(item, dict))


def _experiences_read(form: SettingsForm) -> list[dict[str, str]] | None:
    """The experiences typed, one "key: prompt" per line (None, with the reason beside the
    field, if a line has no colon); the rota file's check then judges keys and prompts."""
    found = []
    for number, line in enumerate((form.experiences.data or "").splitlines(), start=1):
        if not line.strip():
            continue
        key, colon, prompt = line.partition(":")
        if not colon:
            form.experiences.errors = [*form.experiences.errors, _(
                "Line %(number)s: write a key, a colon, then what callers hear, like "
                "loss-of-child: If you have lost a child.", number=number)]
            return None
        found.append({"key": key.strip(), "prompt": prompt.strip()})
    return found


def _whole_numbers(text: str) -> list[int] | None:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        return None


def _lists_read(form: SettingsForm) -> bool:
    """Each list field reads as whole numbers (else its error is shown beside it)."""
    ok = True
    for name in LIST_SETTINGS:
        if _whole_numbers(form[name].data or "") is None:
            form[name].errors = [*form[name].errors,
                                 _("Whole numbers separated by commas, like 5, 30, 120.")]
            ok = False
    return ok


@bp.get("/gaps")
@coordinator_page
def gaps(chapter: models.Chapter) -> ResponseReturnValue:
    try:
        days = int(request.args.get("days", "14"))
    except ValueError:
        abort(400, _("days must be a whole number"))
    if not 1 <= days <= 366:
        abort(400, _("days must be 1 to 366"))
    rt = runtime()
    now = as_utc(rt.clock())
    with rt.sessions() as db:
        found = find_gaps(load_rota_between(db, chapter.id, now, now + timedelta(days=days)),
                          now, now + timedelta(days=days))
    return render_template("people/gaps.html", chapter=chapter, gaps=found, days=days)


@bp.route("/settings", methods=["GET", "POST"])
@coordinator_page
def settings(chapter: models.Chapter) -> ResponseReturnValue:
    shown = {name: ", ".join(map(str, value)) if name in LIST_SETTINGS and isinstance(
        value, list) else value for name, value in chapter_settings(chapter).items()}
    shown["experiences"] = _experiences_text(shown.get("experiences"))
    form = SettingsForm(data=shown if request.method == "GET" else None)
    if (form.validate_on_submit() and _lists_read(form)
            and (experiences := _experiences_read(form)) is not None):
        # Only the settings this page shows; any other the chapter has stays as it is.
        values: dict[str, SettingValue] = {
            name: form[name].data if form[name].data is not None else ""
            for name in chapter_settings(chapter) if name in form}
        values["emergency_line"] = str(values["emergency_line"]).strip()
        values["callback_hours"] = str(values["callback_hours"]).strip()
        for name in LIST_SETTINGS:
            values[name] = _whole_numbers(form[name].data or "") or []
        values["experiences"] = experiences
        values["listen_in"] = bool(form.listen_in.data)
        if form.match_wait_seconds.data is None:        # left empty: as it was
            values["match_wait_seconds"] = chapter.match_wait_seconds
        # The rota file's own checks, each reason shown beside its field.
        columns = {s.key: s.column for s in SETTINGS}
        problems = setting_problems(values)
        for key, why in problems:
            refused(form[columns[key]], reason(why))
        if not problems:
            def change(db: Session, now: datetime) -> Done:
                row = db.get(models.Chapter, chapter.id)
                assert row is not None
                before = update_chapter_settings(db, row, values)
                return Done(chapter.slug, before, chapter_settings(row))

            error = apply("chapter.settings", chapter.id, change)
            if not refused(form.emergency_line, error):
                flash(_("Settings saved. New calls use them at once."))
                return redirect(url_for("web.people.settings", slug=chapter.slug))
    with runtime().sessions() as db:
        overflow = [row.name for row in overflow_chain(db, chapter)]
    return render_template("people/settings.html", chapter=chapter, form=form,
                           overflow=overflow)
