"""What the caller or a volunteer hears next: the call flow decides, hotline.voice renders.

Plain values, no behaviour: the caller's side (hotline.calls.flow) and the volunteer's side
(hotline.calls.legs) both return them, and neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hotline.roster.matching import VOICES
from hotline.roster.models import Chapter


@dataclass(frozen=True)
class Speech:
    """How the chapter speaks to its callers and volunteers."""

    chapter_name: str
    language: str
    voice: str = ""      # a <Say> voice of `language`: set for a language chosen at the menu


def speech_of(chapter: Chapter | None, chosen: str | None = None) -> Speech:
    """The chapter's speech, or the language the caller `chosen` at its menu (their call's
    `language`): every later prompt of that call goes through here."""
    if chapter is None:
        return Speech("Hotline", "en-US")
    if chosen:
        return Speech(chapter.name, chosen, VOICES.get(chosen, ""))
    return Speech(chapter.name, chapter.language or "en-US")


# -- the caller ---------------------------------------------------------------------------


@dataclass(frozen=True)
class UnknownNumber:
    """Nobody owns the number dialled."""


@dataclass(frozen=True)
class Rejected:
    """A banned caller: refused before the call is answered (not billed)."""


@dataclass(frozen=True)
class NobodyOnCall:
    call_id: int
    speech: Speech
    hours_text: str
    emergency_line: str
    emergency_message: str
    can_call_back: bool = True     # False: the caller's number is withheld


@dataclass(frozen=True)
class Holding:
    """Put the caller in line at once (the greeting is the first turn of the hold music, so
    a volunteer who accepts within it finds the caller already waiting to be bridged)."""

    call_id: int
    queue: str                  # the caller's CallSid: only the claiming volunteer dequeues it


@dataclass(frozen=True)
class LanguageMenu:
    """Greet in the chapter's first language and offer the others by key, each in itself."""

    call_id: int
    speech: Speech                                  # the first language
    options: tuple[tuple[str, Speech], ...]         # (key, that language's speech)


@dataclass(frozen=True)
class ExperienceMenu:
    """Offer a volunteer who shares the caller's experience, one key per experience."""

    call_id: int
    speech: Speech                                  # the caller's language
    prompts: Speech                                 # the chapter's, which the prompts are in
    options: tuple[tuple[str, str], ...]            # (key, the chapter's prompt)


@dataclass(frozen=True)
class Chosen:
    """The caller chose at the menus: into the line (told first if nobody on call speaks
    their language: the next volunteer free takes them)."""

    holding: Holding
    speech: Speech
    no_speaker: bool


@dataclass(frozen=True)
class Busy:
    """A cap turned the caller away (hotline.calls.caps): the lines are busy, and they may
    leave a message."""

    call_id: int
    speech: Speech


@dataclass(frozen=True)
class HoldMusic:
    """One turn of the hold loop: what to say, then how long to wait before the next."""

    speech: Speech
    greeting: str | None        # the first turn: the chapter's greeting ('' for the default)
    message: str                # the chapter's own hold message ('' for the default)
    position: int               # 1: next in line
    everyone_busy: bool         # every volunteer who could take the call is with a caller
    connecting: bool            # a volunteer has accepted; the bridge is a moment away
    pause_seconds: int
    overflow: str = ""          # the caller is offered to this chapter's volunteers (its name)
    listen_in: bool = False     # the greeting says a volunteer in training may listen


@dataclass(frozen=True)
class Leave:
    """Send the caller out of the queue (to the Enqueue action)."""


@dataclass(frozen=True)
class Menu:
    """Nobody took the call: offer a call back (press 1) or a voicemail."""

    call_id: int
    speech: Speech
    can_call_back: bool = True     # False: the caller's number is withheld


@dataclass(frozen=True)
class DialTarget:
    """One volunteer's phone in the fallback `<Dial>`, with the leg that records it."""

    leg_id: int
    number: str


@dataclass(frozen=True)
class PlainDial:
    """The fallback: ring these phones with one `<Dial>` (callerId is the hotline number)."""

    call_id: int
    speech: Speech
    caller_id: str
    targets: tuple[DialTarget, ...]
    timeout_seconds: int


@dataclass(frozen=True)
class RecordMessage:
    call_id: int
    speech: Speech


