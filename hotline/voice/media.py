"""A message's audio for a volunteer who called in: the network fetches it for `<Play>`.

Twilio keeps the recording, behind the account's credentials; the app fetches it and hands
it on. The link is the only key to it, so it is signed and short-lived (itsdangerous, with
the app's secret key): whoever sees a link in a log cannot play the message an hour later,
and no other message can be had from it.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort
from itsdangerous import BadSignature, URLSafeTimedSerializer

from hotline.app import app_runtime
from hotline.calls import urls
from hotline.logs.models import Voicemail
from hotline.telephony import TelephonyError

log = logging.getLogger(__name__)

media = Blueprint("media", __name__)

LINK_SECONDS = 15 * 60          # a menu visit: the message is played within minutes
_SALT = "hotline-voicemail-audio"


def _signer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=_SALT)


def audio_url(public_url: str, secret: str, voicemail_id: int) -> str:
    """The signed link to one message's audio."""
    token = _signer(secret).dumps(voicemail_id)
    return urls.absolute(public_url, urls.VOICEMAIL_AUDIO, voicemail_id=voicemail_id,
                         token=token)


@media.get(urls.VOICEMAIL_AUDIO)
def voicemail_audio(voicemail_id: int, token: str) -> Response:
    runtime = app_runtime()
    try:
        signed_id = _signer(runtime.settings.app.secret_key).loads(token, max_age=LINK_SECONDS)
    except BadSignature:
        log.warning("refused message audio %s: a bad or expired link", voicemail_id)
        abort(404, "no such message")
    if signed_id != voicemail_id:
        abort(404, "no such message")
    with runtime.sessions() as session:
        voicemail = session.get(Voicemail, voicemail_id)
        sid = voicemail.recording_sid if voicemail and voicemail.deleted_at is None else None
    if sid is None:
        abort(404, "no such message")
    try:
        audio = runtime.telephony.recording_audio(sid)
    except TelephonyError as exc:
        log.warning("message %s: its audio could not be fetched: %s", voicemail_id, exc)
        abort(502, "the recording could not be fetched")
    return Response(audio, mimetype="audio/wav",
                    headers={"Cache-Control": "no-store"})
