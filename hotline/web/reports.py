"""Report pages: one chapter's for its coordinators, all of a viewer's chapters together
(every chapter for an admin). Each chart is SVG drawn here, beside a table of its numbers and
a CSV download of them; the numbers come from hotline.logs.reports."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from markupsafe import Markup

from hotline.logs.reports import (
    LONGEST,
    BadRange,
    Place,
    Report,
    build_report,
    check_range,
    places_of,
)
from hotline.roster import models
from hotline.roster.localtime import as_utc
from hotline.web import charts
from hotline.web.access import chapters_run_by, coordinator_page, runtime, staff_page, viewer

bp = Blueprint("reports", __name__)
DEFAULT_DAYS = 28
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)     # no date arithmetic overflows
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@bp.get("/chapters/<slug>/reports")
@coordinator_page
def chapter_page(chapter: models.Chapter) -> ResponseReturnValue:
    return _page(chapter, places_of([chapter]), [])


@bp.get("/chapters/<slug>/reports/<any(days,weeks,'answer-times','missed-by-hour',fairness)"
        ":name>.csv")
@coordinator_page
def chapter_csv(chapter: models.Chapter, name: str) -> ResponseReturnValue:
    return _csv(_report(places_of([chapter])), name, chapter.slug)


@bp.get("/reports")
@staff_page
def all_page() -> ResponseReturnValue:
    chapters = _chapters()
    return _page(None, places_of(chapters), chapters)


@bp.get("/reports/<any(days,weeks,'answer-times','missed-by-hour'):name>.csv")
@staff_page
def all_csv(name: str) -> ResponseReturnValue:
    return _csv(_report(places_of(_chapters())), name, "all")


def _page(chapter: models.Chapter | None, places: Sequence[Place],
          others: list[models.Chapter]) -> ResponseReturnValue:
    report = _report(places)
    query = urlencode({"from": report.first.isoformat(), "to": report.last.isoformat()})
    return render_template("reports.html", chapter=chapter, report=report, others=others,
                           charts=_charts(report), query=query, weekdays=_weekdays())


def _weekdays() -> list[str]:
    return [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]


def _chapters() -> list[models.Chapter]:
    with runtime().sessions() as db:
        return chapters_run_by(db, viewer())


def _report(places: Sequence[Place]) -> Report:
    first, last = _range(places)
    with runtime().transaction() as db:           # stores the days it rolls up
        return build_report(db, places, first, last, now=as_utc(runtime().clock()))


def _range(places: Sequence[Place]) -> tuple[date, date]:
    """?from=YYYY-MM-DD&to=YYYY-MM-DD, chapter-local days; by default the last four weeks to
    today (in the first chapter's zone, UTC with none)."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(places[0].zone) if places else ZoneInfo("UTC")
    today = as_utc(runtime().clock()).astimezone(zone).date()
    last = _day("to") or today
    first = _day("from") or last - timedelta(days=DEFAULT_DAYS - 1)
    try:
        check_range(first, last)
    except BadRange:
        abort(400, _("Choose a range that ends on or after its start, %(days)d days at most.",
                     days=LONGEST))
    return first, last


def _day(field: str) -> date | None:
    given = request.args.get(field, "").strip()
    if not given:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", given):
            raise ValueError(given)
        day = date.fromisoformat(given)
    except ValueError:
        abort(400, _("Give dates as YYYY-MM-DD."))
    if not EARLIEST <= day <= LATEST:
        abort(400, _("Give dates from %(first)s to %(last)s.", first=EARLIEST.isoformat(),
                     last=LATEST.isoformat()))
    return day


def _charts(report: Report) -> dict[str, Markup]:
    days, weeks, times = report.days, report.weeks, report.times
    every = max(1, len(days) // 10)
    found = {
        "days": charts.bars(
            "chart-days", _("Calls per day"),
            _("Calls on each day from %(first)s to %(last)s: %(total)d in all, busiest day "
              "%(most)d.", first=report.first.isoformat(), last=report.last.isoformat(),
              total=report.total.calls, most=max((c.calls for _, c in days), default=0)),
            [(day.strftime("%m-%d"), counts.calls) for day, counts in days], label_every=every),
        "weeks": charts.bars(
            "chart-weeks", _("Calls per week"),
            _("Calls in each week (starting Monday): %(weeks)s.",
              weeks=", ".join(f"{monday.isoformat()} {c.calls}" for monday, c in weeks)),
            [(monday.strftime("%m-%d"), counts.calls) for monday, counts in weeks],
            label_every=max(1, len(weeks) // 10)),
        "answer-times": charts.bars(
            "chart-answer-times", _("Time to answer"),
            _("Answered calls by seconds to answer, in groups of ten seconds; median "
              "%(median)s s, 90th percentile %(p90)s s.", median=_or_dash(times.median),
              p90=_or_dash(times.p90)),
            [(f"{start}-{start + 9}", count) for start, count in _tens(times.histogram)]),
        "missed-by-hour": charts.heat_map(
            "chart-missed", _("Missed calls by hour of the week"),
            _("Missed calls in each hour of each weekday, chapter time: %(total)d in all, the "
              "most in one hour %(most)d.", total=report.total.missed,
              most=max((v for row in report.missed_by_hour for v in row), default=0)),
            _weekdays(), [f"{h:02d}" for h in range(24)],
            report.missed_by_hour),
    }
    if report.fairness:
        found["fairness"] = charts.bars(
            "chart-fairness", _("Calls taken per volunteer"),
            _("Calls each volunteer took; their hours on call are in the table below."),
            [(row.name, row.taken) for row in report.fairness],
            label_every=max(1, len(report.fairness) // 6))      # names: the table has all
    return {name: Markup(svg) for name, svg in found.items()}  # noqa: S704 (escaped above)


def _tens(histogram: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    groups: dict[int, int] = {}
    for seconds, count in histogram:
        groups[seconds // 10 * 10] = groups.get(seconds // 10 * 10, 0) + count
    if not groups:
        return []
    return [(start, groups.get(start, 0)) for start in range(0, max(groups) + 10, 10)]


def _or_dash(value: int | None) -> str:
    return "–" if value is None else str(value)


def _csv(report: Report, name: str, label: str) -> Response:
    out = io.StringIO()
    write = csv.writer(out, lineterminator="\r\n").writerow
    counts_header = ["calls", "answered", "missed", "turned_away", "live"]
    if name == "days":
        write(["date", *counts_header])
        for day, c in report.days:
            write([day.isoformat(), c.calls, c.answered, c.missed, c.turned_away, c.live])
    elif name == "weeks":
        write(["week_starting", *counts_header])
        for monday, c in report.weeks:
            write([monday.isoformat(), c.calls, c.answered, c.missed, c.turned_away, c.live])
    elif name == "answer-times":
        write(["seconds_to_answer", "calls"])
        for seconds, count in report.times.histogram:
            write([seconds, count])
    elif name == "missed-by-hour":
        write(["weekday", "hour", "missed"])
        for index, row in enumerate(report.missed_by_hour):
            for hour, count in enumerate(row):
                write([WEEKDAYS[index], hour, count])
    else:
        write(["volunteer", "hours_on_call", "calls_offered", "calls_taken"])
        for line in report.fairness:
            write([line.name, f"{line.hours_on_call:.1f}", line.offered, line.taken])
    filename = f"{label}-{name}-{report.first.isoformat()}-{report.last.isoformat()}.csv"
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})
