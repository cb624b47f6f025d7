"""Report pages: charts drawn on the server, their numbers as CSV, only one's own chapters."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hotline.logs.contacts import list_contacts
from hotline.logs.models import Outcome, ReportDay
from hotline.logs.reports import local_span
from hotline.roster.store import chapter_by_slug
from hotline.runtime import Runtime
from tests.web.reports_data import CALLERS, FIRST, LAST, RANGE, seed_calls

SVG = "{http://www.w3.org/2000/svg}"
CSVS = ("days", "weeks", "answer-times", "missed-by-hour", "fairness")


@pytest.fixture
def calls(seeded: Runtime) -> Runtime:
    seed_calls(seeded)
    return seeded


def rows(client: FlaskClient, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.data.decode())))


def words(element: ET.Element, child: str) -> str:
    found = element.find(f"{SVG}{child}")
    assert found is not None and found.text is not None
    return found.text


def exported(runtime: Runtime, slug: str) -> list[Outcome | None]:
    with runtime.transaction() as db:
        chapter = chapter_by_slug(db, slug)
        start, end = local_span(ZoneInfo(chapter.timezone), FIRST, LAST)
        return [c.outcome for c in list_contacts(db, chapter_id=chapter.id, since=start,
                                                  until=end)]


def test_each_chart_is_well_formed_svg_with_its_numbers(
    calls: Runtime, login: Callable[[str], FlaskClient]
) -> None:
    page = login("boston").get(f"/chapters/boston-grief/reports?{RANGE}").data.decode()
    drawn = re.findall(r"<svg .*?</svg>", page, flags=re.DOTALL)
    assert len(drawn) == 5
    for svg in drawn:
        root = ET.fromstring(svg)
        assert root.find(f"{SVG}title") is not None and root.find(f"{SVG}desc") is not None
        assert "style=" not in svg
    days = ET.fromstring(drawn[0])
    heights = [words(rect, "title") for rect in days.iter(f"{SVG}rect")]
    assert heights == ["03-02: 2", "03-03: 1", "03-04: 1", "03-05: 1", "03-06: 1", "03-07: 1",
                       "03-08: 2"]
    assert "9 in all" in words(days, "desc")
    heat = ET.fromstring(drawn[3])
    cells = {words(rect, "title") for rect in heat.iter(f"{SVG}rect")}
    assert {"Tue 22: 1", "Thu 23: 1", "Fri 03: 1", "Sun 01: 1", "Sun 02: 0"} <= cells
    assert "<dd>50.0%</dd>" in page                             # 4 answered, 4 missed
    assert "<dd>12 s</dd>" in page and "<dd>75 s</dd>" in page  # of 8, 12, 30, 75 s
    assert "Ann Example" in page


def test_csv_sums_match_the_contact_export(
    calls: Runtime, login: Callable[[str], FlaskClient]
) -> None:
    client = login("boston")
    base = "/chapters/boston-grief/reports"
    outcomes = exported(calls, "boston-grief")
    answered = outcomes.count(Outcome.ANSWERED)
    missed = sum(1 for o in outcomes if o in (Outcome.VOICEMAIL, Outcome.ABANDONED,
                                              Outcome.NO_ONE_ON_CALL,
                                              Outcome.CALLBACK_REQUESTED))
    for name in ("days", "weeks"):
        found = rows(client, f"{base}/{name}.csv?{RANGE}")
        assert sum(int(r["calls"]) for r in found) == len(outcomes) == 9
        assert sum(int(r["answered"]) for r in found) == answered == 4
        assert sum(int(r["missed"]) for r in found) == missed == 4
    assert answered / (answered + missed) == 0.5
    assert sum(int(r["calls"]) for r in rows(client, f"{base}/answer-times.csv?{RANGE}")) == 4
    heat = rows(client, f"{base}/missed-by-hour.csv?{RANGE}")
    assert len(heat) == 168 and sum(int(r["missed"]) for r in heat) == missed
    fairness = {r["volunteer"]: r for r in rows(client, f"{base}/fairness.csv?{RANGE}")}
    assert fairness["Ann Example"]["calls_taken"] == "4"
    assert sum(int(r["calls_taken"]) for r in fairness.values()) == answered


def test_all_chapters_for_an_admin_only_ones_own_for_a_coordinator(
    calls: Runtime, login: Callable[[str], FlaskClient]
) -> None:
    everyone = rows(login("admin"), f"/reports/days.csv?{RANGE}")
    assert sum(int(r["calls"]) for r in everyone) == 10          # Chicago's call too
    own = rows(login("boston"), f"/reports/days.csv?{RANGE}")
    assert sum(int(r["calls"]) for r in own) == 9
    page = login("admin").get(f"/reports?{RANGE}").data.decode()
    assert "/chapters/chicago-recovery/reports" in page
    chicago = login("chicago")
    assert chicago.get(f"/chapters/boston-grief/reports?{RANGE}").status_code == 403
    for name in CSVS:
        assert chicago.get(f"/chapters/boston-grief/reports/{name}.csv").status_code == 403
    assert login("ann").get("/reports").status_code == 403


def test_no_caller_number_on_any_page_or_csv(
    calls: Runtime, login: Callable[[str], FlaskClient]
) -> None:
    client = login("admin")
    urls = [f"/chapters/boston-grief/reports?{RANGE}", f"/reports?{RANGE}"]
    urls += [f"/chapters/boston-grief/reports/{n}.csv?{RANGE}" for n in CSVS]
    urls += [f"/reports/{n}.csv?{RANGE}" for n in CSVS[:-1]]
    for url in urls:
        body = client.get(url).data.decode()
        for number in CALLERS:
            assert number[2:] not in body and number[-7:] not in body, url


@pytest.mark.parametrize("query", ["from=2026-03-09&to=2026-03-01", "from=yesterday",
                                   "to=2026-02-30", "from=2020-01-01&to=2026-01-01",
                                   "to=0001-01-01", "from=9999-12-31&to=9999-12-31",
                                   "from=%00"])
def test_a_bad_range_is_a_400_that_says_why(
    calls: Runtime, login: Callable[[str], FlaskClient], query: str
) -> None:
    client = login("boston")
    for url in (f"/chapters/boston-grief/reports?{query}",
                f"/chapters/boston-grief/reports/days.csv?{query}", f"/reports?{query}"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert (b"YYYY-MM-DD" in response.data or b"days at most" in response.data
                or b"Give dates from 2000-01-01 to 2099-12-31" in response.data)


def test_the_page_rolls_past_days_up_once_and_shows_the_same(
    calls: Runtime, login: Callable[[str], FlaskClient]
) -> None:
    client = login("boston")
    url = f"/chapters/boston-grief/reports/days.csv?{RANGE}"
    first = rows(client, url)
    with calls.sessions() as db:
        boston = chapter_by_slug(db, "boston-grief")
        stored = {row.day: row for row in db.scalars(
            select(ReportDay).where(ReportDay.chapter_id == boston.id))}
    assert sorted(stored) == [FIRST + timedelta(days=n) for n in range(7)]   # all over
    assert sum(r.answered + r.missed + r.turned_away for r in stored.values()) == sum(
        int(r["calls"]) for r in first) == 9
    assert rows(client, url) == first
    with calls.sessions() as db:
        assert len(list(db.scalars(select(ReportDay).where(
            ReportDay.chapter_id == boston.id)))) == len(stored)
