"""`<Dial><Conference>`: named rooms of several legs, as Twilio's `<Conference>` page says.

A conference exists from its first participant to its last (or until one with
`endConferenceOnExit` leaves: then every other participant's `<Dial>` ends and their
TwiML goes on). It starts when a participant with `startConferenceOnEnter` (the default)
is in it; until then the others wait. `muted` participants hear and are not heard; `beep`
(true, false, onEnter, onExit) is logged as heard by the others. The REST API may change a
participant's `Muted` while it lasts (hotline.standin.rest, Participants).

In a leg's `bridged_with` (what reports call bridged), a participant who joined unmuted
is paired with every other unmuted one, both ways; a muted one (a listener) records whom
it heard on its own leg only, so the people talking are not counted as bridged to it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING
from xml.etree.ElementTree import Element

from hotline.standin.calls import Finish, Leg

if TYPE_CHECKING:
    from hotline.standin.switchboard import Switchboard
    from hotline.standin.twiml import Player


@dataclass
class Participant:
    leg: Leg
    finish: Finish
    muted: bool
    beep: str                       # true | false | onEnter | onExit
    start_on_enter: bool
    end_on_exit: bool
    joined: datetime
    left: datetime | None = None
    talking: bool = False           # its party's talk clock has started
    # Each change of `muted` by REST: (when, muted).
    mutes: list[tuple[datetime, bool]] = field(default_factory=list)
    listener: bool = False          # joined muted: paired one-way only


@dataclass
class Conference:
    name: str
    sid: str
    account_sid: str
    created: datetime
    started: datetime | None = None
    ended: datetime | None = None
    participants: list[Participant] = field(default_factory=list)
    beeps: list[tuple[datetime, str]] = field(default_factory=list)   # (when, "join"/"leave")

    def present(self) -> list[Participant]:
        return [p for p in self.participants if p.left is None]

    def participant(self, call_sid: str) -> Participant | None:
        return next((p for p in self.present() if p.leg.sid == call_sid), None)

    @property
    def status(self) -> str:
        if self.ended is not None:
            return "completed"
        return "in-progress" if self.started is not None else "init"


def conference_sid(account_sid: str, name: str, created: datetime) -> str:
    seed = f"{account_sid}:{name}:{created.isoformat()}"
    return "CF" + hashlib.sha256(seed.encode()).hexdigest()[:32]


def _flag(noun: Element, name: str, default: bool) -> bool:
    return noun.get(name, "true" if default else "false").lower() == "true"


def dial_conference(player: Player, leg: Leg, noun: Element, finish: Finish, *,
                    hangup_on_star: bool = False) -> None:
    """The leg's `<Dial><Conference>`: join the room named by the noun (made if need be).
    With `hangup_on_star`, the party pressing * leaves it and their TwiML goes on."""
    board = player.board
    name = (noun.text or "").strip()
    room = board.conferences.get(name)
    if room is None or room.ended is not None:
        now = board.now()
        room = Conference(name, conference_sid(board.account_sid, name, now),
                          board.account_sid, now)
        board.conferences[name] = room
        board.conference_log.append(room)
    muted = _flag(noun, "muted", False)
    me = Participant(
        leg=leg, finish=finish, muted=muted, beep=noun.get("beep", "true"),
        start_on_enter=_flag(noun, "startConferenceOnEnter", True),
        end_on_exit=_flag(noun, "endConferenceOnExit", False), joined=board.now(),
        listener=muted,
    )
    leg.dialing = finish
    others = room.present()
    room.participants.append(me)
    how = ", ".join(["muted" if me.muted else "unmuted",
                     "no beep" if me.beep in ("false", "onExit") else "beep"])
    board.log(leg, f"{board.who(leg)} joins conference {name} ({how})", leg.to)
    if others and me.beep in ("true", "onEnter"):
        room.beeps.append((board.now(), "join"))
        board.log(leg, f"conference {name} beeps for the others")
    if me.start_on_enter and room.started is None:
        room.started = board.now()
        board.log(leg, f"conference {name} starts")
    leg.on_hangup.append(partial(_hook, board, room, me))
    if hangup_on_star:
        leg.on_star = partial(_star, board, room, me)
    if room.started is not None:
        _connect(board, room)


def _hook(board: Switchboard, room: Conference, me: Participant, why: str) -> None:
    if me.left is None:
        leave(board, room, me, why)


def _star(board: Switchboard, room: Conference, me: Participant) -> None:
    if me.left is None and me.leg.live:
        board.log(me.leg, f"{board.who(me.leg)} presses * and leaves the conference", me.leg.to)
        leave(board, room, me, "ended")


def _connect(board: Switchboard, room: Conference) -> None:
    """Pair everyone present (a started room) and start each talker's clock once."""
    present = room.present()
    if len(present) < 2:
        return
    now = board.now()
    for me in present:
        heard = {sid for sid, _, ended in me.leg.bridged_with if ended is None}
        for other in present:
            if other is me or other.leg.sid in heard or (other.listener and not me.listener):
                continue
            me.leg.bridged_with.append((other.leg.sid, now, None))
        if not me.talking:
            me.talking = True
            talk = me.leg.party.talk_seconds
            if talk is not None:
                me.leg.timers.append(board.scheduler.after(talk, partial(_talked, board, me)))


def _talked(board: Switchboard, me: Participant) -> None:
    if me.left is None:
        board.hang_up(me.leg)


def leave(board: Switchboard, room: Conference, me: Participant, why: str) -> None:
    """`me` leaves (hung up, moved by REST, or the room ended); an ender ends it for all."""
    if me.left is not None:
        return
    now = board.now()
    me.left = now
    me.leg.on_star = None
    _unpair(me.leg, now)
    for other in room.present():
        _unpair(other.leg, now, me.leg.sid)
    board.log(me.leg, f"{board.who(me.leg)} leaves conference {room.name}", me.leg.to)
    rest = room.present()
    if rest and me.beep in ("true", "onExit"):
        room.beeps.append((now, "leave"))
        board.log(me.leg, f"conference {room.name} beeps for the others")
    ending = bool(rest) and me.end_on_exit and room.started is not None and room.ended is None
    if ending:
        board.log(me.leg, f"conference {room.name} ends: "
                          f"{board.who(me.leg)} ends it on leaving")
        room.ended = now
    elif not rest and room.ended is None:
        room.ended = now
        board.log(me.leg, f"conference {room.name} is over")
    if why in ("hangup", "ended"):
        # The Dial ends: Twilio still requests its action after a hang-up; else TwiML goes on.
        me.finish(None, "completed", int((now - me.joined).total_seconds()))
    if ending:
        for other in rest:
            leave(board, room, other, "ended")


def _unpair(leg: Leg, now: datetime, only: str | None = None) -> None:
    leg.bridged_with[:] = [(sid, started, now if ended is None and only in (None, sid) else ended)
                           for sid, started, ended in leg.bridged_with]


def set_muted(board: Switchboard, room: Conference, call_sid: str, muted: bool) -> Participant:
    """A REST update of a participant's `Muted`; LookupError if they are not in the room."""
    me = room.participant(call_sid)
    if me is None:
        raise LookupError(call_sid)
    if me.muted != muted:
        me.muted = muted
        me.mutes.append((board.now(), muted))
        board.log(me.leg, f"app {'mutes' if muted else 'unmutes'} {board.who(me.leg)} "
                          f"in conference {room.name}", me.leg.to)
    return me
