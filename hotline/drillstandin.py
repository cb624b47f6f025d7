"""`hotline drill standin`: one Twilio stand-in serving many drilled calls at once.

A served app sends all its REST requests to one `twilio.api_base_url`, so drills run side by
side must share one stand-in. It plays every drilled call on one switchboard in real time;
`drill call --against URL --standin URL` asks it to place a call (`POST /drills`) and reads
that call's transcript as it grows (`GET /drills/<sid>?since=N`). A volunteer's leg belongs
to the drill whose caller the app rang it for (the leg's row in the app's database names the
call), so each drill's phones do what that drill says, and its transcript shows its own legs.
"""

from __future__ import annotations

import hmac
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, Response, abort, jsonify, request
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from hotline.standin.calls import Leg
from hotline.standin.carrier import CallRequest, CallState
from hotline.standin.clock import RealClock
from hotline.standin.phones import HANG_UP, Caller, HangUp, Party, Phone
from hotline.standin.switchboard import Switchboard
from hotline.standin.transport import HttpTarget

P = TypeVar("P", bound=Party)
_LEG_URL = re.compile(r"/voice/legs/(\d+)/")
START_TIMEOUT = 20.0     # seconds to wait for the app to answer a drilled call's first webhook


class SharedBoard(Switchboard):
    """A real-time switchboard whose calls belong to drills (by their caller's CallSid)."""

    def __init__(self, account_sid: str, auth_token: str,
                 owner_of: Callable[[CallRequest], str | None]) -> None:
        super().__init__(RealClock(), account_sid, seed=uuid.uuid4().hex)
        self.auth_token = auth_token
        self.books: dict[str, Mapping[str, Phone]] = {}    # drill (caller sid) -> phones
        self.owners: dict[str, str] = {}                     # leg sid -> drill
        self.latest: str | None = None
        self._owner_of = owner_of
        self._placing: Mapping[str, Phone] | None = None
        self._lock = threading.RLock()
        self._registered = threading.Condition()

    def script(self, number: str) -> Phone:
        book = self._placing
        if book is not None and number in book:
            return book[number]
        return super().script(number)

    def create_call(self, request: CallRequest) -> CallState:
        owner = self._owner_of(request) or self.latest
        book = self._book(owner)
        with self._lock:
            self._placing = book
            try:
                state = super().create_call(request)
            finally:
                self._placing = None
            if owner is not None:
                self.owners[state.sid] = owner
        return state

    def place_child(self, parent: Leg, *args: Any, **kwargs: Any) -> Leg:
        owner = self.owner(parent.sid)
        with self._lock:
            self._placing = self.books.get(owner or "")
            try:
                leg = super().place_child(parent, *args, **kwargs)
            finally:
                self._placing = None
            if owner is not None:
                self.owners[leg.sid] = owner
        return leg

    def _book(self, owner: str | None) -> Mapping[str, Phone] | None:
        """The drill's phones; a leg placed while its caller's first webhook is being
        answered waits (briefly) for the drill to be registered."""
        if owner is None:
            return None
        with self._registered:
            self._registered.wait_for(lambda: owner in self.books, timeout=5.0)
            return self.books.get(owner)

    def owner(self, sid: str | None) -> str | None:
        while sid is not None:
            if sid in self.owners:
                return self.owners[sid]
            leg = self.legs.get(sid)
            sid = leg.parent_sid if leg is not None else None
        return None

    def start(self, against: str, from_: str, to: str, caller: Caller,
              phones: Mapping[str, Phone]) -> str:
        """Place a drilled call to the app at `against` (from the loop); its caller's sid."""
        made: list[Leg] = []
        failed: list[str] = []
        done = threading.Event()

        def ring() -> None:
            try:
                serving = self.target.public_url if self.target is not None else None
                if serving != against:
                    if serving is not None and any(leg.live for leg in list(self.legs.values())):
                        failed.append(f"this stand-in is drilling {serving} now: start "
                                      f"another (on another port) for {against}")
                        return
                    self.attach(HttpTarget(against, self.auth_token))
                leg = self.incoming(from_, to, caller, f"{against}/voice/incoming")
                made.append(leg)
                with self._registered:
                    self.books[leg.sid] = phones
                    self.owners[leg.sid] = leg.sid
                    self.latest = leg.sid
                    self._registered.notify_all()
            finally:
                done.set()

        self.scheduler.soon(ring)
        if not done.wait(START_TIMEOUT) or not made:
            raise DrillRefused(failed[0] if failed else "the call could not be started")
        return made[0].sid

    def progress(self, drill: str, since: int) -> dict[str, Any]:
        """The drill's transcript entries from index `since` on, and whether it is over."""
        entries = self.transcript.entries
        mine = [{"at": entry.at, "text": entry.text, "numbers": list(entry.numbers)}
                for entry in entries[since:] if self.owner(entry.call_sid) == drill]
        caller = self.legs.get(drill)
        live = [leg for leg in list(self.legs.values())
                if leg.live and self.owner(leg.sid) == drill]
        return {"entries": mine, "next": len(entries), "done": caller is not None and not live,
                "status": caller.status if caller is not None else "unknown"}


