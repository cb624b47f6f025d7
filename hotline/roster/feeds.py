"""Calendar feeds: secret-token URLs per volunteer or chapter, and the iCal text they serve.

Only a token's SHA-256 is stored, so the URL is shown once, when it is made; a coordinator
revokes a feed by id. The web view (hotline.feeds.views) is a thin wrapper over `render_feed`.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.roster import models
from hotline.roster.changes import chapters_of
from hotline.roster.ical import CalendarEvent, calendar_events, render_ical
from hotline.roster.localtime import as_utc
from hotline.roster.store import load_rota_between
from hotline.roster.timeline import timeline, volunteer_intervals

FEED_PAST = timedelta(days=14)
FEED_FUTURE = timedelta(weeks=12)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_feed(
    session: Session,
    *,
    now: datetime,
    chapter: models.Chapter | None = None,
    volunteer: models.Volunteer | None = None,
) -> tuple[models.CalendarFeed, str]:
    """A new feed for exactly one of chapter or volunteer; returns the row and its token."""
    if (chapter is None) == (volunteer is None):
        raise ValueError("a feed is for one chapter or one volunteer")
    token = secrets.token_urlsafe(24)
    label = chapter.name if chapter is not None else volunteer.name if volunteer else ""
    row = models.CalendarFeed(
        token_hash=token_hash(token),
        chapter_id=chapter.id if chapter else None,
        volunteer_id=volunteer.id if volunteer else None,
        label=label,
        created_at=as_utc(now),
    )
    session.add(row)
    session.flush()
    return row, token


def revoke_feed(session: Session, feed_id: int, *, now: datetime) -> models.CalendarFeed:
    """Stop the feed's URL working; revoking twice keeps the first time."""
    row = session.get(models.CalendarFeed, feed_id)
    if row is None:
        raise LookupError(f"no calendar feed {feed_id}")
    if row.revoked_at is None:
        row.revoked_at = as_utc(now)
    session.flush()
    return row


def feed_for_token(session: Session, token: str) -> models.CalendarFeed | None:
    """The live feed a token opens, or None (unknown, revoked, or a volunteer's feed once
    they are deactivated: it answers again if they are made active again)."""
    row = session.scalar(
        select(models.CalendarFeed).where(models.CalendarFeed.token_hash == token_hash(token))
    )
    if row is None or row.revoked_at is not None:
        return None
    if row.volunteer_id is not None:
        volunteer = session.get(models.Volunteer, row.volunteer_id)
        if volunteer is None or not volunteer.active:
            return None
    return row


def render_feed(
    session: Session,
    feed: models.CalendarFeed,
    *,
    now: datetime,
    start: datetime | None = None,
    end: datetime | None = None,
) -> str:
    """The feed's iCal text over [start, end) (default: two weeks back to twelve ahead)."""
    # Whole UTC days, so the first event is cut at the same instant (same UID) all day long.
    day = as_utc(now).replace(hour=0, minute=0, second=0, microsecond=0)
    start = as_utc(start) if start else day - FEED_PAST
    end = as_utc(end) if end else day + FEED_FUTURE
    if feed.chapter_id is not None:
        return chapter_ical(session, feed.chapter_id, start, end, now=now)
    assert feed.volunteer_id is not None
    return volunteer_ical(session, feed.volunteer_id, start, end, now=now)


def chapter_ical(
    session: Session, chapter_id: int, start: datetime, end: datetime, *, now: datetime
) -> str:
    """Everyone's on-call intervals in one chapter, as the resolver's timeline has them."""
    rota = load_rota_between(session, chapter_id, start, end)
    intervals = volunteer_intervals(timeline(rota, start, end))
    events = calendar_events(rota, intervals, personal=False)
    return render_ical(events, calendar_name=f"On call: {rota.name}", dtstamp=now)


def volunteer_ical(
    session: Session, volunteer_id: int, start: datetime, end: datetime, *, now: datetime
) -> str:
    """One volunteer's on-call intervals across every chapter they serve."""
    volunteer = session.get(models.Volunteer, volunteer_id)
    if volunteer is None:
        raise LookupError(f"no volunteer {volunteer_id}")
    events: list[CalendarEvent] = []
    for chapter_id in chapters_of(session, volunteer_id):
        rota = load_rota_between(session, chapter_id, start, end)
        mine = [
            interval
            for interval in volunteer_intervals(timeline(rota, start, end))
            if interval.volunteer_id == volunteer_id
        ]
        events.extend(calendar_events(rota, mine, personal=True))
    return render_ical(events, calendar_name=f"On call: {volunteer.name}", dtstamp=now)
