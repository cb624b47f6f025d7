"""Who is on call: cost with 10 vs 10,000 volunteers and 1 vs 500 chapters, a year of history.

Run: PYTHONPATH=. python bench/bench_oncall.py   (each setup on a fresh temporary SQLite file)
Prints the median time of load_rota + on_call for one chapter, and each setup's ratio to the
small baseline measured in the same run (target: flat, within 1.2x). Not part of the test run.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert

from hotline.db import make_engine, make_sessionmaker, upgrade
from hotline.roster import models
from hotline.roster.oncall import on_call
from hotline.roster.store import load_rota

NOW = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)
YEAR_AGO = NOW - timedelta(days=365)


def build(url: str, chapters: int, volunteers: int) -> int:
    """A database where each chapter has a year of weekly edits (52 closed versions of each
    shift, 52 dated overrides); returns the id of the chapter measured."""
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(models.Volunteer),
            [
                {
                    "name": f"V{i}",
                    "phone": f"+1{2000000000 + i}",
                    "languages": [],
                    "experiences": [],
                    "active": True,
                    "created_at": YEAR_AGO,
                }
                for i in range(volunteers)
            ],
        )
        vids = [row[0] for row in conn.exec_driver_sql("SELECT id FROM volunteers ORDER BY id")]
        for c in range(chapters):
            cid = conn.execute(
                insert(models.Chapter).values(
                    slug=f"c{c}",
                    name=f"Chapter {c}",
                    timezone="America/New_York",
                    ring_strategy="all",
                    ring_timeout_seconds=20,
                    max_wait_seconds=90,
                    accept_mode="press1",
                    language="en-US",
                    greeting="",
                    hold_message="",
                    hours_text="",
                    emergency_line="",
                    created_at=YEAR_AGO,
                )
            ).inserted_primary_key[0]
            crew = [vids[(c * 7 + k) % len(vids)] for k in range(min(7, len(vids)))]
            shifts = []
            for week in range(53):
                start = YEAR_AGO + timedelta(weeks=week)
                for k, vid in enumerate(crew):
                    shifts.append(
                        {
                            "chapter_id": cid,
                            "volunteer_id": vid,
                            "days": "mon,tue,wed,thu,fri",
                            "start": f"{8 + 2 * k:02d}:00",
                            "end": f"{10 + 2 * k:02d}:00",
                            "tier": 1,
                            "valid_from": start,
                            "valid_until": None if week == 52 else start + timedelta(weeks=1),
                            "created_at": start,
                        }
                    )
            conn.execute(insert(models.Shift), shifts)
            conn.execute(
                insert(models.Override),
                [
                    {
                        "chapter_id": cid,
                        "kind": "add",
                        "volunteer_id": crew[0],
                        "tier": 2,
                        "start": YEAR_AGO + timedelta(weeks=w),
                        "end": YEAR_AGO + timedelta(weeks=w, hours=4),
                        "reason": "",
                        "source": "coordinator",
                        "created_at": YEAR_AGO,
                        "replacement_id": None,
                    }
                    for w in range(52)
                ],
            )
            rid = conn.execute(
                insert(models.Rotation).values(
                    chapter_id=cid,
                    name="r",
                    anchor=date(2025, 1, 6),
                    handoff="09:00",
                    length=1,
                    unit="weeks",
                    tier=2,
                    created_at=YEAR_AGO,
                )
            ).inserted_primary_key[0]
            conn.execute(
                insert(models.RotationMember),
                [
                    {"rotation_id": rid, "position": p, "volunteer_id": v}
                    for p, v in enumerate(crew)
                ],
            )
    engine.dispose()
    return int(cid)


def measure(url: str, chapter_id: int, rounds: int = 300) -> float:
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    timings = []
    for _ in range(rounds):
        with sessions() as session:
            began = time.perf_counter()
            plan = on_call(load_rota(session, chapter_id, NOW), NOW)
            timings.append(time.perf_counter() - began)
            assert plan.waves  # the measured instant is covered
    engine.dispose()
    return statistics.median(timings)


def main() -> None:
    cases = [
        ("1 chapter, 10 volunteers", 1, 10),
        ("1 chapter, 10,000 volunteers", 1, 10_000),
        ("500 chapters, 10 volunteers", 500, 10),
        ("500 chapters, 10,000 volunteers", 500, 10_000),
    ]
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for index, (label, chapters, volunteers) in enumerate(cases):
            url = f"sqlite:///{folder}/bench{index}.db"
            chapter_id = build(url, chapters, volunteers)
            results.append((label, measure(url, chapter_id)))
    baseline = results[0][1]
    print(f"{'setup (a year of weekly edits per chapter)':<44} {'median':>10} {'ratio':>7}")
    for label, seconds in results:
        print(f"{label:<44} {seconds * 1000:>8.2f}ms {seconds / baseline:>6.2f}x")


if __name__ == "__main__":
    main()
