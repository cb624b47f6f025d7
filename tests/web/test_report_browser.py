"""The report pages in real Chromium: each renders without a console error, at desktop and
phone width, and the CSV behind each chart adds up to the contact export."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from hotline.logs.contacts import list_contacts
from hotline.logs.models import Outcome
from hotline.logs.reports import local_span
from hotline.roster.store import chapter_by_slug
from tests.web.conftest import PHONE, Person
from tests.web.reports_data import CALLERS, FIRST, LAST, RANGE, seed_calls

Live = Callable[[str], Person]


def test_every_report_renders_without_a_console_error_and_its_csv_adds_up(live: Live) -> None:
    runtime = live.runtime  # type: ignore[attr-defined]
    seed_calls(runtime)
    with runtime.transaction() as db:
        boston = chapter_by_slug(db, "boston-grief")
        start, end = local_span(ZoneInfo(boston.timezone), FIRST, LAST)
        contacts = list_contacts(db, chapter_id=boston.id, since=start, until=end)
    coordinator = live("boston")
    messages: list[Any] = []
    coordinator.page.on("console", lambda message: messages.append(message))
    coordinator.page.on("pageerror", lambda error: messages.append(error))
    for path in (f"/chapters/boston-grief/reports?{RANGE}", f"/reports?{RANGE}"):
        for size in (PHONE, {"width": 1280, "height": 800}):
            coordinator.page.set_viewport_size(size)
            response = coordinator.open(path)
            assert response.status == 200, path
            assert coordinator.page.locator("svg[role=img]").count() >= 4, path
            for number in CALLERS:
                assert number[2:] not in coordinator.page.content()
        assert coordinator.page.get_by_label("From (first day)").input_value() == "2026-03-02"
    errors = [m for m in messages if not hasattr(m, "type") or m.type in ("error", "warning")]
    assert errors == [], [str(getattr(m, "text", m)) for m in errors]

    coordinator.open(f"/chapters/boston-grief/reports?{RANGE}")
    link = coordinator.page.get_by_role("link", name="Download these numbers (CSV)").first
    href = link.get_attribute("href")
    assert href is not None and "days.csv" in href
    got = coordinator.page.request.get(coordinator.base + href)
    assert got.status == 200 and got.headers["content-type"].startswith("text/csv")
    days = list(csv.DictReader(io.StringIO(got.text())))
    assert sum(int(r["calls"]) for r in days) == len(contacts)
    assert sum(int(r["answered"]) for r in days) == sum(
        1 for c in contacts if c.outcome is Outcome.ANSWERED)
    assert sum(int(r["missed"]) for r in days) == sum(
        1 for c in contacts if c.outcome in (Outcome.VOICEMAIL, Outcome.ABANDONED,
                                             Outcome.NO_ONE_ON_CALL,
                                             Outcome.CALLBACK_REQUESTED))
