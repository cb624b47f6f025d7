"""A hotline wired to the stand-in: real app, real database, jobs run as simulated time moves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import select

from hotline.app import create_app
from hotline.jobs import ManualRunner
from hotline.logs.contacts import ContactRow, contact_for
from hotline.logs.models import Call, CallLeg
from hotline.roster.models import Chapter, ChapterMember, ChapterNumber, Shift, Volunteer
from hotline.runtime import Runtime
from hotline.settings import Settings
from hotline.standin.delivery import ON_TIME, Delivery
from hotline.standin.phones import Phone
from hotline.standin.simulator import Simulator
from hotline.standin.switchboard import Switchboard
from hotline.standin.transport import WsgiTarget
from hotline.telephony.standin import StandinTelephony
from tests.conftest import TEST_AUTH_TOKEN, TEST_PUBLIC_URL, RuntimeFactory


@dataclass(frozen=True)
class Reading:
    """One reading of what Twilio's docs leave open, as the stand-in's switches play it."""

    name: str
    options: Mapping[str, Any]


# Every flow test runs under each reading (tests/flows/conftest.py): the app must not
# depend on an answer Twilio's documentation does not give.
READINGS = (
    Reading("queue-waits", {"empty_queue": "wait", "enqueue_action_on_redirect": True}),
    Reading("queue-ends", {"empty_queue": "end", "enqueue_action_on_redirect": True}),
    Reading("no-action-on-redirect", {"empty_queue": "wait",
                                      "enqueue_action_on_redirect": False}),
    Reading("queue-ends-no-action", {"empty_queue": "end",
                                     "enqueue_action_on_redirect": False}),
)
READING = READINGS[0]

HOTLINE = "+16175550100"
CALLER = "+16175550199"
EVERY_DAY = "mon,tue,wed,thu,fri,sat,sun"


def seed_chapter(
    runtime: Runtime,
    tiers: Mapping[int, Sequence[str]],
    *,
    slug: str = "boston-grief",
    number: str = HOTLINE,
    coordinators: Sequence[str] = (),
    **settings: Any,
) -> dict[str, int]:
    """A chapter on `number` with volunteers on call all week at the given tiers, and
    `coordinators` (members, with no shift unless a tier names them too); phone -> id."""
    ids: dict[str, int] = {}
    with runtime.transaction() as session:
        chapter = Chapter(slug=slug, name="Boston Bereavement Line",
                          timezone="America/New_York", **settings)
        session.add(chapter)
        session.flush()
        session.add(ChapterNumber(number=number, chapter_id=chapter.id))
        for tier, phones in tiers.items():
            for phone in phones:
                volunteer = session.scalar(select(Volunteer).where(Volunteer.phone == phone))
                if volunteer is None:
                    volunteer = Volunteer(name=f"Volunteer {phone[-4:]}", phone=phone)
                    session.add(volunteer)
                    session.flush()
                ids[phone] = volunteer.id
                session.add(Shift(chapter_id=chapter.id, volunteer_id=volunteer.id,
                                  days=EVERY_DAY, start="00:00", end="00:00", tier=tier))
        for phone in coordinators:
            volunteer = session.scalar(select(Volunteer).where(Volunteer.phone == phone))
            if volunteer is None:
                volunteer = Volunteer(name=f"Coordinator {phone[-4:]}", phone=phone)
                session.add(volunteer)
                session.flush()
            ids[phone] = volunteer.id
            session.add(ChapterMember(chapter_id=chapter.id, volunteer_id=volunteer.id,
                                      coordinator=True))
    return ids


@dataclass
class Hotline:
    runtime: Runtime
    app: Flask
    board: Switchboard
    sim: Simulator
    runner: ManualRunner

    def contact(self, call_sid: str) -> ContactRow:
        with self.runtime.sessions() as session:
            row = contact_for(session, call_sid)
        assert row is not None, f"no record of {call_sid}"
        return row

    def legs(self, call_sid: str) -> list[CallLeg]:
        with self.runtime.sessions() as session:
            call = session.scalar(select(Call).where(Call.call_sid == call_sid))
            assert call is not None
            return list(call.legs)

    def urls_requested(self) -> list[str]:
        """Every URL the stand-in requested of the app (the ones the app handed out)."""
        return [url for _, _, url, _, _ in self.board.requests]


def hotline(
    make_runtime: RuntimeFactory,
    phones: Mapping[str, Phone] | None = None,
    *,
    delivery: Delivery = ON_TIME,
    jobs: Any = None,
    run_jobs: bool = True,
    seed: str = "standin",
    settings: Settings | None = None,
) -> Hotline:
    """The app on a virtual-clock switchboard; due jobs run whenever simulated time moves."""
    board = Switchboard(phones=dict(phones or {}), delivery=delivery, seed=seed,
                        **READING.options)
    runner = ManualRunner(board.now)
    runtime = make_runtime(telephony=StandinTelephony(board), clock=board.now,
                           jobs=jobs if jobs is not None else runner, settings_=settings)
    app = create_app(runtime=runtime)
    sim = Simulator(WsgiTarget(app, TEST_PUBLIC_URL, TEST_AUTH_TOKEN), board,
                    voice_url=f"{TEST_PUBLIC_URL}/voice/incoming")
    if run_jobs:
        def run_jobs_due(now: datetime) -> None:
            runner.run_due(now)

        sim.on_advance(run_jobs_due, next_due=runner.next_due)
    return Hotline(runtime, app, board, sim, runner)


def status_url() -> str:
    return f"{TEST_PUBLIC_URL}/voice/status"
