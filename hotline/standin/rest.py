"""The stand-in's REST front: the part of api.twilio.com/2010-04-01 the app calls.

Requests are checked against Twilio's own OpenAPI description (when given) and
turned into `carrier` values; answers are shaped like Twilio's JSON resources.
The stand-in is stricter than Twilio: it refuses parameters Twilio would
silently ignore, so a misspelt name fails a test instead of a real call.
Without a spec, only what the carrier needs is checked (names and types of
the fields it reads).

`serve_rest` answers on several threads: the carrier must be thread-safe.
"""

from __future__ import annotations

import hmac
import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any, NoReturn

from flask import Flask, Response, jsonify, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.serving import WSGIRequestHandler, make_server

from hotline.standin.carrier import (
    CallRequest,
    CallState,
    Carrier,
    CarrierError,
    ConferenceState,
    MessageRequest,
    MessageState,
    ParticipantState,
)
from hotline.standin.openapi import TwilioSpec, load_spec

API_VERSION = "2010-04-01"
ACCOUNT_PREFIX = f"/{API_VERSION}/Accounts/<account_sid>"
CALLS = f"/{API_VERSION}/Accounts/{{AccountSid}}/Calls.json"
CALL = f"/{API_VERSION}/Accounts/{{AccountSid}}/Calls/{{Sid}}.json"
MESSAGES = f"/{API_VERSION}/Accounts/{{AccountSid}}/Messages.json"
RECORDING = f"/{API_VERSION}/Accounts/{{AccountSid}}/Recordings/{{Sid}}.json"
CONFERENCES = f"/{API_VERSION}/Accounts/{{AccountSid}}/Conferences.json"
PARTICIPANT = (f"/{API_VERSION}/Accounts/{{AccountSid}}/Conferences/{{ConferenceSid}}"
               "/Participants/{CallSid}.json")

# Twilio's codes where Twilio has one for the case.
AUTHENTICATE = 20003
FORBIDDEN = 20403
NOT_FOUND = 20404
METHOD_NOT_ALLOWED = 20004
MISSING_TO = 21201
MISSING_URL = 21205
MISSING_FROM = 21213
MISSING_MESSAGE_BODY = 21602
# The stand-in's own code for "this request does not fit the API" (Twilio has none).
INVALID_PARAMETER = 21200

CALL_EVENTS = frozenset({"initiated", "ringing", "answered", "completed"})
HTTP_METHODS = frozenset({"GET", "POST"})
STOP_STATUSES = frozenset({"completed", "canceled"})
# Update parameters Twilio defines that the switchboard cannot carry out.
UPDATE_SUPPORTED = frozenset({"Status", "Url", "Method", "Twiml"})
MESSAGE_SUPPORTED = frozenset({"To", "From", "Body", "StatusCallback"})
PARTICIPANT_SUPPORTED = frozenset({"Muted"})
CONFERENCE_STATUSES = frozenset({"init", "in-progress", "completed"})
CALL_FIELDS = frozenset(
    {
        "To",
        "From",
        "Url",
        "Twiml",
        "Method",
        "StatusCallback",
        "StatusCallbackMethod",
        "StatusCallbackEvent",
        "Timeout",
        "MachineDetection",
    }
)


