"""Drills: rehearse a call against the rota as it stands, with no phones and no Twilio.

In-process (the default), the real app answers webhooks from the stand-in's simulator
on a virtual clock, inside one database transaction that is rolled back at the end:
the drill reads the live rota and writes nothing. Against a served app (`against`), the
simulator posts over HTTP in real time and the app's REST calls must reach the stand-in
REST server this module serves (the app's `twilio.api_base_url`).
"""

from __future__ import annotations

import secrets
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from hotline.db import SchemaNotReady, check_schema, make_engine
from hotline.jobs import ManualRunner
from hotline.models import Chapter, ChapterNumber, Volunteer
from hotline.phone import PhoneError, parse_caller, parse_phone
from hotline.privacy import mask
from hotline.runtime import rolled_back_runtime
from hotline.settings import Settings, with_overrides
from hotline.standin import phones
from hotline.standin.clock import VirtualClock
from hotline.standin.phones import Caller, Phone
from hotline.standin.report import CallReport
from hotline.standin.switchboard import Switchboard

DRILL_TOKEN = "drill-auth-token-not-secret"   # noqa: S105 - used only when none is configured
DRILL_ACCOUNT = "AC" + "d" * 32

BEHAVIOURS: dict[str, Callable[[float], Phone]] = {
    "answers": lambda after: phones.answers(after=after),
    "declines": lambda after: phones.declines(after=after),
    "rings-out": lambda after: phones.rings_out(),
    "busy": lambda after: phones.busy(after=min(after, 2.0)),
    "fails": lambda after: phones.fails(),
    "voicemail": lambda after: phones.voicemail(after=after),
    "hangs-up": lambda after: phones.hangs_up(after=5.0, answer_after=after),
}
CALLERS = ("listens", "hangs-up", "voicemail", "callback")


class DrillError(Exception):
    """A drill that cannot run as asked; the message says why in one line."""


@dataclass(frozen=True)
class Scenario:
    """Who calls, what they do, and what each volunteer's phone does."""

    to: str
    from_: str = "+15551230000"
    caller: Caller = field(default_factory=lambda: caller_script("listens"))
    everyone: str = "answers"
    phones: Mapping[str, tuple[str, float]] = field(default_factory=dict)   # phone -> (does, after)
    first: str | None = None        # behaviour of whoever is rung first (by ring order)
    at: datetime | None = None


@dataclass(frozen=True)
class DrillResult:
    report: CallReport
    transcript: str
    record: dict[str, Any] | None   # the contact record the call would have left
    live: bool = False              # against a served app, whose records are kept
    texts: tuple[str, ...] = ()     # the texts the line sent (alerts, ...), in order
    streamed: bool = False          # the transcript was printed line by line as it happened


def caller_script(action: str, after: float = 40.0, digits: Sequence[str] = ()) -> Caller:
    """listens (and leaves a short message if asked), hangs-up after N s, voicemail, callback;
    first pressing `digits` at the chapter's menus, one key each ("" presses nothing)."""
    script = _caller_does(action, after)
    for key in digits:
        if key not in ("", *"0123456789"):
            raise DrillError(f"digits: {key!r} is not one key (0-9, or nothing: 2,,1)")
    return replace(script, replies=(*digits, *script.replies)) if digits else script


def _caller_does(action: str, after: float) -> Caller:
    if action == "listens":
        return Caller(message_seconds=15.0)
    if action == "hangs-up":
        return phones.hangs_up_after(after)
    if action == "voicemail":
        return phones.leaves_voicemail(20.0)
    if action == "callback":
        # The app's "nobody is free" menu: 1 asks for a call back.
        return phones.presses("1")
    raise DrillError(f"caller action {action!r}: choose one of {', '.join(CALLERS)}")


