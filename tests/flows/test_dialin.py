"""A volunteer calling the line from their own phone reaches a menu, not the queue."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from hotline.logs.models import (
    AttemptResult,
    Call,
    CallbackRequest,
    CallKind,
    FollowUpStatus,
    Outcome,
    Phase,
    Voicemail,
)
from hotline.standin.calls import Leg
from hotline.standin.phones import HANG_UP, answers, leaves_voicemail, presses, rings_out
from hotline.voice import media
from tests.conftest import RuntimeFactory
from tests.flows.harness import CALLER, HOTLINE, Hotline, hotline, seed_chapter, status_url

ANN, BOB = "+16175550111", "+16175550112"
OTHER_LINE = "+16175550101"
ALWAYS = "00:00-00:00"


def inbound(line: Hotline, sid: str) -> Leg:
    return line.board.legs[sid]


def rung(line: Hotline, number: str) -> list[Leg]:
    return [leg for leg in line.board.legs.values()
            if leg.to == number and leg.direction != "inbound"]


def leave_a_message(line: Hotline) -> str:
    report = line.sim.call(CALLER, HOTLINE, caller=leaves_voicemail(8),
                           status_callback=status_url())
    assert len(report.recordings) == 1
    return report.sid


def test_a_volunteer_hears_the_waiting_messages_which_are_then_marked_heard(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime, {ANN: rings_out(), BOB: rings_out()})
    seed_chapter(line.runtime, {1: [ANN, BOB]}, ring_timeout_seconds=10, max_wait_seconds=30)
    leave_a_message(line)
    before = len(rung(line, ANN))
    report = line.sim.call(BOB, HOTLINE, caller=presses("1", "2", HANG_UP),
                           status_callback=status_url())
    heard = " ".join(inbound(line, report.sid).heard)
    assert "Hello Volunteer. This is Boston Bereavement Line." in heard
    assert "There is 1 message and no call-backs waiting." in heard
    assert "Message 1 of 1, left Monday at 9:00 AM, reference" in heard
    assert "That was the last message." in heard
    (played,) = inbound(line, report.sid).played
    assert played[1:] == (200, "audio/wav")
    assert urlsplit(played[0]).path.startswith("/voice/voicemails/")
    assert line.board.errors == []
    assert len(rung(line, ANN)) == before              # nobody was rung for Bob's call
    with line.runtime.sessions() as session:
        voicemail = session.scalars(select(Voicemail)).one()
        assert voicemail.heard_at is not None
        bob = session.scalar(select(Call).where(Call.call_sid == report.sid))
        assert bob is not None and bob.kind is CallKind.VOLUNTEER
        assert bob.phase is Phase.FINISHED and voicemail.claimed_volunteer_id == bob.volunteer_id
    # A second call finds nothing waiting; Bob's calls are not contacts in the log.
    again = line.sim.call(BOB, HOTLINE, caller=presses("1", HANG_UP))
    heard = " ".join(inbound(line, again.sid).heard)
    assert "There are no messages and no call-backs waiting." in heard
    assert "There are no messages waiting." in heard
    with line.runtime.sessions() as session:
        kinds = {c.call_sid: c.kind for c in session.scalars(select(Call))}
    assert kinds[again.sid] is CallKind.VOLUNTEER
    with pytest.raises(AssertionError):
        line.contact(again.sid)


def test_a_volunteer_returns_a_call_back_on_their_own_call(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime, {ANN: rings_out(), BOB: rings_out()})
    seed_chapter(line.runtime, {1: [ANN, BOB]}, ring_timeout_seconds=10, max_wait_seconds=30,
                 callback_hours=ALWAYS, callback_delays_minutes=[60])
    asked = line.sim.call(CALLER, HOTLINE, caller=presses("1"), status_callback=status_url())
    line.board.phone(CALLER, answers(after=3, talk_seconds=40))
    report = line.sim.call(BOB, HOTLINE, caller=presses("2", "", talk_seconds=600),
                           status_callback=status_url())
    bob = inbound(line, report.sid)
    assert "There are no messages and 1 call-back waiting." in " ".join(bob.heard)
    assert "Calling them now." in " ".join(bob.heard)
    (callee,) = rung(line, CALLER)
    assert callee.from_ == HOTLINE                      # never Bob's own number
    assert "This is a call back for someone at this number" in " ".join(callee.heard)
    assert callee.bridged_with and callee.bridged_with[0][0] == report.sid
    (attempt,) = line.contact(asked.sid).callbacks
    assert attempt.volunteer == "Volunteer 0112" and attempt.outcome is AttemptResult.ANSWERED
    # The attempt scheduled for an hour after the ask is not made: the call-back is done.
    line.sim.advance(2 * 3600)
    assert len(rung(line, CALLER)) == 1
    with line.runtime.sessions() as session:
        request = session.scalars(select(CallbackRequest)).one()
        assert request.status is FollowUpStatus.DONE and request.attempts == 1


def test_a_volunteer_who_stays_on_the_line_talks_to_another_volunteer(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime, {ANN: answers(after=2, talk_seconds=30), BOB: rings_out()})
    seed_chapter(line.runtime, {1: [ANN, BOB]}, ring_timeout_seconds=10)
    report = line.sim.call(BOB, HOTLINE, caller=presses(""), status_callback=status_url())
    assert rung(line, BOB) == []                         # never their own phone
    (ann,) = rung(line, ANN)
    assert ann.bridged_with and ann.bridged_with[0][0] == report.sid
    row = line.contact(report.sid)                       # now a contact like any other
    assert row.outcome is Outcome.ANSWERED and row.answered_by == "Volunteer 0111"
    assert row.caller.endswith(BOB[-4:]) and BOB[:-4] not in row.caller


def test_a_volunteer_of_another_chapter_is_a_caller_here(make_runtime: RuntimeFactory) -> None:
    line = hotline(make_runtime, {ANN: answers(after=2, talk_seconds=30)})
    seed_chapter(line.runtime, {1: [ANN]})
    seed_chapter(line.runtime, {1: [BOB]}, slug="worcester", number=OTHER_LINE)
    report = line.sim.call(BOB, HOTLINE, caller=presses(), status_callback=status_url())
    assert "Hello Volunteer" not in " ".join(inbound(line, report.sid).heard)
    assert line.contact(report.sid).outcome is Outcome.ANSWERED


def test_a_message_link_is_signed_short_lived_and_for_one_message(
    make_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch,
) -> None:
    line = hotline(make_runtime, {ANN: rings_out()})
    seed_chapter(line.runtime, {1: [ANN]}, ring_timeout_seconds=10, max_wait_seconds=30)
    leave_a_message(line)
    with line.runtime.sessions() as session:
        voicemail_id = session.scalars(select(Voicemail.id)).one()
    settings = line.runtime.settings.app
    url = media.audio_url(settings.public_url, settings.secret_key, voicemail_id)
    client = line.app.test_client()
    path = urlsplit(url).path
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "audio/wav"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data[:4] == b"RIFF"
    other = media.audio_url(settings.public_url, settings.secret_key, voicemail_id + 1)
    token = urlsplit(other).path.rsplit("/", 1)[1]
    assert client.get(path.rsplit("/", 1)[0] + "/" + token).status_code == 404  # not this one
    assert client.get(path[:-3] + "xyz").status_code == 404                     # forged
    forged = media.audio_url(settings.public_url, "another secret", voicemail_id)
    assert client.get(urlsplit(forged).path).status_code == 404
    monkeypatch.setattr(media, "LINK_SECONDS", -1)                             # expired
    assert client.get(path).status_code == 404
