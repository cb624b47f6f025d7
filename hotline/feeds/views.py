"""`GET /calendar/<token>.ics`: a volunteer's or chapter's on-call calendar.

Lives outside hotline.roster because the roster imports no Flask (see pyproject's contracts).
An unknown or revoked token is a plain 404, the same for both, so tokens cannot be probed.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort

from hotline.app import app_runtime
from hotline.roster.feeds import feed_for_token, render_feed

feeds = Blueprint("feeds", __name__)


@feeds.get("/calendar/<token>.ics")
def calendar(token: str) -> Response:
    runtime = app_runtime()
    with runtime.sessions() as session:
        feed = feed_for_token(session, token)
        if feed is None:
            abort(404)
        body = render_feed(session, feed, now=runtime.clock())
    response = Response(body, mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
