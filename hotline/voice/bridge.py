"""How a volunteer is bridged to a caller: the one piece of TwiML that joins two calls.

The join is a queue named after the call. A caller who rang in waits in it and the
volunteer who accepts dequeues them (`<Dial><Queue>`); for a call-back the volunteer waits
in it while we dial the caller, who joins on pressing 1.

In a chapter with `listen_in` the caller waits in the same queue (its hold loop is the
line's clock), and the join is a `<Conference>` named after the call instead: the volunteer
who accepts (the mentor) enters it at once, the caller is moved into it from the queue
(REST, hotline.calls.listening), and a trainee joins it muted, with no beep, and may leave
without ending it. Twilio passes no keypress from inside a conference, so the mentor's Dial
has `hangupOnStar`: * steps out to a menu (5: the trainee may speak; 6: muted again) and
back. Their `endConferenceOnExit` is therefore false (a * would end the call); the caller's
is true, and when the mentor's call ends the app hangs up the caller (END_CONFERENCE), so
the mentor's leaving still ends the conference for everyone.
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
    if decision.conference:
        # The mentor: * steps out of the conference to their menu (let the trainee speak),
        # so their leaving must not end it by itself; when their call ends, the app ends
        # the caller's (END_CONFERENCE), and the caller's leaving ends it for all.
        dial = Dial(action=urls.absolute(public_url, urls.LEG_BRIDGED, leg_id=decision.leg_id),
                    method="POST", hangup_on_star=True)
        dial.conference(decision.queue, beep=False, start_conference_on_enter=True,
                        end_conference_on_exit=False, wait_url="")
    else:
        dial = Dial(action=urls.absolute(public_url, urls.LEG_BRIDGED, leg_id=decision.leg_id),
                    method="POST")
        dial.queue(decision.queue)
    response.append(dial)


def join_conference(decision: d.JoinConference) -> str:
    """The caller a volunteer took, moved out of their queue: into the call's conference.
    Their leaving ends it too (the volunteer then hears the wrap-up menu)."""
    response = VoiceResponse()
    dial = Dial()
    dial.conference(decision.conference, beep=False, start_conference_on_enter=True,
                    end_conference_on_exit=True, wait_url="")
    response.append(dial)
    response.hangup()
    return str(response)


def listen_in(response: VoiceResponse, decision: d.ListenIn) -> None:
    """A trainee: muted, no beep, never starting or ending the conference."""
    dial = Dial()
    dial.conference(decision.conference, muted=True, beep=False,
                    start_conference_on_enter=False, end_conference_on_exit=False,
                    wait_url="")
    response.append(dial)
    response.say("The call has ended. Thank you for listening.",
                 language=decision.speech.language)
    response.hangup()


def join_volunteer(decision: d.JoinVolunteer) -> str:
    """The caller we dialled pressed 1: join the volunteer waiting in the attempt's queue."""
    response = VoiceResponse()
    dial = Dial()
    dial.queue(decision.queue)
    response.append(dial)
    response.hangup()
    return str(response)
