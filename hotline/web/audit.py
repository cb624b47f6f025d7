"""Reading the audit log: a chapter's for its coordinators, everything for admins."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from hotline.audit.log import entries_for
from hotline.roster import models
from hotline.web.access import admin_page, coordinator_page, runtime

bp = Blueprint("audit", __name__)


@bp.get("/chapters/<slug>/audit")
@coordinator_page
def chapter_log(chapter: models.Chapter) -> ResponseReturnValue:
    with runtime().sessions() as db:
        entries = entries_for(db, [chapter.id])
    return render_template("audit.html", chapter=chapter, entries=entries)


@bp.get("/audit")
@admin_page
def whole_log() -> ResponseReturnValue:
    with runtime().sessions() as db:
        entries = entries_for(db, None)
    return render_template("audit.html", chapter=None, entries=entries)
