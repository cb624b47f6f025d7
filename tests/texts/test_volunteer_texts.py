"""Texts from a volunteer's own phone through the stand-in: ON, OFF, NEXT, TAKE <ref>, and
STOP, which stops alerts to them."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from hotline.audit.models import AuditEntry
from hotline.logs.models import Voicemail
from hotline.roster.models import Override, Unavailability
from hotline.roster.oncall import on_call
from hotline.roster.store import load_rota
from hotline.standin.phones import answers, leaves_voicemail, rings_out
from hotline.texts.inbound import STOPPED
from hotline.texts.models import TextStatus
from tests.conftest import RuntimeFactory
from tests.flows.harness import CALLER, HOTLINE, Hotline, hotline, seed_chapter, status_url
from tests.texts.helpers import add_shift, add_volunteer, chapter_id, outbox, texts_to

ANN, BOB, CORA, DAN = "+16175550111", "+16175550112", "+16175550113", "+16175550114"
BOSTON = ZoneInfo("America/New_York")


def waves_at(line: Hotline, at: datetime) -> dict[int, list[str]]:
    """Who is on call at `at`, tier -> phones, as a call would be planned."""
    with line.runtime.sessions() as session:
        plan = on_call(load_rota(session, chapter_id(line), at), at)
    return {int(w.tier): [v.phone for v in w.volunteers] for w in plan.waves}


def audit(line: Hotline, action: str) -> list[AuditEntry]:
    with line.runtime.sessions() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_on_puts_a_volunteer_on_call_for_4_hours_at_their_usual_tier(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime)
    ids = seed_chapter(line.runtime, {1: [ANN]}, coordinators=[BOB])
    boston = chapter_id(line)
    add_shift(line.runtime, boston, ids[BOB], "sat", "10:00", "14:00", tier=2)
    add_shift(line.runtime, boston, ids[BOB], "sun", "10:00", "14:00", tier=2)
    now = line.board.now()
    assert waves_at(line, now) == {1: [ANN]}
    (reply,) = line.sim.text(BOB, HOTLINE, "on")
    assert reply == ("Boston Bereavement Line: you are on call now until Mon 06 Jan 13:00 "
                     "(tier 2). Thank you. Reply OFF to come off.")
    assert waves_at(line, now + timedelta(hours=3, minutes=59)) == {1: [ANN], 2: [BOB]}
    assert waves_at(line, now + timedelta(hours=4)) == {1: [ANN]}
    with line.runtime.sessions() as session:
        (override,) = session.scalars(select(Override)).all()
    assert (override.kind, override.tier, override.source) == ("add", 2, "text")
    (entry,) = audit(line, "override.add")
    assert entry.chapter_id == boston and entry.subject == f"override {override.id}"
    assert entry.actor == f"text:Coordinator 0112 (volunteer {ids[BOB]})"
    line.sim.advance(3600)                           # 10:00: off, then on again
    line.sim.text(BOB, HOTLINE, "OFF")
    assert waves_at(line, line.board.now()) == {1: [ANN]}
    (again,) = line.sim.text(BOB, HOTLINE, "ON")
    assert "until Mon 06 Jan 14:00 (tier 2)" in again
    assert waves_at(line, line.board.now() + timedelta(hours=3)) == {1: [ANN], 2: [BOB]}
    assert len(audit(line, "override.add")) == 2 and len(audit(line, "override.end")) == 1


def test_off_takes_a_volunteer_off_until_their_shift_ends_and_calls_skip_them(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime, {BOB: answers(after=2, press="1", talk_seconds=30)})
    ids = seed_chapter(line.runtime, {2: [BOB]})
    # Dan's shift today runs 08:00-17:00 (the simulation starts at 09:00 in Boston).
    ids |= add_volunteer(line, DAN, "mon", "08:00", "17:00")
    (reply,) = line.sim.text(DAN, HOTLINE, "OFF")
    assert reply == ("Boston Bereavement Line: you are off call until Mon 06 Jan 17:00. "
                     "Thank you for telling us. Reply ON to be on call again.")
    with line.runtime.sessions() as session:
        (away,) = session.scalars(select(Unavailability)).all()
    assert away.volunteer_id == ids[DAN]
    assert away.end == datetime(2025, 1, 6, 17, 0, tzinfo=BOSTON)
    assert [e.subject for e in audit(line, "unavailable.add")] == ["Volunteer 0114"]
    line.sim.call(CALLER, HOTLINE, caller=answers(after=0, talk_seconds=20),
                  status_callback=status_url())
    rung = {leg.to for leg in line.board.legs.values() if leg.direction != "inbound"}
    assert rung == {BOB}


def test_off_lasts_12_hours_at_most_and_off_call_it_says_the_next_shift(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime)
    seed_chapter(line.runtime, {1: [ANN]})
    add_volunteer(line, DAN, "wed", "18:00", "22:00")
    (reply,) = line.sim.text(ANN, HOTLINE, "off")
    assert "off call until Mon 06 Jan 21:00" in reply         # 09:00 + 12 h
    (dan,) = line.sim.text(DAN, HOTLINE, "OFF")
    assert dan == ("You are not on call for Boston Bereavement Line now. Boston Bereavement "
                   "Line: your shifts: Wed 08 Jan 18:00 to Wed 08 Jan 22:00 (tier 1); "
                   "Wed 15 Jan 18:00 to Wed 15 Jan 22:00 (tier 1).")
    with line.runtime.sessions() as session:
        assert len(session.scalars(select(Unavailability)).all()) == 1


def test_next_lists_the_coming_shifts_in_chapter_time(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime)
    seed_chapter(line.runtime, {})
    add_volunteer(line, DAN, "mon,thu", "08:00", "17:00")
    (reply,) = line.sim.text(DAN, HOTLINE, "Next")
    assert reply == ("Boston Bereavement Line: your shifts: on call now until Mon 06 Jan 17:00; "
                     "Thu 09 Jan 08:00 to Thu 09 Jan 17:00 (tier 1); Mon 13 Jan 08:00 to "
                     "Mon 13 Jan 17:00 (tier 1); Thu 16 Jan 08:00 to Thu 16 Jan 17:00 (tier 1).")


def test_take_by_text_claims_a_message_and_stops_its_escalation(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime, {ANN: rings_out()})
    seed_chapter(line.runtime, {1: [ANN]}, coordinators=[CORA], ring_timeout_seconds=10,
                 max_wait_seconds=30, alert_unclaimed_minutes=30)
    line.sim.call(CALLER, HOTLINE, caller=leaves_voicemail(8), status_callback=status_url())
    (alert,) = texts_to(line, ANN)
    found = re.search(r"TAKE ([A-Z0-9]{4})", alert)
    assert found is not None
    (reply,) = line.sim.text(ANN, HOTLINE, f"take {found.group(1).lower()}")
    assert reply.startswith(f"You have taken voicemail {found.group(1)}")
    assert line.sim.text(ANN, HOTLINE, "TAKE") == [
        "Reply TAKE and the ref from the alert, e.g. TAKE K7Q2."]
    line.sim.advance(3600)
    assert texts_to(line, CORA) == []
    with line.runtime.sessions() as session:
        voicemail = session.scalars(select(Voicemail)).one()
    assert voicemail.claimed_at is not None


def test_take_by_text_is_for_the_chapter_texted(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime, {ANN: rings_out()})
    seed_chapter(line.runtime, {1: [ANN]}, ring_timeout_seconds=10, max_wait_seconds=30)
    seed_chapter(line.runtime, {1: [BOB]}, slug="chicago", number="+13125550100")
    line.sim.call(CALLER, HOTLINE, caller=leaves_voicemail(8), status_callback=status_url())
    found = re.search(r"TAKE ([A-Z0-9]{4})", texts_to(line, ANN)[0])
    assert found is not None
    # Bob is Chicago's (seed_chapter names every chapter "Boston Bereavement Line").
    assert line.sim.text(BOB, "+13125550100", f"TAKE {found.group(1)}") == [
        f"Ref {found.group(1)} is not one of Boston Bereavement Line's: nothing taken."]
    with line.runtime.sessions() as session:
        assert session.scalars(select(Voicemail)).one().claimed_at is None


def test_a_volunteers_stop_stops_alerts_to_them(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime, {ANN: rings_out()})
    seed_chapter(line.runtime, {1: [ANN]}, ring_timeout_seconds=10, max_wait_seconds=30)
    assert line.sim.text(ANN, HOTLINE, "STOP") == [STOPPED]
    line.sim.call(CALLER, HOTLINE, caller=leaves_voicemail(8), status_callback=status_url())
    assert texts_to(line, ANN) == [STOPPED]
    (alert,) = outbox(line, "alert")
    assert alert.status is TextStatus.OPTED_OUT
    line.sim.text(ANN, HOTLINE, "START")
    (help_,) = line.sim.text(ANN, HOTLINE, "HELP")
    assert "Reply ON to be on call now" in help_


def test_volunteer_words_from_elsewhere_do_nothing(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime)
    seed_chapter(line.runtime, {1: [ANN]})
    seed_chapter(line.runtime, {1: [BOB]}, slug="chicago", number="+13125550100")
    (stranger,) = line.sim.text(CALLER, HOTLINE, "ON")
    assert "We talk by phone" in stranger
    (bob,) = line.sim.text(BOB, HOTLINE, "ON")
    assert bob == "You are not on the rota of Boston Bereavement Line, so that did nothing."
    with line.runtime.sessions() as session:
        assert session.scalars(select(Override)).all() == []
    (other,) = line.sim.text(ANN, HOTLINE, "what now?")
    assert other.startswith("Reply ON to be on call now")
    assert line.sim.text(ANN, HOTLINE, "hm") == []
