"""Texts to a hotline number: what the line does with them and answers.

In this order: STOP and its synonyms (the number gets no text and no check-in from then on,
kept by keyed hash) and START/UNSTOP are honoured before anything else, whoever sends them;
a banned sender or one texting faster than FLOOD an hour is answered no more; HELP/INFO
says what the line is and how to stop; a registered volunteer's ON, OFF, NEXT, TAKE and
YES; CALL or AGAIN in reply to a check-in text. Anything else gets one short helpful answer
a day at most, so an auto-responder at the other end cannot start a loop.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.bans import is_banned
from hotline.callbacks.requests import stop_checkins
from hotline.logs.messages import InboundMessage, replied_since
from hotline.roster.models import Chapter, Volunteer
from hotline.texts.checkins import checkin_reply, latest_checkin
from hotline.texts.keywords import CHECKIN_WORDS, VOLUNTEER_WORDS, Word, read
from hotline.texts.optouts import opt_in, opt_out
from hotline.texts.volunteers import serves, volunteer_command

if TYPE_CHECKING:
    from hotline.runtime import Runtime

REPLY_AT_MOST_EVERY = timedelta(hours=24)     # the helpful answer to anything else
FLOOD = 10                                    # texts an hour from one number, answered
STOPPED = ("You will get no more texts from this number. Reply START to get them "
           "again.")
STARTED = "You will get texts from this number again. Reply STOP to stop them."
VOLUNTEER_HELP = ("Reply ON to be on call now, OFF to come off until your shift ends, NEXT "
                  "for your shifts, TAKE and a ref to take a message or call-back, YES to "
                  "confirm a shift. Call this number for the volunteers' menu.")


def respond(session: Session, runtime: Runtime, chapter: Chapter, message: InboundMessage,
            sender: str, body: str, now: datetime) -> str | None:
    """Do what a new text asks; the answer to send back, or None for silence."""
    command = read(body)
    if command.word is Word.STOP:
        opt_out(session, runtime.privacy, sender, "text", now)
        stop_checkins(session, message.sender_hash, now)
        return STOPPED
    if command.word is Word.START:
        opt_in(session, message.sender_hash)
        return STARTED
    if (is_banned(session, runtime.privacy, sender, chapter.id)
            or _texts_in_the_last_hour(session, message.sender_hash, now) > FLOOD):
        return None
    volunteer = session.scalar(select(Volunteer).where(Volunteer.phone == sender,
                                                       Volunteer.active.is_(True)))
    if command.word is Word.HELP:
        return _help(runtime, chapter) + (f" {VOLUNTEER_HELP}" if volunteer else "")
    if volunteer is not None and command.word in VOLUNTEER_WORDS:
        if not serves(session, volunteer, chapter):
            return f"You are not on the rota of {chapter.name}, so that did nothing."
        return volunteer_command(session, volunteer, chapter, command, now)
    if command.word in CHECKIN_WORDS:
        request = latest_checkin(session, message.sender_hash, message.to_number, now)
        reply = checkin_reply(session, request, command.word.upper(), now) if request else None
        if reply is not None:
            return reply
    if replied_since(session, chapter.id, message.sender_hash, now - REPLY_AT_MOST_EVERY):
        return None
    message.replied = True
    return VOLUNTEER_HELP if volunteer is not None else _welcome(runtime, chapter)


def _texts_in_the_last_hour(session: Session, sender_hash: str, now: datetime) -> int:
    count = session.scalar(select(func.count(InboundMessage.id)).where(
        InboundMessage.sender_hash == sender_hash,
        InboundMessage.received_at > now - timedelta(hours=1)))
    return int(count or 0)


def _help(runtime: Runtime, chapter: Chapter) -> str:
    reply = (f"{chapter.name}: call this number to talk with a volunteer who has been "
             "there. Reply STOP to stop texts, START to have them again.")
    return reply + _emergency(runtime, chapter)


def _welcome(runtime: Runtime, chapter: Chapter) -> str:
    reply = (f"{chapter.name}: thank you for your message. We talk by phone: call this "
             "number and a volunteer who has been there will listen.")
    if chapter.hours_text:
        reply += f" Volunteers are on call {chapter.hours_text}."
    return reply + _emergency(runtime, chapter)


def _emergency(runtime: Runtime, chapter: Chapter) -> str:
    emergency = chapter.emergency_line or runtime.settings.calls.emergency_line
    return f" If you are in danger, call {emergency} now." if emergency else ""
