"""Reports and the contact log's first page: 1,000,000 contacts against 10,000, same run.

Run from the repository root (not part of the test run; seeding a million contacts takes a
few minutes):

    nice .venv/bin/python bench/bench_reports.py                     # SQLite, temporary files
    nice .venv/bin/python bench/bench_reports.py \\
        --database-url postgresql://postgres@127.0.0.1/postgres       # PostgreSQL

Two databases made by `hotline db upgrade`'s own code and seeded by `_seed.py` (bulk inserts
into the real tables): the same chapters, volunteers and weekly rota, and finished contacts
spread uniformly over the last two years, 10,000 in one and 1,000,000 in the other. Each
measurement is what a page asks of the database, in a fresh session, for the chapter in the
middle, over the last four weeks (the report pages' default range):

- contact log: the first page of calls filtered by chapter, date range and outcome, newest
  first, 50 rows (the query the contact log page runs; without the outcome filter too);
- each report of hotline.logs.reports: the days' counts (calls per day and week, answer
  rate, time to answer, the missed-calls heat map), read from the daily roll-ups for the days
  that are over and counted from the calls for today; the same counted from every call of the
  range, as the reports did before the roll-ups; fairness; the chapter's whole report and the
  all-chapters report;
- the report pages themselves, through the app (`create_app` on the bench's database, a Flask
  test client signed in as the chapter's coordinator, or as an admin for all chapters): the
  HTTP answer, HTML with its charts, of the default range.

Before the rounds, each database's days in the range are rolled up once by the first page
asked for (the table's roll-up cost, timed once and printed apart); the rounds then measure
what every later visit costs.

Rounds are interleaved (every round times each measurement in each database, in a shuffled
order) so machine noise falls on both alike; the table gives the median and spread (lowest to
highest) and the ratio of the medians, large to small (target: 1.5x at most).
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _seed import (  # noqa: E402
    callers_pool,
    scratch_databases,
    seed_contacts,
    seed_roster,
    vacuum_analyze,
)

from hotline.accounts.models import Role  # noqa: E402
from hotline.accounts.users import add_user, redeem_link  # noqa: E402
from hotline.app import create_app  # noqa: E402
from hotline.db import make_engine, make_sessionmaker, upgrade  # noqa: E402
from hotline.logs import contactlog  # noqa: E402
from hotline.logs.contactlog import LogFilter, LogRow  # noqa: E402
from hotline.logs.models import Call, Outcome  # noqa: E402
from hotline.logs.reports import (  # noqa: E402
    Place,
    answer_times,
    build_report,
    day_totals,
    fairness_rows,
    hourly_counts,
    local_span,
    places_of,
)
from hotline.privacy import Privacy  # noqa: E402
from hotline.roster.models import Chapter  # noqa: E402
from hotline.runtime import build_runtime  # noqa: E402
from hotline.settings import load_settings  # noqa: E402

KEY = "bench-reports-privacy-key-0123456789abcdef"
PASSWORD = uuid.uuid4().hex        # the bench accounts' password, new each run
HISTORY_SECONDS = 730 * 24 * 3600
DAYS = 28


def build(url: str, contacts: int, chapters: int, seed: int) -> float:
    """Migrate and seed one database; returns the seconds seeding took."""
    engine = make_engine(url)
    upgrade(engine)
    privacy = Privacy(KEY)
    roster = seed_roster(engine, privacy, chapters, chapters * 20, 1, seed)
    if url.startswith("sqlite"):
        took = _generate_contacts(engine, contacts, chapters)
        engine.dispose()
    else:
        engine.dispose()
        took = seed_contacts(url, roster, callers_pool(privacy, 2000, seed), contacts, seed)
    engine = make_engine(url)
    vacuum_analyze(engine)
    engine.dispose()
    return took


def _generate_contacts(engine: Engine, contacts: int, chapters: int) -> float:
    """SQLite: the contacts made by the database itself (a recursive CTE), a million in
    seconds where row-by-row inserts from Python take many minutes on a busy machine. Calls
    every 730 days / `contacts`, chapters in turn, the outcomes in _seed.py's proportions
    (plus some nobody-on-call and rejected), each with one leg to a volunteer of its chapter;
    callers' columns hold a hash and a hint only (the reports never read them)."""
    began = time.monotonic()
    now = int(datetime.now(UTC).timestamp()) - 3600
    spacing = HISTORY_SECONDS / max(1, contacts)
    stamp = "strftime('%Y-%m-%d %H:%M:%S', {0}, 'unixepoch') || '.000000'"
    started = f"({now} - CAST(x * {spacing} AS INTEGER))"
    wait = "(5 + (x * 7) % 60)"
    outcome = ("CASE WHEN x % 100 < 70 THEN 'answered' WHEN x % 100 < 82 THEN 'voicemail' "
               "WHEN x % 100 < 87 THEN 'callback_requested' WHEN x % 100 < 96 THEN "
               "'abandoned' WHEN x % 100 < 99 THEN 'no_one_on_call' ELSE 'rejected' END")
    # Only integers and this function's own text go into the statements (S608).
    numbers = ("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n "  # noqa: S608
               f"WHERE x < {int(contacts)})")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO calls (id, call_sid, kind, chapter_id, to_number, caller_cipher, "  # noqa: S608
            "caller_hash, caller_hint, started_at, phase, outcome, plan, tier_index, "
            "plain_dial, awaiting_dispatch, answered_leg_id, answered_at, talk_seconds, "
            f"ended_at, position_at_arrival, dequeued_at) {numbers} "
            f"SELECT x, 'CA' || printf('%032d', x), 'inbound', 1 + x % {chapters}, "
            "'+18000000001', '', 'h' || (x % 2000), '***' || printf('%04d', x % 10000), "
            f"{stamp.format(started)}, 'finished', {outcome}, '[]', 0, 0, 0, "
            f"CASE WHEN x % 100 < 70 THEN x END, "
            f"CASE WHEN x % 100 < 70 THEN {stamp.format(started + ' + ' + wait)} END, "
            f"CASE WHEN x % 100 < 70 THEN 600 END, {stamp.format(started + ' + 700')}, 1, "
            f"{stamp.format(started + ' + ' + wait)} FROM n")
        conn.exec_driver_sql(
            "INSERT INTO call_legs (id, call_id, volunteer_id, volunteer_name, status, "  # noqa: S608
            "screen, "
            "outcome, created_at) "
            f"SELECT id, id, (chapter_id - 1) * 20 + 1 + (id / {chapters}) % 20, "
            f"'Volunteer ' || ((chapter_id - 1) * 20 + 1 + (id / {chapters}) % 20), "
            "'completed', CASE WHEN outcome = 'answered' THEN 'accepted' ELSE 'none' END, "
            "CASE WHEN outcome = 'answered' THEN 'answered' ELSE 'no_answer' END, started_at "
            "FROM calls WHERE outcome != 'rejected'")
    return time.monotonic() - began


