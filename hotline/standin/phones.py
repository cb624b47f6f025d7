"""Scripts for the people (and voicemail boxes) at either end of a simulated call.

A script is data: the simulator reads it to decide when a phone answers, what it presses when
it hears a `<Gather>`, how long it talks, and when it hangs up. The same `Party` shape serves a
caller and a callee; a `Phone` adds how the callee's handset treats the ringing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class HangUp:
    """A reply to a `<Gather>` that hangs up instead of pressing anything."""


HANG_UP = HangUp()
Reply = str | HangUp          # digits to press; "" stays silent

Pickup = Literal["answer", "busy", "failed", "no-answer"]


@dataclass(frozen=True)
class Party:
    """What someone does once connected: replies to Gathers, timed presses, talk and hang-up."""

    replies: tuple[Reply, ...] = ()   # to the 1st, 2nd, ... Gather heard
    otherwise: Reply = ""             # to any later Gather
    think: float = 1.0                # seconds after a Gather's prompt ends before replying
    presses: tuple[tuple[float, str], ...] = ()   # (seconds after answer, digits), heard or not
    hang_up_after: float | None = None   # seconds after answering (callee) / dialling (caller)
    patience: float | None = None        # give up this long after dialling unless bridged
    talk_seconds: float | None = None    # hang up this long after being bridged to someone
    message_seconds: float | None = None  # speak this long when a <Record> starts
    hang_up_after_message: bool = True
    label: str = ""                   # shown in the transcript ("voicemail")

    def reply(self, gather_number: int) -> Reply:
        """The reply to the `gather_number`-th Gather (1-based)."""
        if 0 < gather_number <= len(self.replies):
            return self.replies[gather_number - 1]
        return self.otherwise


@dataclass(frozen=True)
class Caller(Party):
    """The person ringing the hotline; listens until told otherwise."""


@dataclass(frozen=True)
class Mix:
    """A phone whose owner does one of several things each time it rings, by weight (the
    switchboard draws from its seeded random numbers, so a run repeats exactly)."""

    choices: tuple[tuple[float, Phone], ...]


CallerScript = Caller


@dataclass(frozen=True)
class Phone(Party):
    """A callee's phone: how it treats the ringing, then how its owner behaves."""

    pickup: Pickup = "no-answer"
    answer_after: float = 3.0         # seconds of ringing before it picks up
    talk_seconds: float | None = 60.0
    machine: bool = False             # a voicemail box, for answering-machine detection


def _replies(press: str | HangUp | Sequence[str | HangUp]) -> tuple[Reply, ...]:
    if isinstance(press, str | HangUp):
        return (press,)
    return tuple(press)


# Callers -----------------------------------------------------------------------------------

def listens(*, hang_up_after: float | None = None, talk_seconds: float | None = None,
            patience: float | None = None) -> Caller:
    """A caller who presses nothing and waits (until `hang_up_after`, if given, or until
    `patience` runs out while nobody has been bridged to them)."""
    return Caller(hang_up_after=hang_up_after, talk_seconds=talk_seconds, patience=patience)


def presses(
    *replies: str | HangUp, think: float = 1.0, hang_up_after: float | None = None,
    talk_seconds: float | None = None, message_seconds: float | None = None,
) -> Caller:
    """A caller who answers successive Gathers with `replies` ("1", "", HANG_UP)."""
    return Caller(
        replies=tuple(replies), think=think, hang_up_after=hang_up_after,
        talk_seconds=talk_seconds, message_seconds=message_seconds,
    )


def presses_at(*timed: tuple[float, str], hang_up_after: float | None = None) -> Caller:
    """A caller who presses digits at fixed times (seconds after dialling), heard or not."""
    return Caller(presses=tuple(timed), hang_up_after=hang_up_after)


def leaves_voicemail(
    seconds: float, *, replies: Sequence[Reply] = (), hang_up: bool = True,
) -> Caller:
    """A caller who speaks for `seconds` when a Record starts, then hangs up (or falls silent)."""
    return Caller(
        replies=tuple(replies), message_seconds=seconds, hang_up_after_message=hang_up,
    )


def hangs_up_after(seconds: float) -> Caller:
    """A caller who gives up `seconds` after dialling."""
    return Caller(hang_up_after=seconds)


# Callees -----------------------------------------------------------------------------------

def answers(
    after: float = 3.0, *, press: str | HangUp | Sequence[str | HangUp] = "1",
    think: float = 1.0, talk_seconds: float | None = 60.0,
    hang_up_after: float | None = None,
) -> Phone:
    """Picks up after `after` s, presses `press` at the first Gather, talks `talk_seconds`."""
    return Phone(
        pickup="answer", answer_after=after, replies=_replies(press), think=think,
        talk_seconds=talk_seconds, hang_up_after=hang_up_after,
    )


def declines(
    after: float = 3.0, *, press: str | HangUp = HANG_UP, think: float = 1.0,
) -> Phone:
    """Picks up, then refuses when asked: presses a non-accepting digit or hangs up."""
    return Phone(
        pickup="answer", answer_after=after, replies=(press,), otherwise=HANG_UP,
        think=think, hang_up_after=120.0,
    )


def rings_out() -> Phone:
    """Nobody picks up: the call ends no-answer when its timeout runs out."""
    return Phone(pickup="no-answer")


def busy(after: float = 1.0) -> Phone:
    """The line is busy."""
    return Phone(pickup="busy", answer_after=after)


def fails(after: float = 0.5) -> Phone:
    """The call cannot be connected (bad number, network)."""
    return Phone(pickup="failed", answer_after=after)


def voicemail(
    after: float = 0.0, *, greeting: float = 12.0, beep: float = 1.0, record: float = 30.0,
) -> Phone:
    """Carrier voicemail: answers, listens, presses nothing, hangs up after its recording."""
    return Phone(
        pickup="answer", answer_after=after, hang_up_after=greeting + beep + record,
        talk_seconds=None, machine=True, label="voicemail",
    )


def hangs_up(after: float, *, answer_after: float = 3.0) -> Phone:
    """Picks up, then hangs up `after` s later whatever it hears."""
    return Phone(
        pickup="answer", answer_after=answer_after, hang_up_after=after, talk_seconds=None,
    )


NO_SCRIPT = rings_out()
