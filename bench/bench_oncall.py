"""Who is on call: cost with 10 vs 10,000 volunteers and 1 vs 500 chapters, a year of history.

Run from the repository root (not part of the test run):

    PYTHONPATH=. python bench/bench_oncall.py                      # SQLite, temporary files
    PYTHONPATH=. python bench/bench_oncall.py \
        --database-url postgresql://postgres@127.0.0.1/postgres       # PostgreSQL

On PostgreSQL the URL names a server and a database to connect to for admin work; each setup
gets its own database, created here and dropped at the end. Each setup is measured as the call
path runs it: a fresh session, `load_rota` for one chapter at one instant, then `on_call`.

The setups are built first, then measured in the same process, interleaved: every round times
one lookup in each setup, in a shuffled order, so machine noise (other processes, CPU frequency,
the garbage collector) falls on all of them alike. The table gives the median and the 95th
percentile, the statements each lookup sends, and each setup's ratio to the small baseline
(target: flat, within 1.2x).
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from _seed import scratch_databases  # the bench/ folder is the script's own
from sqlalchemy import Connection, Engine, event, insert
from sqlalchemy.orm import Session, sessionmaker

from hotline.db import make_engine, make_sessionmaker, upgrade
from hotline.roster import models
from hotline.roster.oncall import OnCall, on_call
from hotline.roster.store import load_rota

NOW = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)  # a Tuesday, 19:30 in New York
YEAR_AGO = NOW - timedelta(days=365)
WEEKS = 52
CREW = 7


@dataclass(frozen=True)
class Setup:
    """One configuration: how many chapters share the database, and how many volunteers."""

    label: str
    chapters: int
    volunteers: int


SETUPS = (
    Setup("1 chapter, 10 volunteers", 1, 10),
    Setup("1 chapter, 10,000 volunteers", 1, 10_000),
    Setup("500 chapters, 10 volunteers", 500, 10),
    Setup("500 chapters, 10,000 volunteers", 500, 10_000),
)


@dataclass(frozen=True)
class Result:
    """Timings of one setup's lookups, in seconds, and the statements one lookup sends."""

    setup: Setup
    statements: int
    timings: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.timings)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.timings, n=20, method="inclusive")[-1]


# --- seeding -----------------------------------------------------------------------------


