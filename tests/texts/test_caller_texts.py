"""Texts from a caller's phone through the stand-in: STOP and its synonyms before any send,
START, HELP, replies to a check-in text, and one helpful answer to anything else."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from hotline.logs.models import Call, CallbackRequest, FollowUpKind, FollowUpStatus
from hotline.standin.phones import answers
from hotline.texts.inbound import STARTED, STOPPED
from hotline.texts.models import OptOut, TextStatus
from hotline.texts.optouts import is_opted_out
from hotline.texts.outbox import queue_text
from tests.conftest import RuntimeFactory
from tests.flows.harness import CALLER, HOTLINE, Hotline, hotline, seed_chapter
from tests.flows.test_checkins import talk_then_note
from tests.texts.helpers import messages_to, outbox, texts_to

ANN = "+16175550111"
ALWAYS = "00:00-00:00"
BOSTON = ZoneInfo("America/New_York")


def requests(line: Hotline) -> list[CallbackRequest]:
    with line.runtime.sessions() as session:
        return list(session.scalars(select(CallbackRequest).order_by(CallbackRequest.id)))


def checkin_booked(make_runtime: RuntimeFactory) -> Hotline:
    """A caller talked with Ann, who booked a check-in text (sent a day later)."""
    line = hotline(make_runtime)
    seed_chapter(line.runtime, {1: [ANN]}, callback_hours=ALWAYS)
    talk_then_note(line, "2")
    return line


def checkin_sent(make_runtime: RuntimeFactory) -> Hotline:
    line = checkin_booked(make_runtime)
    line.sim.advance(24 * 3600 + 60)
    assert any("check-in you agreed to" in body for body in texts_to(line, CALLER))
    return line


def opted_out(line: Hotline, number: str) -> bool:
    with line.runtime.sessions() as session:
        return is_opted_out(session, line.runtime.privacy.digest(number))


@pytest.mark.parametrize("word", ["STOP", "stopall", "Unsubscribe", "cancel.", "END", "Quit"])
def test_each_stop_word_opts_the_number_out_by_keyed_hash(make_runtime: RuntimeFactory,
                                                          word: str) -> None:
    line = hotline(make_runtime)
    seed_chapter(line.runtime, {1: [ANN]})
    assert line.sim.text(CALLER, HOTLINE, word) == [STOPPED]
    assert opted_out(line, CALLER)
    with line.runtime.sessions() as session:
        (row,) = session.scalars(select(OptOut)).all()
        dump = " ".join(str(r) for r in session.execute(text("SELECT * FROM opt_outs")))
    assert row.number_hash == line.runtime.privacy.digest(CALLER)
    assert CALLER.lstrip("+") not in dump and CALLER[-7:] not in dump


def test_start_and_unstop_undo_stop_and_help_names_the_line(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime)
    seed_chapter(line.runtime, {1: [ANN]})
    line.sim.text(CALLER, HOTLINE, "STOP")
    assert line.sim.text(CALLER, HOTLINE, "start") == [STARTED]
    assert not opted_out(line, CALLER)
    line.sim.text(CALLER, HOTLINE, "STOP")
    assert line.sim.text(CALLER, HOTLINE, "UNSTOP") == [STARTED]
    assert not opted_out(line, CALLER)
    (help_,) = line.sim.text(CALLER, HOTLINE, "help")
    assert "Boston Bereavement Line" in help_ and "Reply STOP" in help_
    assert "+18002738255" in help_ and "Reply ON" not in help_     # not a volunteer
    assert line.sim.text(CALLER, HOTLINE, "INFO") == [help_]


def test_stop_between_booking_and_sending_a_check_in_text_stops_it(
    make_runtime: RuntimeFactory,
) -> None:
    line = checkin_booked(make_runtime)
    line.sim.advance(3600)
    assert line.sim.text(CALLER, HOTLINE, "Stop") == [STOPPED]
    line.sim.advance(3 * 24 * 3600)
    assert texts_to(line, CALLER) == [STOPPED]
    (request,) = requests(line)
    assert request.kind is FollowUpKind.CHECKIN_TEXT
    assert request.status is FollowUpStatus.CANCELED


def test_stop_after_a_text_was_queued_is_honoured_at_sending(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime)
    seed_chapter(line.runtime, {1: [ANN]})
    talk_then_note(line, "")
    with line.runtime.transaction() as session:      # a text to the caller, due in an hour
        call = session.scalars(select(Call).where(Call.caller_hash != "")).first()
        assert call is not None
        queue_text(session, key="later", kind="checkin", from_number=HOTLINE, body="Hello",
                   now=line.runtime.clock(), caller_cipher=call.caller_cipher,
                   caller_hash=call.caller_hash, caller_hint=call.caller_hint,
                   not_before=line.runtime.clock() + timedelta(hours=1))
    line.sim.text(CALLER, HOTLINE, "QUIT")
    line.sim.advance(2 * 3600)
    assert texts_to(line, CALLER) == [STOPPED]
    (after,) = outbox(line, "checkin")
    assert after.status is TextStatus.OPTED_OUT and after.sent_at is None


def test_a_reply_of_call_to_a_check_in_text_asks_for_a_call_back(
    make_runtime: RuntimeFactory,
) -> None:
    line = checkin_sent(make_runtime)
    assert line.sim.text(CALLER, HOTLINE, "call") == [
        "Thank you. Someone will call you back as soon as they can."]
    line.sim.advance(1)
    assert [(r.kind, r.status) for r in requests(line)] == [
        (FollowUpKind.CHECKIN_TEXT, FollowUpStatus.DONE),
        (FollowUpKind.CALLBACK, FollowUpStatus.OPEN)]
    alerts = [body for body in texts_to(line, ANN) if "call-back requested" in body]
    assert len(alerts) == 1 and CALLER[-4:] not in alerts[0]


def test_again_books_another_check_in(make_runtime: RuntimeFactory) -> None:
    line = checkin_sent(make_runtime)
    assert line.sim.text(CALLER, HOTLINE, "AGAIN") == [
        "Thank you. We will check in again tomorrow."]
    line.sim.advance(25 * 3600)
    checkins = [b for b in texts_to(line, CALLER) if "check-in you agreed to" in b]
    assert len(checkins) == 2


def test_call_with_no_check_in_is_just_a_message(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime)
    seed_chapter(line.runtime, {1: [ANN]})
    (reply,) = line.sim.text(CALLER, HOTLINE, "CALL")
    assert "We talk by phone" in reply
    assert requests(line) == []


def test_anything_else_is_answered_once_a_day_so_no_loop_can_start(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime)
    seed_chapter(line.runtime, {1: [ANN]})
    (first,) = line.sim.text(CALLER, HOTLINE, "hello?")
    assert "call this number" in first and ANN not in first
    # An auto-responder answering each of our texts gets nothing more back.
    for n in range(5):
        assert line.sim.text(CALLER, HOTLINE, f"Auto-reply {n}: I am away") == []
        line.sim.advance(60)
    line.sim.advance(25 * 3600)
    assert len(line.sim.text(CALLER, HOTLINE, "hello again")) == 1


def test_a_flood_of_keywords_is_answered_no_more_but_stop_still_works(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime)
    seed_chapter(line.runtime, {1: [ANN]})
    answered = [line.sim.text(CALLER, HOTLINE, "HELP") for _ in range(15)]
    assert sum(len(a) for a in answered) == 10
    assert line.sim.text(CALLER, HOTLINE, "STOP") == [STOPPED]
    assert opted_out(line, CALLER)


def test_a_text_to_a_number_that_is_no_chapters_is_not_answered(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime)
    seed_chapter(line.runtime, {1: [ANN]})
    assert line.sim.text(CALLER, "+19995550100", "STOP") == []
    assert not opted_out(line, CALLER)
    assert line.board.errors == []


def test_a_malformed_text_is_refused_with_400_never_500(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime)
    seed_chapter(line.runtime, {1: [ANN]})
    assert line.sim.text("not-a-number", HOTLINE, "STOP") == []
    assert [e.status for e in line.board.errors] == [400]
    assert line.sim.text(CALLER, HOTLINE, "x" * 5000) != []     # long bodies are cut, not refused
    assert [e.status for e in line.board.errors] == [400]


def test_a_reply_in_quiet_hours_is_answered_and_the_call_back_waits_for_the_hours(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime)
    seed_chapter(line.runtime, {1: [ANN]}, callback_hours="10:00-18:00")
    talk_then_note(line, "2")                         # Monday 09:0x
    line.sim.advance(25 * 3600)                       # the check-in text went Tuesday 10:00
    assert any("check-in you agreed to" in body for body in texts_to(line, CALLER))
    line.sim.advance(13 * 3600)                       # Tuesday 23:0x: quiet hours for callers
    line.board.phone(ANN, answers(after=2, press=["1", ""], talk_seconds=600))
    line.board.phone(CALLER, answers(after=3, talk_seconds=30))
    asked = line.board.now()
    assert line.sim.text(CALLER, HOTLINE, "CALL") == [
        "Thank you. Someone will call you back as soon as they can."]
    line.sim.advance(1)
    (alert,) = [m for m in messages_to(line, ANN) if "call-back requested" in m.body]
    assert alert.sent - asked < timedelta(seconds=5)          # volunteers are told at once
    line.sim.advance(10 * 3600)                       # Wednesday 09:0x: still closed
    assert [leg for leg in line.board.legs.values() if leg.to == CALLER] == []
    line.sim.advance(2 * 3600)
    (callee,) = [leg for leg in line.board.legs.values() if leg.to == CALLER]
    assert callee.created.astimezone(BOSTON) >= datetime(2025, 1, 8, 10, 0, tzinfo=BOSTON)
