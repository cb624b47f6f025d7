"""`<Dial>`: ring `<Number>`s as child legs (first to answer wins), take a caller off a
queue, or join a conference."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING
from xml.etree.ElementTree import Element

from hotline.standin import conferences, queues
from hotline.standin.calls import Leg
from hotline.standin.twiml import _float

if TYPE_CHECKING:
    from hotline.standin.twiml import Player


def _summary(statuses: list[str]) -> str:
    """DialCallStatus when no child leg answered."""
    if len(set(statuses)) == 1:
        return statuses[0]
    return "no-answer"


def dial(player: Player, leg: Leg, verb: Element) -> None:
    board = player.board
    action = verb.get("action")
    action_url = player.resolve(leg, action) if action else None
    method = verb.get("method", "POST")
    nouns = [child for child in verb if isinstance(child.tag, str)]
    queue_noun = next((n for n in nouns if n.tag == "Queue"), None)
    room_noun = next((n for n in nouns if n.tag == "Conference"), None)

    def finish(reached: Leg | None, status: str, seconds: int) -> None:
        if leg.dialing is not finish:
            return
        leg.dialing = None
        bridged = reached is not None and any(
            sid == reached.sid for sid, _, _ in leg.bridged_with)
        params = {"DialCallStatus": status, "DialCallDuration": str(seconds),
                  "DialBridged": "true" if bridged else "false"}
        if reached is not None:
            params["DialCallSid"] = reached.sid
        if queue_noun is not None:
            params["QueueSid"] = queues.queue_sid(board.account_sid,
                                                  (queue_noun.text or "").strip())
        board.log(leg, f"{board.who(leg)}'s Dial ended: {status}"
                       f"{' (bridged)' if bridged else ''}", leg.to)
        if not leg.live:
            if action_url:   # Twilio still requests the action; the reply is ignored
                board.notify(leg, action_url, {**board.params(leg), **params}, method)
            return
        leg.interrupt()
        if action_url:
            player.open(leg, action_url, method, params, on_end=leg.on_doc_end)
        else:
            player.after(leg, 0)

    if queue_noun is not None:
        queues.dial_queue(player, leg, queue_noun, finish, _float(verb, "timeout", 30))
        return
    if room_noun is not None:
        conferences.dial_conference(player, leg, room_noun, finish,
                                    hangup_on_star=verb.get("hangupOnStar") == "true")
        return
    numbers = [n for n in nouns if n.tag == "Number"]
    if not numbers and (verb.text or "").strip():
        bare = Element("Number")
        bare.text = verb.text
        numbers = [bare]
    if not numbers or len(numbers) != len(nouns):
        kinds = ", ".join(sorted({n.tag for n in nouns})) or "nothing"
        board.error(leg, leg.doc_url, 200, f"the stand-in cannot dial {kinds}")
        board.application_error(leg)
        return
    leg.dialing = finish
    timeout = _float(verb, "timeout", 30)
    caller_id = verb.get("callerId") or leg.from_
    winner: list[Leg] = []
    children: list[Leg] = []

    def resume_caller(hung_up_self: bool) -> None:
        child = winner[0]
        _, started, ended = next(e for e in reversed(leg.bridged_with) if e[0] == child.sid)
        finish(child, "completed", int(((ended or board.now()) - started).total_seconds()))

    def connect(child: Leg) -> None:
        if not (leg.live and child.live) or leg.dialing is not finish:
            return

        def resume_child(hung_up_self: bool) -> None:
            if not hung_up_self:
                board.end(child, "completed")   # the caller's side ended: Twilio drops this leg

        board.connect(leg, child, resume_caller, resume_child)

    def on_answer(child: Leg) -> None:
        if winner or leg.dialing is not finish or not leg.live:
            board.end(child, "completed")
            return
        winner.append(child)
        for other in children:
            if other is not child and other.live:
                board.end(other, "canceled")    # first to pick up wins; the rest stop ringing
        if child.url:
            player.open(child, child.url, child.method, on_end=lambda: connect(child))
        else:
            connect(child)

    def child_ended(child: Leg, why: str) -> None:
        if leg.dialing is not finish:
            return
        if winner and child is winner[0]:
            if not child.bridged_with:   # answered, then hung up in the screening
                finish(child, "completed", 0)
            return
        if not winner and all(not c.live for c in children):
            finish(children[-1], _summary([c.status for c in children]), 0)

    def caller_gone(why: str) -> None:
        if leg.dialing is not finish:
            return
        for child in children:
            if child.live and child.bridge is None:
                board.end(child, "canceled")
        if leg.bridge is None:
            finish(None, "canceled" if why == "hangup" else "completed", 0)

    leg.on_hangup.append(caller_gone)
    for noun in numbers:
        url = noun.get("url")
        events = tuple((noun.get("statusCallbackEvent") or "completed").split())
        callback = noun.get("statusCallback")
        child = board.place_child(
            leg, (noun.text or "").strip(), caller_id, timeout,
            player.resolve(leg, url) if url else None, noun.get("method", "POST"),
            player.resolve(leg, callback) if callback else None, events,
            noun.get("statusCallbackMethod", "POST"),
        )
        child.on_answer = on_answer
        child.on_hangup.append(partial(child_ended, child))
        children.append(child)
