"""The contact log for coordinators (their chapters) and admins (all): calls filtered and
paged newest first, one call's timeline, and banning its caller without seeing the number."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from hotline.accounts.models import Role
from hotline.bans import add_ban, ban_summary, find_ban, remove_ban
from hotline.logs.contactlog import (
    LogFilter,
    call_chapter,
    call_timeline,
    caller_number,
    contact_page,
    volunteers_of,
)
from hotline.logs.models import Outcome
from hotline.logs.notes import read_note
from hotline.web.access import Viewer, chapters_run_by, runtime, staff_page, viewer
from hotline.web.changes import Done, apply
from hotline.web.forms import OUTCOME_LABELS, ActionForm, BanForm, LogFilterForm

bp = Blueprint("contacts", __name__, url_prefix="/contacts")


def ordinal(n: int) -> str:
    """2nd, 3rd, 4th, 11th, 21st, ..."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


UNOWNED = "none"          # the line filter's value for calls to numbers no chapter owns


@bp.get("")
@staff_page
def log() -> ResponseReturnValue:
    who = viewer()
    form = LogFilterForm(formdata=request.args or None)
    with runtime().sessions() as db:
        chapters = chapters_run_by(db, who)
        # An admin also sees calls to a number no chapter owns (a number wired to the app
        # but to no line: those callers heard "not in service").
        unowned = who.role is Role.ADMIN
        form.chapter.choices = [("", _("All my lines")), *((str(c.id), c.name)
                                                           for c in chapters)]
        if unowned:
            form.chapter.choices.append((UNOWNED, _("Numbers no line owns")))
        form.volunteer.choices = [("", _("Anyone")), *(
            (str(i), name) for i, name in volunteers_of(db, [c.id for c in chapters]))]
        if request.args and not form.validate():
            return _log_page(form, chapters, None, {}), 400
        try:
            before = int(request.args["before"]) if request.args.get("before") else None
        except ValueError:
            abort(400, _("That page of the log does not exist; start again from the top."))
        scope: list[tuple[int | None, str]] = [
            (c.id, c.timezone) for c in chapters
            if not form.chapter.data or str(c.id) == form.chapter.data]
        if unowned and form.chapter.data in ("", UNOWNED):
            scope.append((None, "UTC"))
        wanted = LogFilter(
            chapters=scope, since=form.since.data,
            until=form.until.data,
            outcome=Outcome(form.outcome.data) if form.outcome.data else None,
            volunteer_id=int(form.volunteer.data) if form.volunteer.data else None)
        page = contact_page(db, wanted, before=before)
    following = None
    if page.next_before is not None:
        args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "before"}
        following = url_for("web.contacts.log", **args, before=page.next_before)
    return _log_page(form, chapters, page, {"next": following})


def _log_page(form: LogFilterForm, chapters: list[Any], page: Any, links: dict[str, Any]
              ) -> str:
    return render_template("contacts/log.html", form=form, page=page,
                           chapters={c.id: c for c in chapters}, outcomes=OUTCOME_LABELS,
                           ordinal=ordinal, next_url=links.get("next"))


def _chapter_of(db: Session, who: Viewer, call_id: int) -> int | None:
    """The call's chapter; 404 for no such call, 403 for another chapter's."""
    exists, chapter_id = call_chapter(db, call_id)
    if not exists:
        abort(404)
    if not (who.role is Role.ADMIN or (chapter_id is not None and who.coordinates(chapter_id))):
        abort(403)
    return chapter_id


@bp.get("/<int:call_id>")
@staff_page
def timeline(call_id: int) -> ResponseReturnValue:
    return _timeline_page(call_id)


def _timeline_page(call_id: int, ban_form: BanForm | None = None) -> ResponseReturnValue:
    who, rt = viewer(), runtime()
    with rt.sessions() as db:
        _chapter_of(db, who, call_id)
        line = call_timeline(db, call_id)
        assert line is not None
        note = read_note(db, rt.privacy, call_id)
    page = render_template("contacts/call.html", line=line, note=note, ordinal=ordinal,
                           outcomes=OUTCOME_LABELS, ban_form=ban_form or BanForm(formdata=None),
                           action=ActionForm(), admin=who.role is Role.ADMIN)
    return (page, 400) if ban_form is not None else page


@bp.post("/<int:call_id>/<any(ban, unban):what>")
@staff_page
def ban(call_id: int, what: str) -> ResponseReturnValue:
    """Ban (or lift the ban on) the call's caller from its line, or (an admin) from every
    line: the number is decrypted here, handed to the same functions as `hotline ban`, and
    never shown or logged."""
    who, rt = viewer(), runtime()
    admin = who.role is Role.ADMIN
    form = BanForm() if what == "ban" else ActionForm()
    with rt.sessions() as db:
        chapter_id = _chapter_of(db, who, call_id)
    if not form.validate_on_submit():
        if isinstance(form, BanForm):
            return _timeline_page(call_id, ban_form=form)
        abort(400)
    everywhere = isinstance(form, BanForm) and bool(form.everywhere.data)
    if everywhere and not admin:
        abort(403, _("Only an admin bans a caller from every line."))
    with rt.sessions() as db:
        if chapter_id is None:
            abort(400, _("This call reached no line: there is nothing to ban it from."))
        number = caller_number(db, rt.privacy, call_id)
        if number is None:
            abort(400, _("This caller's number is no longer kept (withheld, or dropped after "
                         "the retention period): they cannot be banned from here."))
        # The line's own ban; lifting, an admin lifts a ban on every line when that is it.
        scope: int | None = None if everywhere else chapter_id
        existing = find_ban(db, rt.privacy, number, scope)
        if what == "unban" and existing is None and admin:
            scope, existing = None, find_ban(db, rt.privacy, number, None)
    if what == "unban" and existing is None:
        flash(_("There is no ban on this caller for this line (a ban on every line is lifted "
                "by an admin, here or with hotline ban remove)."))
        return redirect(url_for("web.contacts.timeline", call_id=call_id))

    def change(db: Session, now: datetime) -> Done:
        existing = find_ban(db, rt.privacy, number, scope)
        before = ban_summary(existing) if existing is not None else None
        if isinstance(form, BanForm):
            added = add_ban(db, rt.privacy, number, scope, form.reason.data or "")
            return Done(f"ban {added.number_hint}", before, ban_summary(added))
        remove_ban(db, rt.privacy, number, scope)
        return Done(f"ban {existing.number_hint if existing else ''}", before, None)

    apply("ban.add" if what == "ban" else "ban.remove", chapter_id, change)
    if what == "ban":
        flash(_("Banned: this caller's calls to every line are rejected before they are "
                "answered.") if scope is None else
              _("Banned: this caller's calls to this line are rejected before they are "
                "answered."))
    else:
        flash(_("Ban lifted: this caller can reach every line again.") if scope is None else
              _("Ban lifted: this caller can reach this line again."))
    return redirect(url_for("web.contacts.timeline", call_id=call_id))