class RestRefusal(Exception):
    """A request answered with a Twilio-shaped error instead of a resource."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def create_rest_app(carrier: Carrier, auth_token: str, spec_path: Path | None = None) -> Flask:
    """A Flask app answering Twilio REST requests for `carrier.account_sid`."""
    app = Flask(__name__)
    spec = load_spec(spec_path) if spec_path is not None else None

    def guard(account_sid: str, path_template: str) -> MultiDict[str, str]:
        _authenticate(carrier.account_sid, auth_token, account_sid)
        # Read the raw body before the form: parsing the form consumes the stream.
        request.get_data(cache=True)
        form = request.form
        if spec is not None:
            _check_spec(spec, path_template, form)
        return form

    @app.post(f"{ACCOUNT_PREFIX}/Calls.json")
    def create_call(account_sid: str) -> tuple[Response, int]:
        form = guard(account_sid, CALLS)
        state = carrier.create_call(_call_request(form))
        return jsonify(call_resource(state)), 201

    @app.get(f"{ACCOUNT_PREFIX}/Calls/<sid>.json")
    def fetch_call(account_sid: str, sid: str) -> Response:
        guard(account_sid, CALL)
        return jsonify(call_resource(carrier.fetch_call(sid)))

    @app.post(f"{ACCOUNT_PREFIX}/Calls/<sid>.json")
    def update_call(account_sid: str, sid: str) -> Response:
        form = guard(account_sid, CALL)
        _only(form, UPDATE_SUPPORTED)
        status = form.get("Status")
        url, twiml = form.get("Url"), form.get("Twiml")
        if status is None and url is None and twiml is None:
            _refuse(INVALID_PARAMETER, "Call update needs 'Status', 'Url' or 'Twiml'")
        if status is not None and status not in STOP_STATUSES:
            _refuse(
                INVALID_PARAMETER,
                f"Parameter 'Status' must be 'completed' or 'canceled', got '{status}'",
            )
        state = carrier.update_call(
            sid, status=status, url=url, method=_method(form, "Method"), twiml=twiml
        )
        return jsonify(call_resource(state))

    @app.post(f"{ACCOUNT_PREFIX}/Messages.json")
    def create_message(account_sid: str) -> tuple[Response, int]:
        form = guard(account_sid, MESSAGES)
        _only(form, MESSAGE_SUPPORTED)
        message = MessageRequest(
            to=_required(form, "To", MISSING_TO),
            from_=_required(form, "From", MISSING_FROM),
            body=_required(form, "Body", MISSING_MESSAGE_BODY),
            status_callback=form.get("StatusCallback"),
        )
        return jsonify(message_resource(carrier.create_message(message))), 201

    @app.get(f"{ACCOUNT_PREFIX}/Messages.json")
    def list_messages(account_sid: str) -> Response:
        guard(account_sid, MESSAGES)
        since = request.args.get("DateSent>")
        found = carrier.list_messages(
            request.args.get("To", ""), request.args.get("From", ""),
            datetime.fromisoformat(since) if since else datetime.min.replace(tzinfo=UTC))
        return jsonify(messages_page(account_sid, [message_resource(m) for m in found]))

    @app.get(f"{ACCOUNT_PREFIX}/Recordings/<sid>.<extension>")
    def recording_media(account_sid: str, sid: str, extension: str) -> Response:
        _authenticate(carrier.account_sid, auth_token, account_sid)
        if extension not in ("wav", "mp3"):
            _refuse(INVALID_PARAMETER, "a recording is served as .wav or .mp3")
        return Response(carrier.recording_media(sid), mimetype="audio/x-wav")

    @app.delete(f"{ACCOUNT_PREFIX}/Recordings/<sid>.json")
    def delete_recording(account_sid: str, sid: str) -> tuple[str, int]:
        guard(account_sid, RECORDING)
        carrier.delete_recording(sid)
        return "", 204

    @app.get(f"{ACCOUNT_PREFIX}/Conferences.json")
    def list_conferences(account_sid: str) -> Response:
        guard(account_sid, CONFERENCES)
        status = request.args.get("Status")
        if status is not None and status not in CONFERENCE_STATUSES:
            _refuse(INVALID_PARAMETER, f"Parameter 'Status' must be one of "
                                       f"{', '.join(sorted(CONFERENCE_STATUSES))}")
        found = carrier.list_conferences(request.args.get("FriendlyName"), status)
        return jsonify(conferences_page(account_sid, [conference_resource(c) for c in found]))

    @app.post(f"{ACCOUNT_PREFIX}/Conferences/<conference_sid>/Participants/<call_sid>.json")
    def update_participant(account_sid: str, conference_sid: str, call_sid: str) -> Response:
        form = guard(account_sid, PARTICIPANT)
        _only(form, PARTICIPANT_SUPPORTED)
        muted = form.get("Muted", "").lower()
        if muted not in ("true", "false"):
            _refuse(INVALID_PARAMETER, "Parameter 'Muted' must be true or false")
        state = carrier.update_participant(conference_sid, call_sid, muted=muted == "true")
        return jsonify(participant_resource(state))

    @app.errorhandler(RestRefusal)
    def refused(error: RestRefusal) -> tuple[Response, int]:
        return _error_body(error.status, error.code, str(error))

    @app.errorhandler(CarrierError)
    def carrier_refused(error: CarrierError) -> tuple[Response, int]:
        return _error_body(error.status, error.code, str(error))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[Response, int]:
        status = error.code or 500
        code = {404: NOT_FOUND, 405: METHOD_NOT_ALLOWED}.get(status, status)
        return _error_body(status, code, error.description or error.name)

    return app


def serve_rest(
    app: Flask, host: str = "127.0.0.1", port: int = 0
) -> tuple[str, Callable[[], None]]:
    """Serve `app` on a background thread; returns its base URL and a function that stops it.
    OSError when the port is taken (werkzeug itself would print its own advice and exit)."""
    if port:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as werkzeug binds
            probe.bind((host, port))
    server = make_server(host, port, app, threaded=True, request_handler=_QuietHandler)
    # A short poll keeps `stop` quick (shutdown waits for the loop to notice).
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="standin-rest", daemon=True
    )
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return f"http://{host}:{server.server_port}", stop


class _QuietHandler(WSGIRequestHandler):
    """Werkzeug's handler without its line per request (drills make thousands)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


