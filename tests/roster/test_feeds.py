"""Calendar feeds at secret-token URLs: parsed with `icalendar`, checked against the resolver."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar

from hotline.app import create_app
from hotline.roster import models
from hotline.roster.changes import volunteer_by_phone
from hotline.roster.feeds import FEED_FUTURE, FEED_PAST, create_feed, revoke_feed
from hotline.roster.rotafile import parse_rota
from hotline.roster.rotasync import import_rota
from hotline.roster.store import chapter_by_slug, load_rota_between
from hotline.roster.timeline import timeline, volunteer_intervals
from hotline.runtime import Runtime
from tests.conftest import FixedClock, RuntimeFactory

SAMPLE = (Path(__file__).resolve().parents[2] / "hotline" / "sample" / "rota.toml").read_text()
# Two weeks before US DST starts (8 March 2026); the feed reaches 12 weeks ahead.
NOW = datetime(2026, 2, 22, 12, 0, tzinfo=UTC)
WINDOW = (datetime(2026, 2, 23, 5, 0, tzinfo=UTC), datetime(2026, 4, 20, 5, 0, tzinfo=UTC))


def setup(make_runtime: RuntimeFactory) -> Runtime:
    runtime = make_runtime(clock=FixedClock(NOW))
    with runtime.transaction() as session:
        import_rota(session, parse_rota(SAMPLE), now=NOW - timedelta(days=60))
    return runtime


def fetch(runtime: Runtime, token: str) -> tuple[int, bytes]:
    response = create_app(runtime=runtime).test_client().get(f"/calendar/{token}.ics")
    return response.status_code, response.data


def events_in_window(body: bytes) -> set[tuple[datetime, datetime, str]]:
    """Each VEVENT overlapping the 8-week window, cut to it, with its UID's summary."""
    calendar = icalendar.Calendar.from_ical(body)
    found = set()
    for event in calendar.walk("VEVENT"):
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        if end > WINDOW[0] and start < WINDOW[1]:
            found.add((max(start, WINDOW[0]), min(end, WINDOW[1]), str(event["SUMMARY"])))
    return found


def test_chapter_feed_matches_the_timeline_across_dst(make_runtime: RuntimeFactory) -> None:
    runtime = setup(make_runtime)
    with runtime.transaction() as session:
        boston = chapter_by_slug(session, "boston-grief")
        _feed, token = create_feed(session, now=NOW, chapter=boston)
        day = NOW.replace(hour=0)
        rota = load_rota_between(session, boston.id, day - FEED_PAST, day + FEED_FUTURE)
    status, body = fetch(runtime, token)
    assert status == 200
    calendar = icalendar.Calendar.from_ical(body)
    uids = [str(event["UID"]) for event in calendar.walk("VEVENT")]
    assert len(uids) == len(set(uids)) > 0
    names = {v.id: v.name for v in rota.volunteers}
    expected = set()
    segments = timeline(rota, *WINDOW)
    for interval in volunteer_intervals(segments):
        summary = f"{names[interval.volunteer_id]} on call: {rota.name} ({interval.tier.label})"
        expected.add((interval.start, interval.end, summary))
    assert events_in_window(body) == expected
    # Ann's Monday 18:00-22:00 local: 23:00Z in EST, 22:00Z once DST has begun.
    ann = {(s, e) for s, e, what in expected if what.startswith("Ann Example")}
    assert (datetime(2026, 3, 2, 23, 0, tzinfo=UTC), datetime(2026, 3, 3, 3, 0, tzinfo=UTC)) in ann
    assert (datetime(2026, 3, 9, 22, 0, tzinfo=UTC), datetime(2026, 3, 10, 2, 0, tzinfo=UTC)) in ann


def test_volunteer_feed_covers_every_chapter_they_serve(make_runtime: RuntimeFactory) -> None:
    runtime = setup(make_runtime)
    with runtime.transaction() as session:
        dev = volunteer_by_phone(session, "+16175550114")
        _feed, token = create_feed(session, now=NOW, volunteer=dev)
    status, body = fetch(runtime, token)
    assert status == 200
    summaries = {what for _s, _e, what in events_in_window(body)}
    assert summaries == {
        "On call: Boston Bereavement Line (backup)",
        "On call: Chicago Recovery Fellowship Line (fallback)",
    }
    # Chicago 17:00-23:00 CST is 23:00Z; after 8 March (CDT) it is 22:00Z.
    starts = {s for s, _e, what in events_in_window(body) if "Chicago" in what}
    assert datetime(2026, 3, 6, 23, 0, tzinfo=UTC) in starts
    assert datetime(2026, 3, 9, 22, 0, tzinfo=UTC) in starts


def test_uids_are_stable_between_renders(make_runtime: RuntimeFactory) -> None:
    runtime = setup(make_runtime)
    with runtime.transaction() as session:
        boston = chapter_by_slug(session, "boston-grief")
        _feed, token = create_feed(session, now=NOW, chapter=boston)
    first = fetch(runtime, token)[1]
    second = fetch(runtime, token)[1]
    assert first == second


def test_revoked_and_unknown_tokens_are_404(make_runtime: RuntimeFactory) -> None:
    runtime = setup(make_runtime)
    with runtime.transaction() as session:
        boston = chapter_by_slug(session, "boston-grief")
        feed, token = create_feed(session, now=NOW, chapter=boston)
        stored = session.get(models.CalendarFeed, feed.id)
        assert stored is not None and token not in stored.token_hash
    assert fetch(runtime, token)[0] == 200
    with runtime.transaction() as session:
        revoke_feed(session, feed.id, now=NOW)
    assert fetch(runtime, token)[0] == 404
    assert fetch(runtime, "not-a-token")[0] == 404


def test_a_deactivated_volunteers_feed_stops_answering(make_runtime: RuntimeFactory) -> None:
    from hotline.roster.people import update_volunteer

    runtime = setup(make_runtime)
    with runtime.transaction() as session:
        ann = volunteer_by_phone(session, "+16175550111")
        _feed, token = create_feed(session, now=NOW, volunteer=ann)
    assert fetch(runtime, token)[0] == 200
    with runtime.transaction() as session:
        update_volunteer(session, volunteer_by_phone(session, "+16175550111"), now=NOW,
                         coordinated=None, active=False)
    assert fetch(runtime, token)[0] == 404
    with runtime.transaction() as session:
        update_volunteer(session, volunteer_by_phone(session, "+16175550111"), now=NOW,
                         coordinated=None, active=True)
    assert fetch(runtime, token)[0] == 200