def contact_page(session: Session, place: Place, first: date, last: date,
                 outcome: Outcome | None) -> list[LogRow]:
    """The contact log's first page (hotline.logs.contactlog, the page's own query): one
    chapter, local days [first, last], newest first, repeat-caller marks included."""
    wanted = LogFilter(chapters=[(place.id, place.zone)], since=first, until=last,
                       outcome=outcome)
    return contactlog.contact_page(session, wanted).rows


Measure = Callable[["Target"], object]
MEASURES: dict[str, Measure] = {
    "contact log, outcome filter": lambda t: t.query(
        lambda s: contact_page(s, t.place, t.first, t.last, Outcome.VOICEMAIL)),
    "contact log, no outcome": lambda t: t.query(
        lambda s: contact_page(s, t.place, t.first, t.last, None)),
    "contact log page, outcome filter, HTTP": lambda t: t.page(
        t.coordinator, f"/contacts?since={t.first}&until={t.last}&outcome=voicemail"),
    # Both databases fill the first page (50 rows) over the two years: the same page.
    "contact log, outcome filter, 2 years (full page)": lambda t: t.query(
        lambda s: contact_page(s, t.place, t.last - timedelta(days=730), t.last,
                               Outcome.VOICEMAIL)),
    "contact log page, outcome filter, 2 years, HTTP": lambda t: t.page(
        t.coordinator, f"/contacts?since={t.last - timedelta(days=730)}&until={t.last}"
                       "&outcome=voicemail"),
    "days' counts, roll-ups + today": lambda t: t.query(
        lambda s: day_totals(s, [t.place], t.first, t.last)),
    "calls by hour, every call (before)": lambda t: t.query(
        lambda s: hourly_counts(s, [t.place], t.first, t.last)),
    "time to answer, every call (before)": lambda t: t.query(
        lambda s: answer_times(s, [t.place], t.first, t.last)),
    "fairness": lambda t: t.query(lambda s: fairness_rows(s, t.place, t.first, t.last)),
    "chapter report (all of the above)": lambda t: t.query(
        lambda s: build_report(s, [t.place], t.first, t.last)),
    "all-chapters report": lambda t: t.query(
        lambda s: build_report(s, t.places, t.first, t.last)),
    "chapter report page, HTTP": lambda t: t.page(t.coordinator,
                                                  f"/chapters/{t.place.slug}/reports"),
    "all-chapters report page, HTTP": lambda t: t.page(t.admin, "/reports"),
}