def load_scenario(path: Path, base: Scenario | None = None) -> Scenario:
    """A scenario file (TOML): to, everyone, first, [caller], [[phone]] (see drill --help)."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DrillError(f"{path}: {exc}") from None
    caller = _table(path, raw, "caller")
    entries = raw.get("phone", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise DrillError(f"{path}: phone: write each phone as a [[phone]] table")
    table: dict[str, tuple[str, float]] = dict(base.phones) if base else {}
    for i, entry in enumerate(entries, start=1):
        who, does = entry.get("volunteer"), entry.get("does")
        if not isinstance(who, str) or does not in BEHAVIOURS:
            raise DrillError(
                f"{path}: [[phone]] #{i}: needs volunteer (phone or name) and does "
                f"(one of {', '.join(BEHAVIOURS)})"
            )
        table[who] = (does, _seconds(path, entry, "after", 4.0, f"[[phone]] #{i}: after"))
    first = _text(path, raw, "first", "") if "first" in raw else (base.first if base else None)
    keep = base is not None and not {"does", "after", "digits"} & set(caller)
    script = base.caller if base is not None and keep else caller_script(
        _text(path, caller, "does", "listens", "[caller] does"),
        _seconds(path, caller, "after", 40.0, "[caller] after"),
        _digits(path, caller))
    return Scenario(
        to=_text(path, raw, "to", base.to if base else ""),
        from_=_text(path, caller, "from", base.from_ if base else "+15551230000",
                    "[caller] from"),
        caller=script,
        everyone=_text(path, raw, "everyone", base.everyone if base else "answers"),
        phones=table,
        first=first,
        at=base.at if base else None,
    )


# A scenario file is hand-written: a wrong type must be one line naming the key, not a traceback.
def _table(path: Path, raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise DrillError(f"{path}: {key}: expected a [{key}] table")
    return value


def _text(path: Path, raw: Mapping[str, Any], key: str, default: str, name: str = "") -> str:
    value = raw.get(key, default)
    if not isinstance(value, str):
        raise DrillError(f"{path}: {name or key}: expected text in quotes, got {value!r}")
    return value


def _digits(path: Path, raw: Mapping[str, Any]) -> tuple[str, ...]:
    value = raw.get("digits", [])
    if not isinstance(value, list) or not all(isinstance(key, str) for key in value):
        raise DrillError(f'{path}: [caller] digits: expected keys in quotes like ["2", "1"], '
                         f"got {value!r}")
    return tuple(value)


def _seconds(path: Path, raw: Mapping[str, Any], key: str, default: float, name: str) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise DrillError(f"{path}: {name}: expected a number of seconds, got {value!r}")
    return float(value)


def _check(scenario: Scenario) -> None:
    for number, label, parse in ((scenario.to, "--to", parse_phone),
                                 (scenario.from_, "--from", parse_caller)):
        try:
            parse(number)
        except PhoneError as exc:
            raise DrillError(f"{label}: {number!r} {exc} (like +16175550100)") from None
    for does in (scenario.everyone, scenario.first):
        if does is not None and does not in BEHAVIOURS:
            raise DrillError(f"unknown behaviour {does!r}: choose one of {', '.join(BEHAVIOURS)}")


def _phone_book(session: Session, scenario: Scenario, at: datetime) -> dict[str, Phone]:
    """Every volunteer's phone scripted as the scenario says (names resolved to numbers)."""
    volunteers = session.execute(select(Volunteer.name, Volunteer.phone)).all()
    by_name = {name: phone for name, phone in volunteers}
    book = {phone: BEHAVIOURS[scenario.everyone](4.0) for _, phone in volunteers}
    if scenario.first is not None:
        first = _first_rung(session, scenario.to, at)
        if first is not None:
            book[first] = BEHAVIOURS[scenario.first](4.0)
    for who, (does, after) in scenario.phones.items():
        number = who if who.startswith("+") else by_name.get(who)
        if number is None:
            raise DrillError(f"no volunteer named {who!r}")
        book[number] = BEHAVIOURS[does](after)
    return book


