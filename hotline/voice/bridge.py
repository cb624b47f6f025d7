"""How a volunteer is bridged to a caller: the one piece of TwiML that joins two calls.

Today the join is a queue named after the call. A caller who rang in waits in it and the
volunteer who accepts dequeues them (`<Dial><Queue>`); for a call-back the volunteer waits
in it while we dial the caller, who joins on pressing 1. Listening in (a trainee muted on
the call) needs a conference instead: that change stays inside this module.
"""

from __future__ import annotations

from twilio.twiml.voice_response import Dial, VoiceResponse

from hotline.calls import decisions as d
from hotline.calls import urls


def hold_caller(response: VoiceResponse, decision: d.Holding, public_url: str) -> None:
    """A caller who rang in: into their queue, with the hold loop as its music."""
    response.enqueue(
        decision.queue,
        wait_url=urls.absolute(public_url, urls.HOLD, call_id=decision.call_id),
        wait_url_method="POST",
        action=urls.absolute(public_url, urls.QUEUE_EXIT, call_id=decision.call_id),
        method="POST",
    )


def connect_volunteer(response: VoiceResponse, decision: d.Connect, public_url: str) -> None:
    """The volunteer who accepted: take the caller from the queue, or wait there for them."""
    if decision.holds:
        response.say("Calling them now. Please hold: you are connected when they answer.",
                     language=decision.speech.language)
        response.enqueue(
            decision.queue,
            wait_url=urls.absolute(public_url, urls.ATTEMPT_WAIT, call_id=decision.call_id),
            wait_url_method="POST",
            action=urls.absolute(public_url, urls.ATTEMPT_EXIT, call_id=decision.call_id),
            method="POST",
        )
        return
    response.say("Connecting you now.", language=decision.speech.language)
    dial = Dial(action=urls.absolute(public_url, urls.LEG_BRIDGED, leg_id=decision.leg_id),
                method="POST")
    dial.queue(decision.queue)
    response.append(dial)


def join_volunteer(decision: d.JoinVolunteer) -> str:
    """The caller we dialled pressed 1: join the volunteer waiting in the attempt's queue."""
    response = VoiceResponse()
    dial = Dial()
    dial.queue(decision.queue)
    response.append(dial)
    response.hangup()
    return str(response)
