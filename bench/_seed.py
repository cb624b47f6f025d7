"""Seeding the real tables with SQLAlchemy Core bulk inserts: chapters, rota, past contacts.

Every chapter has one hotline number and weekly shifts covering all 24 hours of all 7 days in
its own zone (four 6-hour blocks, five volunteers each: two primary, two backup, one
fallback), so whatever the instant of the bench, someone is on call. Each shift also has an
older, closed version, as an edited rota leaves behind. Past contacts are finished calls with
1 to 3 legs each, spread uniformly over the last two years, from a pool of repeat callers.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from hotline.bans import Ban
from hotline.db import make_engine, normalise_url
from hotline.logs.models import Call, CallLeg
from hotline.privacy import Privacy, mask
from hotline.roster.models import Chapter, ChapterNumber, Shift, Volunteer

ZONES = (
    "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
    "America/Anchorage", "Pacific/Honolulu", "Europe/London", "Europe/Berlin",
    "Australia/Sydney", "Asia/Kolkata",
)
BLOCKS = (("00:00", "06:00"), ("06:00", "12:00"), ("12:00", "18:00"), ("18:00", "00:00"))
TIERS_PER_BLOCK = (1, 1, 2, 2, 3)
EVERY_DAY = "mon,tue,wed,thu,fri,sat,sun"
HISTORY = timedelta(days=730)
BATCH = 5000


@dataclass(frozen=True)
class Roster:
    """What the seeding made that the load generator and the contacts need."""

    numbers: tuple[str, ...]                      # one hotline number per chapter, by chapter
    volunteers: dict[int, tuple[tuple[int, str], ...]]  # chapter id -> (volunteer id, name)


def seed_roster(engine: Engine, privacy: Privacy, chapters: int, volunteers: int,
                bans: int, seed: int) -> Roster:
    """Chapters with a number each, volunteers shared out evenly, shifts, a ban list."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    per_chapter = volunteers // chapters
    if per_chapter < len(TIERS_PER_BLOCK) * len(BLOCKS):
        raise ValueError(f"need at least {len(TIERS_PER_BLOCK) * len(BLOCKS)} per chapter")
    chapter_rows, number_rows, volunteer_rows, shift_rows = [], [], [], []
    by_chapter: dict[int, list[tuple[int, str]]] = {}
    numbers: list[str] = []
    vid = sid = 0
    for cid in range(1, chapters + 1):
        number = f"+1800{cid:07d}"
        numbers.append(number)
        chapter_rows.append({
            "id": cid, "slug": f"chapter-{cid:04d}", "name": f"Chapter {cid}",
            "timezone": ZONES[cid % len(ZONES)], "ring_strategy": "all" if cid % 4 else
            "sequential", "greeting": "Thank you for calling. We are finding someone for you.",
            "hold_message": "Please stay on the line.", "hours_text": "Every day, all day.",
            "created_at": now - HISTORY,
        })
        number_rows.append({"number": number, "chapter_id": cid})
        members = by_chapter.setdefault(cid, [])
        for k in range(per_chapter):
            vid += 1
            name = f"Volunteer {vid}"
            members.append((vid, name))
            volunteer_rows.append({
                # 415-2xx-xxxx: numbers libphonenumber holds valid (hotline.phone.parse_phone)
                "id": vid, "name": name, "phone": f"+1415{200 + vid // 10000}{vid % 10000:04d}",
                "languages": ["en"],
                "experiences": [], "active": True, "created_at": now - HISTORY,
            })
            block, slot = divmod(k, len(TIERS_PER_BLOCK))
            start, end = BLOCKS[block % len(BLOCKS)]
            tier = TIERS_PER_BLOCK[slot]
            edited = now - timedelta(days=rng.randint(30, 300))
            for valid_from, valid_until, days in (
                (None, edited, "mon,wed,fri"), (edited, None, EVERY_DAY),
            ):
                sid += 1
                shift_rows.append({
                    "id": sid, "chapter_id": cid, "volunteer_id": vid, "days": days,
                    "start": start, "end": end, "tier": tier, "valid_from": valid_from,
                    "valid_until": valid_until, "created_at": valid_from or now - HISTORY,
                })
    ban_rows = []
    for bid in range(1, bans + 1):
        banned = f"+44{rng.randint(7000000000, 7999999999)}"
        ban_rows.append({
            "id": bid, "number_hash": privacy.digest(banned), "number_hint": mask(banned),
            "chapter_id": rng.choice([None, rng.randint(1, chapters)]),
            "reason": "bench", "created_at": now - HISTORY,
        })
    with engine.begin() as conn:
        conn.execute(insert(Chapter), chapter_rows)
        conn.execute(insert(ChapterNumber), number_rows)
        for rows, table in ((volunteer_rows, Volunteer), (shift_rows, Shift)):
            for i in range(0, len(rows), BATCH):
                conn.execute(insert(table), rows[i:i + BATCH])
        conn.execute(insert(Ban), ban_rows)
    fix_sequences(engine, ("chapters", "volunteers", "shifts", "bans"))
    return Roster(tuple(numbers), {cid: tuple(v) for cid, v in by_chapter.items()})


