"""load_rota's cost on the call path: flat in history, other chapters and volunteers.

Counted, not timed: the statements one lookup sends, and the rows the database reads for them
(SQLite: loop steps of its virtual machine; PostgreSQL: rows the plan's scans produced or
filtered out, from EXPLAIN ANALYZE).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from hotline.roster import models
from hotline.roster.oncall import on_call
from hotline.roster.rules import OverrideKind
from hotline.roster.store import load_rota
from hotline.runtime import Runtime
from tests.roster import dbrota

# Tuesday 10 March 2026, 19:30 in Boston.
NOW = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)
YEAR_AGO = NOW - timedelta(days=365)


@dataclass(frozen=True)
class Cost:
    """What one lookup sent and what the database read to answer it."""

    statements: int
    rows_read: int

    def same_as(self, other: Cost) -> bool:
        # Where an index range ends (on the next chapter's entry, or at the end of the index)
        # can cost a step either way; reading even one extra week of history costs more.
        slack = 2 * self.statements
        return self.statements == other.statements and (
            abs(self.rows_read - other.rows_read) <= slack
        )


@contextmanager
def sent_statements(session: Session) -> Iterator[list[tuple[str, Any]]]:
    sent: list[tuple[str, Any]] = []
    bind = session.connection()

    def record(*args: Any) -> None:
        sent.append((args[2], args[3]))

    event.listen(bind, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(bind, "before_cursor_execute", record)


def sqlite_steps(session: Session, run: Callable[[], object]) -> int:
    # SQLite calls the progress handler at its loop back-edges: one call per row stepped over,
    # whatever the depth of the B-tree, so the count is the rows read, not the table size.
    raw = session.connection().connection.driver_connection
    assert raw is not None
    steps = [0]

    def tick() -> int:
        steps[0] += 1
        return 0

    raw.set_progress_handler(tick, 1)
    try:
        run()
    finally:
        raw.set_progress_handler(None, 1)
    return steps[0]


def postgres_rows(session: Session, sent: list[tuple[str, Any]]) -> int:
    # Rows every scan node produced or threw away, summed over the lookup's queries. Seq scans
    # are off: the test tables are tiny, where a seq scan is the planner's honest choice, and
    # the question is whether the indexes let a lookup avoid reading others' and past rows.
    raw = session.connection().connection.driver_connection
    assert raw is not None
    raw.execute("SET LOCAL enable_seqscan = off")
    total = 0
    for sql, params in sent:
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        (plan,) = raw.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params).fetchone()
        plan = json.loads(plan) if isinstance(plan, str) else plan
        total += _scan_rows(plan[0]["Plan"])
    raw.execute("SET LOCAL enable_seqscan = on")
    return total


def _scan_rows(node: dict[str, Any]) -> int:
    own = 0
    if "Scan" in node["Node Type"]:
        own = node["Actual Rows"] * node["Actual Loops"] + node.get("Rows Removed by Filter", 0)
    return own + sum(_scan_rows(child) for child in node.get("Plans", []))


def lookup_cost(session: Session, chapter_id: int) -> Cost:
    session.expire_all()
    with sent_statements(session) as sent:
        if session.get_bind().dialect.name == "sqlite":
            rows = sqlite_steps(session, lambda: load_rota(session, chapter_id, NOW))
        else:
            load_rota(session, chapter_id, NOW)
    statements = len(sent)
    if session.get_bind().dialect.name != "sqlite":
        rows = postgres_rows(session, sent)
    return Cost(statements, rows)


def seed_chapter(
    session: Session, slug: str, crew: list[models.Volunteer], weeks: int
) -> models.Chapter:
    """A chapter whose crew's shifts and rotation were edited weekly for `weeks` weeks before
    the current version, with a past override a week and a past day off a month for each."""
    chapter = dbrota.chapter(session, slug)
    starts = [YEAR_AGO + timedelta(weeks=week) for week in range(weeks + 1)]
    for index, start in enumerate(starts):
        until = None if index == weeks else start + timedelta(weeks=1)
        for k, volunteer in enumerate(crew):
            dbrota.shift(session, chapter, volunteer, "mon,tue,wed,thu,fri",
                         f"{8 + 2 * k:02d}:00", f"{10 + 2 * k:02d}:00",
                         valid_from=start if index else None, valid_until=until)
        dbrota.rotation(session, chapter, crew, date(2025, 1, 13), tier=2,
                        valid_from=start if index else None, valid_until=until)
        if index < weeks:
            session.add(models.Override(
                chapter_id=chapter.id, kind=OverrideKind.ADD, volunteer_id=crew[0].id, tier=2,
                start=start, end=start + timedelta(hours=4)))
    for month in range(weeks // 4):
        for volunteer in crew:
            session.add(models.Unavailability(
                volunteer_id=volunteer.id, start=YEAR_AGO + timedelta(days=30 * month),
                end=YEAR_AGO + timedelta(days=30 * month + 1)))
    session.flush()
    return chapter


def crew(session: Session, prefix: str, count: int, first_phone: int) -> list[models.Volunteer]:
    return [dbrota.volunteer(session, f"{prefix}{i}", f"+1617{first_phone + i:07d}")
            for i in range(count)]


def waves(session: Session, chapter_id: int) -> list[tuple[int, list[str]]]:
    plan = on_call(load_rota(session, chapter_id, NOW), NOW)
    return [(int(wave.tier), [v.name for v in wave.volunteers]) for wave in plan.waves]


def test_cost_does_not_grow_with_history(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        fresh = seed_chapter(session, "fresh", crew(session, "F", 7, 5550000), weeks=0)
        old = seed_chapter(session, "old", crew(session, "O", 7, 5551000), weeks=52)
        fresh_cost, old_cost = lookup_cost(session, fresh.id), lookup_cost(session, old.id)
        # The two chapters are on call alike now; only the year behind them differs.
        assert [len(names) for _, names in waves(session, old.id)] == [1, 1]
        assert len(load_rota(session, old.id, NOW).shifts) == 7
        assert old_cost.same_as(fresh_cost), (old_cost, fresh_cost)


def test_cost_does_not_grow_with_other_chapters_or_volunteers(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        boston = seed_chapter(session, "boston", crew(session, "B", 7, 5552000), weeks=8)
        alone = lookup_cost(session, boston.id)
        on_call_alone = waves(session, boston.id)
        crew(session, "X", 300, 5553000)
        for index in range(20):
            seed_chapter(session, f"c{index}", crew(session, f"C{index}-", 7,
                                                    5560000 + 100 * index), weeks=8)
        crowded = lookup_cost(session, boston.id)
        assert waves(session, boston.id) == on_call_alone
        assert crowded.same_as(alone), (crowded, alone)


def test_live_versions_found_on_both_sides_of_the_instant(runtime: Runtime) -> None:
    # The two index ranges: open versions, and versions that close after the instant.
    with runtime.transaction() as session:
        boston = dbrota.chapter(session, "boston")
        ann = dbrota.volunteer(session, "Ann", "+16175550111")
        bob = dbrota.volunteer(session, "Bob", "+16175550112")
        cy = dbrota.volunteer(session, "Cy", "+16175550113")
        handover = NOW + timedelta(days=2)
        dbrota.shift(session, boston, ann, "tue", "18:00", "22:00", valid_until=handover)
        dbrota.shift(session, boston, bob, "tue", "18:00", "22:00", valid_from=handover)
        dbrota.shift(session, boston, cy, "tue", "18:00", "22:00", valid_until=NOW)
        dbrota.rotation(session, boston, [cy], date(2026, 1, 5), tier=2, valid_until=handover)
        dbrota.rotation(session, boston, [bob], date(2026, 1, 5), tier=2, valid_from=handover)
        assert waves(session, boston.id) == [(1, ["Ann"]), (2, ["Cy"])]
        next_week = NOW + timedelta(weeks=1)
        rota = load_rota(session, boston.id, next_week)
        assert [s.volunteer_id for s in rota.shifts] == [bob.id]
        assert [r.members for r in rota.rotations] == [(bob.id,)]
