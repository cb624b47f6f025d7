"""The live view: calls holding (and whose phones ring for them), calls being talked, and who
is on call now, for a coordinator's chapters (an admin's: all).

`/live` is the whole page, complete without JavaScript (a Refresh link reloads it); with
JavaScript, static/live.js fetches `/live/board`, the same board as an HTML fragment, every
second and swaps it in. Polling rather than server-sent events: an event stream would hold a
sync gunicorn worker for as long as the page is open, and a few open tabs would starve the
webhooks; a poll is one short request. A poll reads the calls in one query (with their
ringing and answered legs); who is on call is read from the rota at most every
ONCALL_FOR per chapter and process, and afresh on every full page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, current_app, make_response, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from hotline.logs.live import calls_in_progress
from hotline.roster.history import oncall_at
from hotline.roster.localtime import as_utc
from hotline.web import CSP
from hotline.web.access import chapters_run_by, runtime, staff_page, viewer

bp = Blueprint("live", __name__)
ONCALL_FOR = timedelta(seconds=30)
POLL_SECONDS = 1
Waves = tuple[tuple[int, tuple[str, ...]], ...]     # (tier, names): never a phone number


@bp.get("/live")
@staff_page
def live() -> ResponseReturnValue:
    page = make_response(render_template("live.html", poll_seconds=POLL_SECONDS,
                                         **_board(fresh=True)))
    # The one page that fetches: the app's policy (default-src 'none') plus its own origin.
    page.headers["Content-Security-Policy"] = f"{CSP}; connect-src 'self'"
    return page


@bp.get("/live/board")
@staff_page
def board() -> ResponseReturnValue:
    """The board alone, for live.js (sent no-store, like every page of the web app)."""
    return render_template("live_board.html", **_board(fresh=False))


def _board(*, fresh: bool) -> dict[str, Any]:
    who, rt = viewer(), runtime()
    now = as_utc(rt.clock())
    with rt.sessions() as db:
        chapters = chapters_run_by(db, who)
        calls = calls_in_progress(db, [chapter.id for chapter in chapters])
        cards = [
            {
                "chapter": chapter,
                "holding": [c for c in calls if c.chapter_id == chapter.id and not c.talking],
                "talking": [c for c in calls if c.chapter_id == chapter.id and c.talking],
                "waves": _on_call(db, chapter.id, now, fresh=fresh),
            }
            for chapter in chapters
        ]
    return {"cards": cards, "now": now, "ago": _ago(now)}


def _on_call(db: Session, chapter_id: int, now: datetime, *, fresh: bool) -> Waves:
    # Who is on call changes at shift edges and rota edits, not every second: reading the rota
    # (several queries a chapter) once per ONCALL_FOR keeps a poll to the calls' one query.
    memo: dict[int, tuple[datetime, Waves]] = current_app.extensions.setdefault(
        "hotline.live.oncall", {})
    kept = memo.get(chapter_id)
    if not fresh and kept is not None and kept[0] <= now < kept[0] + ONCALL_FOR:
        return kept[1]
    plan = oncall_at(db, chapter_id, now)
    waves = tuple((int(wave.tier), tuple(v.name for v in wave.volunteers))
                  for wave in plan.waves)
    memo[chapter_id] = (now, waves)
    return waves


def _ago(now: datetime) -> Callable[[datetime], str]:
    def ago(at: datetime) -> str:
        seconds = max(0, int((now - as_utc(at)).total_seconds()))
        if seconds < 60:
            return str(_("%(n)s s", n=seconds))
        if seconds < 3600:
            return str(_("%(n)s min", n=seconds // 60))
        return str(_("%(h)s h %(m)02d min", h=seconds // 3600, m=seconds // 60 % 60))

    return ago