def call_resource(state: CallState) -> dict[str, Any]:
    """The Call resource as api.twilio.com renders it (schema api.v2010.account.call)."""
    base = f"/{API_VERSION}/Accounts/{state.account_sid}/Calls/{state.sid}"
    moments = [t for t in (state.date_created, state.start_time, state.end_time) if t]
    return {
        "sid": state.sid,
        "account_sid": state.account_sid,
        "parent_call_sid": state.parent_call_sid,
        "to": state.to,
        "to_formatted": state.to,
        "from": state.from_,
        "from_formatted": state.from_,
        "phone_number_sid": None,
        "status": state.status,
        "direction": state.direction,
        "date_created": rfc2822(state.date_created),
        "date_updated": rfc2822(max(moments, key=_aware)),
        "start_time": rfc2822(state.start_time),
        "end_time": rfc2822(state.end_time),
        "duration": None if state.duration is None else str(state.duration),
        "price": None,
        "price_unit": "USD",
        "answered_by": None,
        "api_version": API_VERSION,
        "forwarded_from": None,
        "group_sid": None,
        "caller_name": None,
        "queue_time": "0",
        "trunk_sid": None,
        "uri": f"{base}.json",
        "subresource_uris": {
            name: f"{base}/{title}.json"
            for name, title in (
                ("notifications", "Notifications"),
                ("recordings", "Recordings"),
                ("events", "Events"),
                ("transcriptions", "Transcriptions"),
            )
        },
    }


def conferences_page(account_sid: str, rooms: list[dict[str, Any]]) -> dict[str, Any]:
    """One page of the Conferences list (schema ListConferenceResponse)."""
    uri = f"/{API_VERSION}/Accounts/{account_sid}/Conferences.json"
    return {"conferences": rooms, "end": max(0, len(rooms) - 1), "first_page_uri": uri,
            "next_page_uri": None, "page": 0, "page_size": 50, "previous_page_uri": None,
            "start": 0, "uri": uri}


def conference_resource(state: ConferenceState) -> dict[str, Any]:
    """The Conference resource (schema api.v2010.account.conference)."""
    base = f"/{API_VERSION}/Accounts/{state.account_sid}/Conferences/{state.sid}"
    return {
        "account_sid": state.account_sid, "date_created": rfc2822(state.date_created),
        "date_updated": rfc2822(state.date_updated), "api_version": API_VERSION,
        "friendly_name": state.friendly_name, "region": "us1", "sid": state.sid,
        "status": state.status, "uri": f"{base}.json",
        "subresource_uris": {"participants": f"{base}/Participants.json",
                             "recordings": f"{base}/Recordings.json"},
        "call_sid_ending_conference": None,
        # Not nullable in the schema: present once the conference ended.
        **({"reason_conference_ended": "last-participant-left"}
           if state.status == "completed" else {}),
    }


def participant_resource(state: ParticipantState) -> dict[str, Any]:
    """The Participant resource (schema api.v2010.account.conference.participant)."""
    return {
        "account_sid": state.account_sid, "call_sid": state.call_sid, "label": None,
        "call_sid_to_coach": None, "coaching": False, "conference_sid": state.conference_sid,
        "date_created": rfc2822(state.date_created), "date_updated": rfc2822(state.date_updated),
        "end_conference_on_exit": state.end_conference_on_exit, "muted": state.muted,
        "hold": False, "start_conference_on_enter": state.start_conference_on_enter,
        "status": state.status, "queue_time": None,
        "uri": f"/{API_VERSION}/Accounts/{state.account_sid}/Conferences/"
               f"{state.conference_sid}/Participants/{state.call_sid}.json",
    }


