"""The switchboard's live state: one `Leg` per call, plus the records it leaves behind."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from xml.etree.ElementTree import Element

from hotline.standin.carrier import CallState
from hotline.standin.phones import Party
from hotline.telephony import ENDED

#: How a Dial learns its outcome: (the leg it reached or None, DialCallStatus, seconds bridged).
Finish = Callable[["Leg | None", str, int], None]


class Sids:
    """Deterministic, unique SIDs (`CA` + 32 hex) so runs with one seed repeat exactly."""

    def __init__(self, seed: str) -> None:
        self._seed = seed
        self._count = itertools.count(1)

    def new(self, prefix: str) -> str:
        digest = hashlib.sha256(f"{self._seed}:{prefix}:{next(self._count)}".encode())
        return prefix + digest.hexdigest()[:32]


@dataclass(frozen=True)
class Recording:
    sid: str
    call_sid: str
    url: str
    duration: int
    started: datetime
    ended: datetime


@dataclass(frozen=True)
class Message:
    sid: str
    to: str
    from_: str
    body: str
    sent: datetime


@dataclass(frozen=True)
class HttpError:
    """A webhook the app answered badly (status 0: unreachable)."""

    at: datetime
    call_sid: str | None
    url: str
    status: int
    detail: str


@dataclass
class Gathering:
    action: str
    method: str
    num_digits: int | None
    finish_on_key: str
    timeout: float
    on_empty: bool
    digits: str = ""
    presses: int = 0          # bumps on every key, so a stale timeout timer can tell


@dataclass
class Recorder:
    action: str
    method: str
    finish_on_key: str
    status_callback: str | None
    status_callback_method: str
    started: datetime
    max_length: float


@dataclass
class Waiting:
    """A caller held in a queue by `<Enqueue>`."""

    queue: str
    action: str | None
    method: str
    wait_url: str | None
    wait_method: str
    entered: datetime
    doc_url: str


@dataclass
class Bridge:
    a: Leg
    b: Leg
    started: datetime
    ended: datetime | None = None

    def other(self, leg: Leg) -> Leg:
        return self.b if leg is self.a else self.a


@dataclass
class Leg:
    """One call (inbound, outbound-api or outbound-dial) and what it is doing right now."""

    sid: str
    account_sid: str
    to: str
    from_: str
    direction: str
    party: Party
    created: datetime
    parent_sid: str | None = None
    status: str = "queued"
    answered: datetime | None = None
    ended: datetime | None = None
    url: str | None = None
    method: str = "POST"
    twiml: str | None = None
    timeout: float = 60.0
    status_callback: str | None = None
    status_callback_method: str = "POST"
    status_events: tuple[str, ...] = ("completed",)
    machine_detection: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    sequence: int = 0
    # What it is doing. `epoch` bumps whenever that is interrupted, so scheduled steps of
    # the old activity see they are stale and do nothing.
    epoch: int = 0
    doc_url: str = ""
    verbs: list[Element] = field(default_factory=list)
    index: int = 0
    on_doc_end: Callable[[], None] | None = None
    gathering: Gathering | None = None
    recorder: Recorder | None = None
    waiting: Waiting | None = None
    bridge: Bridge | None = None
    on_unbridge: Callable[[bool], None] | None = None   # arg: this leg hung up itself
    on_hangup: list[Callable[[str], None]] = field(default_factory=list)
    on_answer: Callable[[Leg], None] | None = None       # a Dial waiting on this child leg
    answer_on_bridge: bool = False
    gathers_heard: int = 0
    heard: list[str] = field(default_factory=list)
    # Media the leg's <Play> fetched from the app: (URL, status, content type).
    played: list[tuple[str, int, str]] = field(default_factory=list)
    digits: list[str] = field(default_factory=list)
    queue_results: list[str] = field(default_factory=list)
    bridged_with: list[tuple[str, datetime, datetime | None]] = field(default_factory=list)
    reject_reason: str | None = None
    timers: list[int] = field(default_factory=list)   # scheduler handles to drop at the end
    saved: tuple[str, list[Element], int] | None = None   # the document under a hold
    dialing: Finish | None = None                          # a Dial waiting for its outcome
    on_star: Callable[[], None] | None = None    # a Dial with hangupOnStar: "*" leaves it

    @property
    def live(self) -> bool:
        return self.status not in ENDED

    def interrupt(self) -> int:
        """Abandon whatever the leg was doing; returns the new epoch."""
        self.epoch += 1
        self.gathering = None
        return self.epoch

    def state(self) -> CallState:
        duration = None
        if self.ended is not None:
            duration = int((self.ended - self.answered).total_seconds()) if self.answered else 0
        return CallState(
            sid=self.sid, account_sid=self.account_sid, to=self.to, from_=self.from_,
            status=self.status, direction=self.direction, parent_call_sid=self.parent_sid,
            date_created=self.created, start_time=self.answered or (
                self.created if self.status != "queued" else None),
            end_time=self.ended, duration=duration,
        )


def silence_wav(seconds: int) -> bytes:
    """A recording's audio as the stand-in serves it: `seconds` of silence, 8 kHz mono WAV."""
    import io
    import wave

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(8000)
        out.writeframes(b"\x80" * 8000 * max(1, seconds))
    return buffer.getvalue()
