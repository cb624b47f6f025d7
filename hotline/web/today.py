"""The first page after sign-in: for coordinators, who is on call now, the next gaps, and the
calls in progress in each of their chapters."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from hotline.logs.live import calls_in_progress
from hotline.roster.history import oncall_at
from hotline.roster.localtime import as_utc
from hotline.roster.store import load_rota_between
from hotline.roster.timeline import find_gaps
from hotline.web.access import chapters_run_by, runtime, signed_in, viewer

bp = Blueprint("today", __name__)
GAP_DAYS = 7


@bp.get("/")
@signed_in
def home() -> ResponseReturnValue:
    if viewer().runs_chapters:
        return redirect(url_for("web.today.today"))
    return redirect(url_for("web.me.mine"))


@bp.get("/today")
@signed_in
def today() -> ResponseReturnValue:
    who, rt = viewer(), runtime()
    if not who.runs_chapters:
        return redirect(url_for("web.me.mine"))
    now = as_utc(rt.clock())
    with rt.sessions() as db:
        chapters = chapters_run_by(db, who)
        live = calls_in_progress(db, [c.id for c in chapters])
        cards = [
            {
                "chapter": chapter,
                "plan": oncall_at(db, chapter.id, now),
                "gaps": find_gaps(load_rota_between(db, chapter.id, now,
                                                    now + timedelta(days=GAP_DAYS)),
                                  now, now + timedelta(days=GAP_DAYS))[:5],
                "calls": [call for call in live if call.chapter_id == chapter.id],
            }
            for chapter in chapters
        ]
    return render_template("today.html", cards=cards, now=now, gap_days=GAP_DAYS)