class Target:
    """One seeded database, its chapters, the range measured, and the app on it."""

    places: list[Place]
    place: Place
    first: date
    last: date
    count: int
    coordinator: FlaskClient
    admin: FlaskClient
    rolled: int = 0

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.sessions: sessionmaker[Session] = make_sessionmaker(self.engine)
        with self.sessions() as session:
            chapters = list(session.scalars(select(Chapter).order_by(Chapter.id)))
            self.places = list(places_of(chapters))
            self.count = session.scalar(text("SELECT count(*) FROM calls")) or 0
        self.place = self.places[len(self.places) // 2]
        self.last = datetime.now(UTC).astimezone(ZoneInfo(self.place.zone)).date()
        self.first = self.last - timedelta(days=DAYS - 1)
        with self.sessions() as session:          # what each report has to read
            start, end = local_span(ZoneInfo(self.place.zone), self.first, self.last)
            self.in_range = session.scalar(
                select(func.count()).select_from(Call).where(
                    Call.chapter_id == self.place.id, Call.started_at >= start,
                    Call.started_at < end)) or 0
            self.page_rows = (len(contact_page(session, self.place, self.first, self.last,
                                               Outcome.VOICEMAIL)),
                              len(contact_page(session, self.place, self.first, self.last, None)))

        self.runtime = build_runtime(load_settings(environ={
            "HOTLINE_CONFIG": "", "HOTLINE_DATABASE_URL": url,
            "HOTLINE_APP_PUBLIC_URL": "https://hotline.bench.invalid",
            "HOTLINE_APP_SECRET_KEY": uuid.uuid4().hex, "HOTLINE_PRIVACY_KEY": KEY}))
        self.app = create_app(runtime=self.runtime)
        self.coordinator = self._client("coord", Role.COORDINATOR, [self.place.id])
        self.admin = self._client("admin", Role.ADMIN, [])

    def _client(self, who: str, role: Role, chapters: list[int]) -> FlaskClient:
        """A test client of the app, signed in as a new account."""
        now = datetime.now(UTC)
        with self.sessions() as session, session.begin():
            rows = [session.get_one(Chapter, cid) for cid in chapters]
            _, token = add_user(session, f"{who}@bench.invalid", who.title(), role, now=now,
                                chapters=rows)
            redeem_link(session, token, PASSWORD, now=now)
        client = self.app.test_client()
        form = client.get("/login").data.decode()
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
        assert found, "no CSRF token on the sign-in page"
        answer = client.post("/login", data={"email": f"{who}@bench.invalid",
                                             "password": PASSWORD, "csrf_token": found[1]})
        assert answer.status_code == 302, answer.status_code
        return client

    def query(self, what: Callable[[Session], object]) -> object:
        with self.sessions() as session:
            return what(session)

    def page(self, client: FlaskClient, url: str) -> object:
        answer = client.get(url)
        assert answer.status_code == 200 and (b"<svg" in answer.data or b"<table" in answer.data), \
            answer.status_code
        return answer.data

    def time(self, measure: Measure) -> float:
        began = time.perf_counter()
        measure(self)
        return time.perf_counter() - began

    def roll_up(self) -> float:
        """The first page over the range: rolls its past days up (once); seconds taken."""
        with self.sessions() as session:
            before = session.scalar(text("SELECT count(*) FROM report_days")) or 0
        took = self.time(MEASURES["all-chapters report page, HTTP"])
        with self.sessions() as session:
            self.rolled = (session.scalar(text("SELECT count(*) FROM report_days")) or 0) - before
        return took


def run(small: Target, large: Target, repeats: int, seed: int) -> dict[str, dict[str, list[float]]]:
    rng = random.Random(seed)
    found: dict[str, dict[str, list[float]]] = {
        name: {"small": [], "large": []} for name in MEASURES}
    for target in (small, large):
        took = target.roll_up()
        print(f"{target.count:,} contacts: the first all-chapters page rolled up "
              f"{target.rolled} chapter-days in {took * 1000:.0f} ms", flush=True)
    for target in (small, large):                       # warm the caches once, untimed
        for measure in MEASURES.values():
            target.time(measure)
    for _ in range(repeats):
        order = [(name, which) for name in MEASURES for which in ("small", "large")]
        rng.shuffle(order)
        for name, which in order:
            target = small if which == "small" else large
            found[name][which].append(target.time(MEASURES[name]))
    return found


def table(found: dict[str, dict[str, list[float]]], small: Target, large: Target,
          label: str, repeats: int) -> str:
    def cell(values: list[float]) -> str:
        ms = [v * 1000 for v in values]
        return f"{statistics.median(ms):8.1f} ({min(ms):.1f}-{max(ms):.1f})"

    lines = [
        f"{label}: {small.count:,} vs {large.count:,} contacts, {len(large.places)} chapters, "
        f"last {DAYS} days, {repeats} interleaved rounds; ms, median (lowest-highest)",
        f"calls of the chapter measured in those days: {small.in_range:,} vs {large.in_range:,}; "
        f"rows on the contact log's page (outcome filter, none): {small.page_rows} vs "
        f"{large.page_rows}",
        f"{'measure':<36} {'small':>22} {'large':>22} {'ratio':>6}",
    ]
    for name, timings in found.items():
        ratio = statistics.median(timings["large"]) / statistics.median(timings["small"])
        flag = "" if ratio <= 1.5 else "  over 1.5x"
        lines.append(f"{name:<36} {cell(timings['small']):>22} {cell(timings['large']):>22} "
                     f"{ratio:5.2f}x{flag}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", default=None,
                        help="postgresql://... server to make the databases on (default: SQLite)")
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--chapters", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--seed", type=int, default=20261201)
    args = parser.parse_args(argv)
    label = "PostgreSQL" if args.database_url and not args.database_url.startswith(
        "sqlite") else "SQLite"
    with scratch_databases(args.database_url, 2, "reports") as (small_url, large_url):
        for url, count in ((small_url, args.small), (large_url, args.contacts)):
            took = build(url, count, args.chapters, args.seed)
            print(f"seeded {count:,} contacts in {took:.0f} s", flush=True)
        small, large = Target(small_url), Target(large_url)
        try:
            found = run(small, large, args.repeats, args.seed)
            print(table(found, small, large, label, args.repeats))
        finally:
            for target in (small, large):
                target.runtime.engine.dispose()
                target.engine.dispose()


if __name__ == "__main__":
    main()