def _first_rung(session: Session, hotline_number: str, at: datetime) -> str | None:
    from hotline.roster.trainees import offered_waves

    chapter_id = session.scalar(
        select(ChapterNumber.chapter_id).where(ChapterNumber.number == hotline_number)
    )
    if chapter_id is None:
        return None
    # A listen_in chapter's trainees are never offered the caller: never rung first.
    for wave in offered_waves(session, chapter_id, at):
        for volunteer in wave.volunteers:
            return volunteer.phone
    return None


def _labels(session: Session, caller: str) -> Callable[[str], str]:
    """How the transcript names numbers: volunteers by name, the caller masked."""
    names = {phone: f"{name} ({phone})" for name, phone in
             session.execute(select(Volunteer.name, Volunteer.phone))}
    for number, chapter in session.execute(
        select(ChapterNumber.number, Chapter.name).join(Chapter)
    ):
        names[number] = f"{chapter} ({number})"
    names[caller] = f"caller {mask(caller)}"
    return lambda number: names.get(number, mask(number))


@contextmanager
def _rolled_back(settings: Settings) -> Iterator[Connection]:
    """A connection to the live database whose every change is rolled back at the end."""
    engine = make_engine(settings.database.url)
    try:
        try:
            check_schema(engine)
        except SchemaNotReady as exc:
            raise DrillError(str(exc)) from None
        with engine.connect() as conn:
            outer = conn.begin()
            try:
                yield conn
            finally:
                outer.rollback()
    finally:
        engine.dispose()


def drill_settings(settings: Settings) -> Settings:
    """The settings a drill runs the app with: a token and account even if none is
    configured, and the privacy key, or a throwaway one (nothing a drill writes is kept)."""
    return with_overrides(settings, app={"log_level": "WARNING"}, twilio={
        "account_sid": settings.twilio.account_sid or DRILL_ACCOUNT,
        "auth_token": settings.twilio.auth_token or DRILL_TOKEN,
    }, privacy={"key": settings.privacy.key or secrets.token_urlsafe(32)})


def run_drill(settings: Settings, scenario: Scenario) -> DrillResult:
    """Play the scenario's call in-process on a virtual clock; nothing is kept."""
    from hotline.app import create_app
    from hotline.drillday import play_follow_ups, texts_sent
    from hotline.logs.contacts import contact_for
    from hotline.standin.simulator import Simulator
    from hotline.standin.transport import WsgiTarget
    from hotline.telephony.standin import StandinTelephony

    _check(scenario)
    settings = drill_settings(settings)
    start = scenario.at or datetime.now(UTC).replace(microsecond=0)
    with _rolled_back(settings) as conn:
        with Session(conn) as session:
            book = _phone_book(session, scenario, start)
            label = _labels(session, scenario.from_)
        board = Switchboard(VirtualClock(start), settings.twilio.account_sid, phones=book)
        runner = ManualRunner(board.now)
        runtime = rolled_back_runtime(settings, conn, telephony=StandinTelephony(board),
                                      jobs=runner, clock=board.now)
        app = create_app(runtime=runtime)

        def run_jobs(now: datetime) -> None:
            runner.run_due(now)

        sim = Simulator(
            WsgiTarget(app, settings.app.public_url, settings.twilio.auth_token), board,
            on_advance=run_jobs, mask=label,
        )
        report = sim.call(scenario.from_, scenario.to, scenario.caller)
        play_follow_ups(sim, runtime, runner, report.sid, scenario.from_)
        with runtime.sessions() as session:
            row = contact_for(session, report.sid)
    record = row.as_json() if row is not None else None
    return DrillResult(report=report, transcript=sim.transcript, record=record,
                       texts=tuple(texts_sent(board.messages, label, since=start)))


def served_record(settings: Settings, call_sid: str) -> dict[str, Any] | None:
    """The contact record the served app wrote, if this process can read its database."""
    from hotline.logs.contacts import contact_for

    engine = make_engine(settings.database.url)
    try:
        with Session(engine) as session:
            row = contact_for(session, call_sid)
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()
    return row.as_json() if row is not None else None