def messages_page(account_sid: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """One page of the Messages list (schema ListMessageResponse)."""
    uri = f"/{API_VERSION}/Accounts/{account_sid}/Messages.json"
    return {"messages": messages, "end": max(0, len(messages) - 1), "first_page_uri": uri,
            "next_page_uri": None, "page": 0, "page_size": 50, "previous_page_uri": None,
            "start": 0, "uri": uri}


def message_resource(state: MessageState) -> dict[str, Any]:
    """The Message resource as api.twilio.com renders it (schema api.v2010.account.message)."""
    base = f"/{API_VERSION}/Accounts/{state.account_sid}/Messages/{state.sid}"
    return {
        "sid": state.sid,
        "account_sid": state.account_sid,
        "to": state.to,
        "from": state.from_,
        "body": state.body,
        "status": state.status,
        "direction": "outbound-api",
        "num_segments": "1",
        "num_media": "0",
        "date_created": rfc2822(state.date_created),
        "date_updated": rfc2822(state.date_created),
        "date_sent": None,
        "price": None,
        "price_unit": "USD",
        "error_code": None,
        "error_message": None,
        "messaging_service_sid": None,
        "api_version": API_VERSION,
        "uri": f"{base}.json",
        "subresource_uris": {"media": f"{base}/Media.json", "feedback": f"{base}/Feedback.json"},
    }


def rfc2822(moment: datetime | None) -> str | None:
    """Twilio's date format, e.g. 'Tue, 31 Aug 2010 20:36:28 +0000' (naive means UTC)."""
    if moment is None:
        return None
    return format_datetime(_aware(moment).astimezone(UTC))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _authenticate(account_sid: str, auth_token: str, path_account: str) -> None:
    given = request.authorization
    if (
        given is None
        or given.type != "basic"
        or not hmac.compare_digest((given.username or "").encode(), account_sid.encode())
        or not hmac.compare_digest((given.password or "").encode(), auth_token.encode())
    ):
        raise RestRefusal(401, AUTHENTICATE, "Authenticate")
    if path_account != account_sid:
        raise RestRefusal(
            403, FORBIDDEN, f"Account {path_account} in the URL is not the authenticated account"
        )


def _check_spec(spec: TwilioSpec, path_template: str, form: MultiDict[str, str]) -> None:
    violation = spec.check_request(
        method=request.method,
        path_template=path_template,
        path=request.path,
        form=form,
        body=request.get_data(cache=True),
        content_type=request.content_type or "",
        headers=request.headers,
    )
    if violation is None:
        return
    if violation.parameter == "Sid":
        raise RestRefusal(404, NOT_FOUND, f"The requested resource {request.path} was not found")
    _refuse(INVALID_PARAMETER, violation.message)


def _call_request(form: MultiDict[str, str]) -> CallRequest:
    url, twiml = form.get("Url"), form.get("Twiml")
    if url is None and twiml is None:
        _refuse(MISSING_URL, "A 'Url' or 'Twiml' parameter is required to create a call")
    events = tuple(form.getlist("StatusCallbackEvent")) or ("completed",)
    for event in events:
        if event not in CALL_EVENTS:
            _refuse(
                INVALID_PARAMETER,
                f"Parameter 'StatusCallbackEvent' has '{event}'; each value must be one of "
                f"{', '.join(sorted(CALL_EVENTS))} (send one parameter per event)",
            )
    return CallRequest(
        to=_required(form, "To", MISSING_TO),
        from_=_required(form, "From", MISSING_FROM),
        url=url,
        twiml=twiml,
        method=_method(form, "Method"),
        status_callback=form.get("StatusCallback"),
        status_callback_method=_method(form, "StatusCallbackMethod"),
        status_callback_event=events,
        timeout=_timeout(form),
        machine_detection=form.get("MachineDetection"),
        # Repeated values are kept, space-separated, as Twilio's own events are written.
        extra={key: " ".join(form.getlist(key)) for key in form if key not in CALL_FIELDS},
    )


def _required(form: MultiDict[str, str], name: str, code: int) -> str:
    value = form.get(name, "")
    if not value:
        _refuse(code, f"Parameter '{name}' is required")
    return value


def _method(form: MultiDict[str, str], name: str) -> str:
    value = form.get(name, "POST").upper()
    if value not in HTTP_METHODS:
        _refuse(INVALID_PARAMETER, f"Parameter '{name}' must be GET or POST, got '{value}'")
    return value


def _timeout(form: MultiDict[str, str]) -> int:
    raw = form.get("Timeout", "60")
    try:
        seconds = int(raw)
    except ValueError:
        _refuse(INVALID_PARAMETER, f"Parameter 'Timeout' must be an integer, got '{raw}'")
    if not 1 <= seconds <= 600:
        _refuse(INVALID_PARAMETER, f"Parameter 'Timeout' must be 1 to 600 seconds, got {seconds}")
    return seconds


def _only(form: MultiDict[str, str], supported: frozenset[str]) -> None:
    for key in form:
        if key not in supported:
            _refuse(
                INVALID_PARAMETER,
                f"Parameter '{key}' is not implemented by the stand-in for this request",
            )


def _refuse(code: int, message: str) -> NoReturn:
    raise RestRefusal(400, code, message)


def _error_body(status: int, code: int, message: str) -> tuple[Response, int]:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    response = jsonify(body)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
    return response, status