@dataclass(frozen=True)
class Goodbye:
    speech: Speech
    reason: str                  # "callback", "voicemail", "no-message", "ended"


# -- a volunteer ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Prompt:
    """Ask the volunteer to press 1 (they hear which line is calling, and why, first)."""

    leg_id: int
    speech: Speech
    purpose: str = "call"          # "call", "listen" (a trainee), or "callback" / "checkin"
    asked: str = ""                # what the caller chose at the menus, said before "Press 1"


@dataclass(frozen=True)
class Connect:
    """Bridge the volunteer and the caller through the queue named `queue`: the volunteer
    dequeues the caller waiting in it, or (`holds`) waits in it while we dial the caller."""

    leg_id: int
    speech: Speech
    queue: str
    call_id: int
    holds: bool = False
    conference: bool = False       # listen-in: a Conference named `queue`, not the queue


@dataclass(frozen=True)
class ListenIn:
    """A trainee who pressed 1: join the mentor's conference muted, with no beep."""

    leg_id: int
    speech: Speech
    conference: str


@dataclass(frozen=True)
class MentorAway:
    """The mentor's conference Dial ended with them still on the line: they pressed *, or
    the caller left. A moment's pause tells the two apart (the caller's end is reported)."""

    leg_id: int
    speech: Speech


@dataclass(frozen=True)
class MentorMenu:
    """The mentor pressed *: let the trainee speak (5), mute them (6), or go back (else)."""

    leg_id: int
    speech: Speech


@dataclass(frozen=True)
class JoinConference:
    """The caller, moved out of their queue once a volunteer took them: into the conference
    named `conference` (listen-in), which ends when they or the volunteer leave."""

    call_id: int
    conference: str


@dataclass(frozen=True)
class WrapUp:
    """The caller hung up first: the volunteer may note what they agreed to."""

    leg_id: int
    speech: Speech


@dataclass(frozen=True)
class Noted:
    """What the volunteer chose at the wrap-up menu was recorded."""

    speech: Speech
    what: str                      # "checkin_call", "checkin_text", "flag", or "" (nothing)


@dataclass(frozen=True)
class Taken:
    """Someone else accepted first."""

    speech: Speech


@dataclass(frozen=True)
class CallerGone:
    """The caller hung up or moved on to voicemail before this volunteer accepted."""

    speech: Speech


@dataclass(frozen=True)
class Declined:
    speech: Speech


LegAnswer = Prompt | Connect | Taken | CallerGone | Declined | ListenIn


# -- a call-back or check-in: the volunteer holds while the caller is dialled -----------------


@dataclass(frozen=True)
class StillDialling:
    """One turn of the volunteer's wait while the caller's phone rings."""

    speech: Speech


@dataclass(frozen=True)
class Unreached:
    """The caller could not be reached this time (the volunteer is told, then freed)."""

    speech: Speech
    again: bool                    # another attempt is scheduled


@dataclass(frozen=True)
class CallerScreen:
    """What the caller hears on answering: neutral unless the chapter sets a greeting."""

    call_id: int
    speech: Speech
    greeting: str
    checkin: bool


@dataclass(frozen=True)
class JoinVolunteer:
    """The caller pressed 1: bridge them to the volunteer holding in `queue`."""

    queue: str
    call_id: int



# -- a volunteer calling the line from their own phone ---------------------------------------


@dataclass(frozen=True)
class VolunteerMenu:
    """What waits for them, and the three choices (no key: connected as a caller)."""

    call_id: int
    speech: Speech
    first_name: str
    messages: int
    callbacks: int
    again: bool = False            # they pressed a key the menu does not have


@dataclass(frozen=True)
class PlayMessage:
    """Play one waiting message (`number` of `total`), then offer what to do with it."""

    call_id: int
    speech: Speech
    voicemail_id: int
    number: int
    total: int
    left_at: datetime
    timezone: str
    reference: str


@dataclass(frozen=True)
class MenuNotice:
    """A short notice, then the menu again."""

    call_id: int
    speech: Speech
    what: str        # "no-messages", "last-message", "no-callbacks", "number-withheld"


# What `/voice/incoming` answers: a caller's first word, or a volunteer's menu.
Incoming = (UnknownNumber | Rejected | NobodyOnCall | Holding | Busy | VolunteerMenu
            | LanguageMenu | ExperienceMenu)
