"""The contact log and notes in real Chromium: a coordinator finds a call by date and outcome
and opens its timeline; a volunteer writes a note on their call from a phone-sized window and
cannot open another volunteer's note."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from hotline.logs.models import LegOutcome, Outcome
from hotline.roster import models
from hotline.roster.localtime import to_instant
from hotline.runtime import Runtime
from tests.logs.calls import add_call
from tests.web.conftest import PHONE, Person

NEW_YORK = ZoneInfo("America/New_York")
Live = Callable[[str], Person]
WORDS = "Talked through the funeral plans; she may call the Tuesday group."


def boston_calls(runtime: Runtime, day: date) -> dict[str, int]:
    """Three calls on `day` (Boston's calendar) and one the day before."""
    def at(hour: int, on: date = day) -> datetime:
        return to_instant(datetime.combine(on, time(hour, 0)), NEW_YORK)

    with runtime.transaction() as db:
        boston = db.scalars(select(models.Chapter)
                            .where(models.Chapter.slug == "boston-grief")).one()
        ann, ben = (db.scalars(select(models.Volunteer).where(models.Volunteer.name == name))
                    .one() for name in ("Ann Example", "Ben Okafor"))
        p = runtime.privacy
        return {
            "wanted": add_call(db, p, chapter_id=boston.id, started_at=at(11),
                               legs=[(ben, LegOutcome.DECLINED), (ann, LegOutcome.ANSWERED)],
                               talk_seconds=421, hold_seconds=35),
            "message": add_call(db, p, chapter_id=boston.id, started_at=at(14),
                                outcome=Outcome.VOICEMAIL, legs=[(ann, LegOutcome.NO_ANSWER)]),
            "bens": add_call(db, p, chapter_id=boston.id, started_at=at(16),
                             caller="+16175550142", legs=[(ben, LegOutcome.ANSWERED)],
                             talk_seconds=60),
            "earlier": add_call(db, p, chapter_id=boston.id,
                                started_at=at(11, day - timedelta(days=1)),
                                legs=[(ann, LegOutcome.ANSWERED)], talk_seconds=100),
        }


def yesterday_in_boston(runtime: Runtime) -> date:
    return runtime.clock().astimezone(NEW_YORK).date() - timedelta(days=1)


def test_a_coordinator_finds_a_call_by_date_and_outcome_and_opens_its_timeline(
        live: Live) -> None:
    runtime: Runtime = live.runtime  # type: ignore[attr-defined]
    day = yesterday_in_boston(runtime)
    made = boston_calls(runtime, day)
    coordinator = live("boston")
    page = coordinator.page
    page.get_by_role("link", name="Contact log").click()
    page.wait_for_load_state()
    coordinator.check()
    page.get_by_label("From (the line's own date)").fill(day.isoformat())
    page.get_by_label("Until (that day included)").fill(day.isoformat())
    page.get_by_label("Outcome").select_option(label="Answered")
    page.get_by_role("button", name="Show calls").click()
    page.wait_for_load_state()
    coordinator.check()
    found = page.locator("table.log tbody tr")
    assert [found.nth(n).get_attribute("data-call") for n in range(found.count())] == [
        str(made["bens"]), str(made["wanted"])]
    found.filter(has_text="Ann Example").get_by_role("link").click()
    page.wait_for_load_state()
    coordinator.check()
    assert page.get_by_role("heading", name="Call on Boston Bereavement Line").is_visible()
    legs = page.locator("table tbody tr")
    assert legs.nth(0).inner_text().split("\t")[0] == "Ben Okafor"
    assert "declined" in legs.nth(0).inner_text()
    assert "Ann Example (took the call)" in legs.nth(1).inner_text()
    facts = page.locator("dl.facts").inner_text()
    assert "7 min 1 s" in facts and "0 min 35 s" in facts and "***0199" in facts
    assert "6175550199" not in page.content() and "6175550142" not in page.content()


def test_a_volunteer_writes_a_note_on_their_call_and_cannot_open_anothers(live: Live) -> None:
    runtime: Runtime = live.runtime  # type: ignore[attr-defined]
    made = boston_calls(runtime, yesterday_in_boston(runtime))
    ann = live("ann")
    ann.page.set_viewport_size(PHONE)
    ann.page.get_by_role("link", name="My calls").click()
    ann.page.wait_for_load_state()
    ann.check()
    ann.page.locator(f'a[href="/me/calls/{made["wanted"]}/note"]').click()
    ann.page.wait_for_load_state()
    ann.check()
    ann.page.get_by_label(re.compile("^Note")).fill(WORDS)
    ann.page.get_by_role("button", name="Save note").click()
    ann.page.wait_for_load_state()
    assert ann.page.get_by_text("Note saved.").is_visible()
    ann.open(f"/me/calls/{made['wanted']}/note")
    assert ann.page.get_by_label(re.compile("^Note")).input_value() == WORDS
    width = ann.page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1

    ben = live("ben")
    response = ben.open(f"/me/calls/{made['wanted']}/note")
    assert response.status == 403
    assert ben.page.get_by_role("heading", name="Not yours to open").is_visible()
    assert WORDS not in ben.page.content()
    assert ann.open(f"/me/calls/{made['bens']}/note").status == 403   # Ben's call, Ben's note
    coordinator = live("boston")
    coordinator.open(f"/contacts/{made['wanted']}")
    assert coordinator.page.locator(".note").inner_text() == WORDS