def callers_pool(privacy: Privacy, size: int, seed: int) -> list[tuple[str, str, str]]:
    """(cipher, hash, hint) of `size` repeat callers: encrypted once, reused by many calls."""
    rng = random.Random(seed)
    pool = []
    for _ in range(size):
        number = f"+1{rng.randint(201, 989)}{rng.randint(2000000, 9999999)}"
        pool.append((privacy.encrypt(number), privacy.digest(number), mask(number)))
    return pool


def seed_contacts(url: str, roster: Roster, callers: list[tuple[str, str, str]],
                  count: int, seed: int, processes: int = 2) -> float:
    """Add `count` finished calls with their legs; returns the seconds it took.

    Split over `processes` (each its own engine and id range): building and binding rows is
    Python work, so one process leaves the second core and much of PostgreSQL idle."""
    began = time.monotonic()
    if count <= 0:
        return 0.0
    engine = make_engine(url)
    with engine.connect() as conn:
        first_call = (conn.scalar(select(func.max(Call.id))) or 0) + 1
        first_leg = (conn.scalar(select(func.max(CallLeg.id))) or 0) + 1
    engine.dispose()
    share = -(-count // processes)
    jobs = [
        (url, roster, callers, min(share, count - k * share), seed * 100 + k,
         first_call + k * share, first_leg + k * share * 3)
        for k in range(processes) if count > k * share
    ]
    # The children take the default SIGTERM back: the bench's own handler is for its process.
    pool = multiprocessing.get_context("fork").Pool(
        len(jobs), initializer=signal.signal, initargs=(signal.SIGTERM, signal.SIG_DFL))
    try:
        pool.starmap(_insert_contacts, jobs)
        pool.close()
    finally:
        pool.terminate()
        pool.join()
    engine = make_engine(url)
    fix_sequences(engine, ("calls", "call_legs"))
    engine.dispose()
    return time.monotonic() - began


def _insert_contacts(url: str, roster: Roster, callers: list[tuple[str, str, str]], count: int,
                     seed: int, first_call: int, first_leg: int) -> None:
    engine = make_engine(url)
    rng = random.Random(seed)
    now = datetime.now(UTC) - timedelta(hours=1)
    ids = _Ids(first_call, first_leg)
    for start in range(0, count, BATCH):
        calls, legs = [], []
        for _ in range(min(BATCH, count - start)):
            call, call_legs = _contact(rng, roster, callers, now, ids)
            calls.append(call)
            legs.extend(call_legs)
        with engine.begin() as conn:
            conn.execute(insert(Call), calls)
            conn.execute(insert(CallLeg), legs)
    engine.dispose()


class _Ids:
    def __init__(self, call: int, leg: int) -> None:
        self.call, self.leg = call, leg

    def next_call(self) -> int:
        self.call += 1
        return self.call - 1

    def next_leg(self) -> int:
        self.leg += 1
        return self.leg - 1


def _contact(rng: random.Random, roster: Roster, callers: list[tuple[str, str, str]],
             now: datetime, ids: _Ids) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    chapter_id = rng.randint(1, len(roster.numbers))
    started = now - HISTORY * rng.random()
    cipher, digest, hint = rng.choice(callers)
    people = rng.sample(roster.volunteers[chapter_id], rng.randint(1, 3))
    roll = rng.random()
    outcome = ("answered" if roll < 0.7 else "voicemail" if roll < 0.82
               else "callback_requested" if roll < 0.87 else "abandoned")
    call_id = ids.next_call()
    legs: list[dict[str, Any]] = []
    answered_leg = answered_at = None
    for wave, (vid, name) in enumerate(people):
        offered = started + timedelta(seconds=3 + 20 * wave)
        won = outcome == "answered" and wave == len(people) - 1
        leg_id = ids.next_leg()
        if won:
            answered_leg, answered_at = leg_id, offered + timedelta(seconds=8)
        status, screen, leg_outcome = (
            ("completed", "accepted", "answered") if won
            else ("canceled", "none", "canceled") if outcome == "abandoned"
            else rng.choice([("no-answer", "none", "no_answer"),
                             ("completed", "declined", "declined")])
        )
        legs.append({
            "id": leg_id, "call_id": call_id, "volunteer_id": vid, "volunteer_name": name,
            "call_sid": _sid(rng), "status": status, "screen": screen,
            "outcome": leg_outcome, "engaged": None, "dialled_at": offered, "created_at": offered,
            "answered_at": answered_at if won else None,
            "ended_at": offered + timedelta(seconds=20), "stop_requested_at": None,
        })
    talk = rng.randint(60, 3600) if answered_at else None
    ended = (answered_at + timedelta(seconds=talk) if answered_at and talk
             else started + timedelta(seconds=30 + 20 * len(people)))
    call = {
        "id": call_id, "call_sid": _sid(rng), "chapter_id": chapter_id,
        "to_number": roster.numbers[chapter_id - 1], "caller_cipher": cipher,
        "caller_hash": digest, "caller_hint": hint, "started_at": started, "phase": "finished",
        "outcome": outcome,
        "plan": [{"tier": 1, "volunteers": [{"id": v, "name": n} for v, n in people]}],
        "planned_at": started, "tier_index": 0, "tier_since": started,
        "position_at_arrival": 1, "dequeued_at": answered_at or ended,
        "awaiting_dispatch": False, "plain_dial": False, "answered_leg_id": answered_leg,
        "answered_at": answered_at, "talk_seconds": talk, "ended_at": ended,
    }
    return call, legs


def _sid(rng: random.Random) -> str:
    return "CA" + uuid.UUID(int=rng.getrandbits(128)).hex


def fix_sequences(engine: Engine, tables: tuple[str, ...]) -> None:
    """Move PostgreSQL's id sequences past the explicit ids (SQLite needs nothing)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in tables:
            conn.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            ))


def vacuum_analyze(engine: Engine) -> None:
    """The state autovacuum leaves after a bulk load: statistics, and PostgreSQL's visibility
    map (without it an index-only scan still reads the table)."""
    if engine.dialect.name != "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


@contextmanager
def scratch_databases(base_url: str | None, count: int, stem: str) -> Iterator[list[str]]:
    """`count` empty databases: SQLite files in a temporary folder, or PostgreSQL databases
    made on the server `base_url` names and dropped afterwards."""
    if base_url is None or base_url.startswith("sqlite"):
        with tempfile.TemporaryDirectory() as folder:
            yield [f"sqlite:///{folder}/{stem}{index}.db" for index in range(count)]
        return
    base = make_url(normalise_url(base_url))
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    names = [f"hotline_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}_{i}" for i in range(count)]
    try:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield [base.set(database=name).render_as_string(hide_password=False) for name in names]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
