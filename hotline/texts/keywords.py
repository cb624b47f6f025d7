"""What a text to a hotline number asks for: one keyword, read as carriers read them.

A keyword is the whole message, in any case, with spaces and a closing full stop or
exclamation mark ignored ("Stop." is STOP; "stop calling me" is not), as Twilio's own
opt-out handling matches them. TAKE is followed by a reference ("TAKE K7Q2").
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Word(enum.StrEnum):
    STOP = "stop"          # stop every text and check-in to this number
    START = "start"        # undo STOP
    HELP = "help"          # the line's name and how to stop
    ON = "on"              # a volunteer: on call now
    OFF = "off"            # a volunteer: off call until the end of this shift
    NEXT = "next"          # a volunteer: my next shifts
    TAKE = "take"          # a volunteer: TAKE <ref>, a message or a call-back is mine
    YES = "yes"            # a volunteer: I confirm the shift I was reminded of
    CALL = "call"          # a reply to a check-in text: please call me
    AGAIN = "again"        # a reply to a check-in text: check in again
    OTHER = "other"        # anything else


# product.md's six, and REVOKE and OPTOUT, which Twilio's own opt-out handling also obeys
# (a number Twilio blocks is one we must not keep texting).
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE",
                        "OPTOUT"})
START_WORDS = frozenset({"START", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})
VOLUNTEER_WORDS = frozenset({Word.ON, Word.OFF, Word.NEXT, Word.TAKE, Word.YES})
CHECKIN_WORDS = frozenset({Word.CALL, Word.AGAIN})
_SINGLE = {"ON": Word.ON, "OFF": Word.OFF, "NEXT": Word.NEXT, "YES": Word.YES,
           "CALL": Word.CALL, "AGAIN": Word.AGAIN}


@dataclass(frozen=True)
class Command:
    word: Word
    argument: str = ""      # TAKE's reference, upper case


def read(body: str) -> Command:
    """The keyword a text's body is, or OTHER."""
    words = body.strip().rstrip(".!").upper().split()
    if len(words) == 1:
        (word,) = words
        if word in STOP_WORDS:
            return Command(Word.STOP)
        if word in START_WORDS:
            return Command(Word.START)
        if word in HELP_WORDS:
            return Command(Word.HELP)
        if word == "TAKE":
            return Command(Word.TAKE)
        if word in _SINGLE:
            return Command(_SINGLE[word])
    if len(words) == 2 and words[0] == "TAKE":
        return Command(Word.TAKE, words[1])
    return Command(Word.OTHER)