class DrillRefused(Exception):
    """A drill the stand-in cannot place; the message says why in one line."""


def owner_in_database(engine: Engine) -> Callable[[CallRequest], str | None]:
    """Which drilled caller the app rang this leg for: its URL names the app's leg row,
    whose call has the caller's CallSid."""
    from hotline.logs.models import Call, CallLeg

    def owner_of(request: CallRequest) -> str | None:
        found = _LEG_URL.search(request.url or "")
        if found is None:
            return None
        try:
            with Session(engine) as session:
                return session.scalar(
                    select(Call.call_sid).join(CallLeg, CallLeg.call_id == Call.id)
                    .where(CallLeg.id == int(found.group(1))))
        except SQLAlchemyError:
            return None         # the latest drill's phones, rather than a failed REST call

    return owner_of


def party_json(party: Party) -> dict[str, Any]:
    """A caller's or phone's script as JSON (a hang-up reply is null)."""
    data = {f.name: getattr(party, f.name) for f in fields(party)}
    data["replies"] = [None if isinstance(r, HangUp) else r for r in party.replies]
    data["otherwise"] = None if isinstance(party.otherwise, HangUp) else party.otherwise
    data["presses"] = [list(p) for p in party.presses]
    return data


def party_from_json(kind: type[P], data: Mapping[str, Any]) -> P:
    known = {f.name for f in fields(kind)}
    values = {k: v for k, v in data.items() if k in known}
    values["replies"] = tuple(HANG_UP if r is None else r for r in data.get("replies", ()))
    values["otherwise"] = HANG_UP if data.get("otherwise", "") is None else data.get(
        "otherwise", "")
    values["presses"] = tuple((float(at), str(d)) for at, d in data.get("presses", ()))
    return kind(**values)


def add_drill_routes(app: Flask, board: SharedBoard) -> None:
    """The drills' own API beside the REST stand-in, under the same credentials."""

    def guard() -> None:
        given = request.authorization
        if (given is None
                or not hmac.compare_digest((given.username or "").encode(),
                                           board.account_sid.encode())
                or not hmac.compare_digest((given.password or "").encode(),
                                           board.auth_token.encode())):
            abort(401)

    @app.post("/drills")
    def start_drill() -> tuple[Response, int]:
        guard()
        body = request.get_json(force=True)
        try:
            sid = board.start(
                str(body["against"]).rstrip("/"), str(body["from"]), str(body["to"]),
                party_from_json(Caller, body["caller"]),
                {number: party_from_json(Phone, phone) for number, phone
                 in dict(body["phones"]).items()})
        except DrillRefused as exc:
            return jsonify({"message": str(exc)}), 409
        return jsonify({"sid": sid}), 201

    @app.get("/drills/<sid>")
    def drill_progress(sid: str) -> Response:
        guard()
        return jsonify(board.progress(sid, int(request.args.get("since", "0"))))


def run_standin(board: SharedBoard, port: int, spec_path: Path | None,
                ready: Callable[[str], None]) -> None:
    """Serve the stand-in on 127.0.0.1:`port` and play its calls until interrupted."""
    from hotline.standin.rest import create_rest_app, serve_rest

    app = create_rest_app(board, board.auth_token, spec_path=spec_path)
    add_drill_routes(app, board)
    base_url, stop = serve_rest(app, port=port)      # OSError when the port is taken
    ready(base_url)
    try:
        while True:
            board.scheduler.step(idle_wait=0.5)
    finally:
        stop()