def build(url: str, setup: Setup) -> int:
    """Migrate and fill a database: every chapter has a year of weekly edits (52 closed
    versions of each of its 7 shifts and of its rotation, one open version of each), 52 past
    overrides, and its crew a year of past unavailability. Returns the measured chapter's id."""
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(insert(models.Volunteer), [_volunteer(i) for i in range(setup.volunteers)])
        vids = [row[0] for row in conn.exec_driver_sql("SELECT id FROM volunteers ORDER BY id")]
        chapter_ids = [_chapter(conn, c, vids) for c in range(setup.chapters)]
        # Past unavailability: a day a month for everyone who sits in a crew.
        crews = sorted({vids[(c * CREW + k) % len(vids)] for c in range(setup.chapters)
                        for k in range(CREW)})
        conn.execute(
            insert(models.Unavailability),
            [
                {"volunteer_id": vid, "start": YEAR_AGO + timedelta(days=30 * m),
                 "end": YEAR_AGO + timedelta(days=30 * m + 1), "reason": "",
                 "created_at": YEAR_AGO}
                for vid in crews
                for m in range(12)
            ],
        )
    if engine.dialect.name == "postgresql":
        # A live server has statistics from autovacuum; without them the plan is a guess.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    # The middle chapter: neither the first rows written nor the last.
    return chapter_ids[len(chapter_ids) // 2]


def _volunteer(i: int) -> dict[str, Any]:
    return {"name": f"V{i}", "phone": f"+1{2000000000 + i}", "languages": [],
            "experiences": [], "active": True, "created_at": YEAR_AGO}


def _chapter(conn: Connection, c: int, vids: list[int]) -> int:
    cid = conn.execute(
        insert(models.Chapter).returning(models.Chapter.id).values(
            slug=f"c{c}", name=f"Chapter {c}", timezone="America/New_York",
            ring_strategy="all", ring_timeout_seconds=20, max_wait_seconds=90,
            accept_mode="press1", language="en-US", greeting="", hold_message="",
            hours_text="", emergency_line="", created_at=YEAR_AGO,
        )
    ).scalar_one()
    crew = [vids[(c * CREW + k) % len(vids)] for k in range(min(CREW, len(vids)))]
    versions = [
        (YEAR_AGO + timedelta(weeks=week),
         None if week == WEEKS else YEAR_AGO + timedelta(weeks=week + 1))
        for week in range(WEEKS + 1)
    ]
    conn.execute(
        insert(models.Shift),
        [
            {"chapter_id": cid, "volunteer_id": vid, "days": "mon,tue,wed,thu,fri",
             "start": f"{8 + 2 * k:02d}:00", "end": f"{10 + 2 * k:02d}:00", "tier": 1,
             "valid_from": start, "valid_until": until, "created_at": start}
            for start, until in versions
            for k, vid in enumerate(crew)
        ],
    )
    conn.execute(
        insert(models.Override),
        [
            {"chapter_id": cid, "kind": "add", "volunteer_id": crew[0], "tier": 2,
             "start": YEAR_AGO + timedelta(weeks=w),
             "end": YEAR_AGO + timedelta(weeks=w, hours=4), "reason": "",
             "source": "coordinator", "created_at": YEAR_AGO, "replacement_id": None}
            for w in range(WEEKS)
        ],
    )
    rotation_ids = conn.scalars(
        insert(models.Rotation).returning(models.Rotation.id, sort_by_parameter_order=True),
        [
            {"chapter_id": cid, "name": "r", "anchor": date(2025, 1, 6), "handoff": "09:00",
             "length": 1, "unit": "weeks", "tier": 2, "valid_from": start,
             "valid_until": until, "created_at": start}
            for start, until in versions
        ],
    ).all()
    conn.execute(
        insert(models.RotationMember),
        [
            {"rotation_id": rid, "position": p, "volunteer_id": v}
            for rid in rotation_ids
            for p, v in enumerate(crew)
        ],
    )
    return cid


# --- databases -----------------------------------------------------------------------------


# --- measuring ----------------------------------------------------------------------------


def lookup(sessions: sessionmaker[Session], chapter_id: int) -> OnCall:
    """What a call does: a fresh session, the rota at the instant, the ring plan."""
    with sessions() as session:
        return on_call(load_rota(session, chapter_id, NOW), NOW)


def count_statements(engine: Engine, run: Callable[[], object]) -> int:
    """How many statements `run` sends (BEGIN included on SQLite, where it is explicit)."""
    sent: list[str] = []

    def record(*args: Any) -> None:
        sent.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(sent)


@dataclass(frozen=True)
class Target:
    """A built setup ready to measure: its engine, sessions and the chapter looked up."""

    setup: Setup
    engine: Engine
    sessions: sessionmaker[Session]
    chapter_id: int

    def run(self) -> OnCall:
        return lookup(self.sessions, self.chapter_id)


def measure(targets: list[Target], rounds: int, warmup: int, seed: int) -> list[Result]:
    """Interleaved timings: each round times one lookup per setup, in a shuffled order."""
    shapes = {}
    for target in targets:
        plan = target.run()
        assert plan.waves, f"{target.setup.label}: nobody on call at the measured instant"
        shapes[target.setup.label] = tuple((wave.tier, len(wave.volunteers)) for wave in plan.waves)
    assert len(set(shapes.values())) == 1, f"setups disagree on who is on call: {shapes}"
    statements = {target.setup: count_statements(target.engine, target.run) for target in targets}
    for _ in range(warmup):
        for target in targets:
            target.run()
    timings: dict[Setup, list[float]] = {target.setup: [] for target in targets}
    order = list(targets)
    shuffle = random.Random(seed).shuffle
    gc.collect()
    gc.freeze()  # the seeded objects are not the lookups' garbage
    try:
        for index in range(rounds):
            shuffle(order)
            # Collect between rounds, never inside a timed lookup, so no setup pays for another.
            gc.disable()
            for target in order:
                began = time.perf_counter()
                target.run()
                timings[target.setup].append(time.perf_counter() - began)
            gc.enable()
            if index % 50 == 0:
                gc.collect()
    finally:
        gc.enable()
        gc.unfreeze()
    return [Result(t.setup, statements[t.setup], tuple(timings[t.setup])) for t in targets]


def report(database: str, results: list[Result], rounds: int) -> str:
    base = results[0]
    lines = [
        f"{database}: {rounds} interleaved lookups per setup; ratios against {base.setup.label}",
        f"{'setup (a year of weekly edits per chapter)':<36} {'queries':>7} {'median':>9} "
        f"{'p95':>9} {'median x':>9} {'p95 x':>7}",
    ]
    for result in results:
        lines.append(
            f"{result.setup.label:<36} {result.statements:>7} "
            f"{result.median * 1000:>7.3f}ms {result.p95 * 1000:>7.3f}ms "
            f"{result.median / base.median:>8.2f}x {result.p95 / base.p95:>6.2f}x"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None,
                        help="postgresql://... server to make the databases on (default: SQLite)")
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20260310)
    args = parser.parse_args(argv)
    with scratch_databases(args.database_url, len(SETUPS), "oncall") as urls:
        engines = []
        try:
            targets = []
            for setup, url in zip(SETUPS, urls, strict=True):
                chapter_id = build(url, setup)
                engine = make_engine(url)
                engines.append(engine)
                targets.append(Target(setup, engine, make_sessionmaker(engine), chapter_id))
            results = measure(targets, args.rounds, args.warmup, args.seed)
            print(report(engines[0].dialect.name, results, args.rounds))
        finally:
            for engine in engines:
                engine.dispose()


if __name__ == "__main__":
    main()
