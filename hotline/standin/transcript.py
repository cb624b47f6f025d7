"""A readable, time-stamped account of everything that happened in a simulation."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Entry:
    """One line; `numbers` are the phone numbers in `text`, so a host can mask them."""

    at: float            # seconds since the simulation began
    call_sid: str | None
    text: str
    numbers: tuple[str, ...] = ()


def offset(seconds: float) -> str:
    """`00:09`, `01:30`, `1:02:05`: minutes and seconds, hours only when needed."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def short(sid: str) -> str:
    """`CA1f3e..` style abbreviation of a SID for humans."""
    return sid[:8] + ".." if len(sid) > 10 else sid


class Transcript:
    """Entries in the order they happened; thread-safe because the REST side logs too."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self._entries: list[Entry] = []
        self._lock = threading.Lock()

    def log(
        self, when: datetime, text: str, *, call_sid: str | None = None,
        numbers: tuple[str, ...] = (),
    ) -> None:
        at = (when - self.start).total_seconds()
        with self._lock:
            self._entries.append(Entry(at, call_sid, text, numbers))

    @property
    def entries(self) -> tuple[Entry, ...]:
        with self._lock:
            return tuple(self._entries)

    def lines(
        self, *, mask: Callable[[str], str] | None = None, since: float = 0.0,
        until: float | None = None,
    ) -> list[str]:
        out = []
        entries = self.entries
        # Every number any line declared is masked on every line: a number also turns up in
        # lines that did not declare it (an SMS body, an app's error page). Longest first, so
        # a number that prefixes another is not half-masked.
        known = sorted({n for entry in entries for n in entry.numbers if n}, key=len, reverse=True)
        for entry in entries:
            if entry.at < since or (until is not None and entry.at > until):
                continue
            text = entry.text
            if mask is not None:
                for number in known:
                    text = text.replace(number, mask(number))
            out.append(f"{offset(entry.at)} {text}")
        return out

    def render(self, *, mask: Callable[[str], str] | None = None) -> str:
        return "\n".join(self.lines(mask=mask))
