"""Drills against a served app, in real time, with the transcript printed as it happens.

The app sends its REST requests to its `twilio.api_base_url`. Either this drill serves a
stand-in there for the one call (`rest_port`), or a long-running `hotline drill standin`
does, for any number of drills at once (`standin`).
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from hotline.drill import (  # the in-process drill's own helpers, shared with this one
    DrillError,
    DrillResult,
    Scenario,
    _check,
    _labels,
    _phone_book,
    _rolled_back,
    served_record,
)
from hotline.settings import Settings
from hotline.standin.clock import RealClock
from hotline.standin.report import CallReport
from hotline.standin.switchboard import Switchboard
from hotline.standin.transcript import offset

Emit = Callable[[str], None]
POLL = 0.25        # seconds between looks at the transcript
DRILL_LIMIT = 4 * 3600.0


class Follower:
    """Renders transcript entries as they come, numbers named or masked by `label`."""

    def __init__(self, label: Callable[[str], str], emit: Emit | None) -> None:
        self.label = label
        self.emit = emit
        self.lines: list[str] = []
        self._known: set[str] = set()
        self._start: float | None = None

    def show(self, entries: Sequence[tuple[float, str, Sequence[str]]]) -> None:
        for at, text, numbers in entries:
            self._known.update(n for n in numbers if n)
            if self._start is None:
                self._start = at
            for number in sorted(self._known, key=len, reverse=True):
                text = text.replace(number, self.label(number))
            line = f"{offset(at - self._start)} {text}"
            self.lines.append(line)
            if self.emit is not None:
                self.emit(line)


def run_live_drill(
    settings: Settings, scenario: Scenario, against: str, rest_port: int, *,
    standin: str | None = None, emit: Emit | None = None,
) -> DrillResult:
    """Play the call in real time against the app at `against`; `emit` each transcript line."""
    _check(scenario)
    if not settings.twilio.auth_token:
        raise DrillError("twilio.auth_token: must be set to the served app's token")
    with _rolled_back(settings) as conn, Session(conn) as session:
        book = _phone_book(session, scenario, datetime.now(UTC))
        follower = Follower(_labels(session, scenario.from_), emit)
    if standin is not None:
        report = _through_standin(settings, scenario, against, standin, book, follower)
    else:
        report = _with_own_standin(settings, scenario, against, rest_port, book, follower)
    return DrillResult(report=report, transcript="\n".join(follower.lines),
                       record=served_record(settings, report.sid), live=True,
                       streamed=emit is not None)


def _with_own_standin(
    settings: Settings, scenario: Scenario, against: str, rest_port: int, book: Any,
    follower: Follower,
) -> CallReport:
    from hotline.standin.openapi import SPEC_ENV
    from hotline.standin.rest import create_rest_app, serve_rest
    from hotline.standin.simulator import Simulator
    from hotline.standin.transport import HttpTarget

    # Fresh SIDs each run: the served app keeps its records, and a repeated SID would be
    # taken for a retry of an earlier drill's call.
    board = Switchboard(RealClock(), settings.twilio.account_sid, phones=book,
                        seed=uuid.uuid4().hex)
    # With Twilio's OpenAPI description at hand, every REST request the app makes is checked.
    spec = os.environ.get(SPEC_ENV)
    rest = create_rest_app(board, settings.twilio.auth_token,
                           spec_path=Path(spec) if spec else None)
    try:
        _, stop = serve_rest(rest, port=rest_port)
    except OSError as exc:
        raise DrillError(
            f"--rest-port {rest_port}: cannot listen ({exc.strerror}); another drill's "
            f"stand-in is there? To drill side by side, run `hotline drill standin --port "
            f"{rest_port}` once and give each drill `--standin http://127.0.0.1:{rest_port}`"
        ) from None
    done = threading.Event()

    def follow() -> None:
        seen = 0
        while True:
            finished = done.is_set()
            entries = board.transcript.entries
            follower.show([(e.at, e.text, e.numbers) for e in entries[seen:]])
            seen = len(entries)
            if finished:
                return
            done.wait(POLL)

    printer = threading.Thread(target=follow, name="drill-transcript", daemon=True)
    printer.start()
    try:
        sim = Simulator(HttpTarget(against, settings.twilio.auth_token), board)
        report = sim.call(scenario.from_, scenario.to, scenario.caller)
    finally:
        stop()
        done.set()
        printer.join()
    return report


def _through_standin(
    settings: Settings, scenario: Scenario, against: str, standin: str, book: Any,
    follower: Follower,
) -> CallReport:
    from hotline.drillstandin import party_json

    base = standin.rstrip("/")
    started = _ask(settings, "POST", f"{base}/drills", {
        "against": against, "from": scenario.from_, "to": scenario.to,
        "caller": party_json(scenario.caller),
        "phones": {number: party_json(phone) for number, phone in book.items()},
    }, base)
    sid = str(started["sid"])
    began, seen = time.monotonic(), 0
    while time.monotonic() - began < DRILL_LIMIT:
        progress = _ask(settings, "GET", f"{base}/drills/{sid}?since={seen}", None, base)
        follower.show([(e["at"], e["text"], e["numbers"]) for e in progress["entries"]])
        seen = int(progress["next"])
        if progress["done"]:
            return _bare_report(scenario, sid, str(progress["status"]),
                                time.monotonic() - began, "\n".join(follower.lines))
        time.sleep(POLL)
    raise DrillError(f"call {sid} still going after {DRILL_LIMIT:.0f} s")


def _ask(settings: Settings, method: str, url: str, body: dict[str, Any] | None, base: str
         ) -> dict[str, Any]:
    """One request to the stand-in's drill API, with the account's credentials."""
    pair = f"{settings.twilio.account_sid}:{settings.twilio.auth_token}".encode()
    headers = {"Authorization": "Basic " + base64.b64encode(pair).decode(),
               "Content-Type": "application/json"}
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=30) as response:  # noqa: S310
            answer: dict[str, Any] = json.loads(response.read())
            return answer
    except urllib.error.HTTPError as error:
        reason = error.read().decode("utf-8", "replace")
        try:
            reason = json.loads(reason).get("message", reason)
        except ValueError:
            pass
        if error.code == 401:
            reason = "it refused this account's twilio.account_sid / auth_token"
        raise DrillError(f"--standin {base}: {reason}") from None
    except (OSError, ValueError) as error:
        raise DrillError(f"--standin {base}: no stand-in answers there ({error}); start one "
                         "with `hotline drill standin --port PORT`") from None


def _bare_report(scenario: Scenario, sid: str, status: str, duration: float,
                 transcript: str) -> CallReport:
    """The report of a call played elsewhere: what this process knows of it."""
    return CallReport(
        sid=sid, from_=scenario.from_, to=scenario.to, status=status,
        started=datetime.now(UTC), duration=duration, answered_at=None, reject_reason=None,
        heard=(), digits=(), legs=(), bridged_to=None, bridged_sid=None, bridged_seconds=0.0,
        queue_results=(), recordings=(), messages=(), errors=(), transcript=transcript,
    )
