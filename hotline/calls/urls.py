"""The app's own Twilio-facing routes: one pattern each, for the views and for the URLs the
app hands to the network (TwiML and REST calls), so the two cannot drift apart."""

from __future__ import annotations

import re

INCOMING = "/voice/incoming"
STATUS = "/voice/status"
SMS_INCOMING = "/sms/incoming"

HOLD = "/voice/calls/<int:call_id>/hold"
QUEUE_EXIT = "/voice/calls/<int:call_id>/queue-exit"
MENU = "/voice/calls/<int:call_id>/menu"
CHOICE = "/voice/calls/<int:call_id>/choice/<step>"       # the language / experience menus
RECORDED = "/voice/calls/<int:call_id>/recorded"
RECORDING_STATUS = "/voice/calls/<int:call_id>/recording-status"
DIALLED = "/voice/calls/<int:call_id>/dialled"
# Listen-in: the caller's move into the conference; the mentor's keys during it.
CONFERENCE = "/voice/calls/<int:call_id>/conference"
LEG_ANSWER = "/voice/legs/<int:leg_id>/answer"
LEG_ACCEPT = "/voice/legs/<int:leg_id>/accept"
LEG_TIMEOUT = "/voice/legs/<int:leg_id>/timeout"
LEG_STATUS = "/voice/legs/<int:leg_id>/status"
LEG_BRIDGED = "/voice/legs/<int:leg_id>/bridged"
LEG_WRAP_UP = "/voice/legs/<int:leg_id>/wrap-up"
# Listen-in: the mentor stepped out of the conference (*), and their key at its menu.
LEG_AWAY = "/voice/legs/<int:leg_id>/away"
LEG_KEYS = "/voice/legs/<int:leg_id>/keys"
# A call-back or check-in: the volunteer's wait and exit, our call to the caller.
ATTEMPT_WAIT = "/voice/attempts/<int:call_id>/wait"
ATTEMPT_EXIT = "/voice/attempts/<int:call_id>/exit"
ATTEMPT_CALLER = "/voice/attempts/<int:call_id>/caller"
ATTEMPT_CALLER_CHOICE = "/voice/attempts/<int:call_id>/caller-choice"
ATTEMPT_CALLER_STATUS = "/voice/attempts/<int:call_id>/caller-status"

# A volunteer who called the line: their menu, its choice, what to do after a message; and
# a message's audio, which the network fetches for <Play> (a signed, expiring link).
VOLUNTEER_MENU = "/voice/calls/<int:call_id>/volunteer"
VOLUNTEER_CHOICE = "/voice/calls/<int:call_id>/volunteer/choice"
VOLUNTEER_MESSAGE = "/voice/calls/<int:call_id>/volunteer/messages/<int:voicemail_id>/<int:number>"
VOICEMAIL_AUDIO = "/voice/voicemails/<int:voicemail_id>/audio/<token>"

_PART = re.compile(r"<(?:int:)?(\w+)>")


def path(pattern: str, **parts: int | str) -> str:
    """The route `pattern` with its parts filled in, e.g. path(HOLD, call_id=7)."""
    return _PART.sub(lambda match: str(parts[match.group(1)]), pattern)


def absolute(public_url: str, pattern: str, **ids: int | str) -> str:
    """The full URL of a route under the configured public URL (what Twilio signs)."""
    return public_url.rstrip("/") + path(pattern, **ids)
