"""A chapter's settings: each key of the rota file, its column, its type and its check.

One table serves the rota file (read, import, export), the web app's settings page and
`update_chapter_settings`, so a value is refused the same way wherever it is typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import cast

from hotline.phone import is_phone
from hotline.refusals import N_, Refusal
from hotline.roster.matching import experiences_problem, languages_problem

SettingValue = str | int | bool | list[int] | list[str] | list[dict[str, str]]
Check = Callable[["SettingValue"], Refusal | None]

RING_STRATEGIES = ("all", "sequential")
ACCEPT_MODES = ("press1", "answer")
HOURS = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]")


@dataclass(frozen=True)
class Setting:
    key: str                                    # in the rota file
    column: str                                 # on the Chapter row
    kind: type                                  # str, int, bool or list (of whole numbers)
    check: Check                                # why a value is refused, or None


def _within(low: int, high: int, reason: str, key: str) -> Check:
    """`reason` is marked with N_ and may use %(key)s, %(low)s and %(high)s."""
    return lambda value: (None if isinstance(value, int) and not isinstance(value, bool)
                          and low <= value <= high
                          else Refusal(reason, key=key, low=low, high=high))


def _one_of(choices: tuple[str, ...], key: str) -> Check:
    return lambda value: (None if value in choices else Refusal(
        N_("%(key)s must be one of %(choices)s"), key=key, choices=", ".join(choices)))


def _longest(limit: int, key: str) -> Check:
    return lambda value: (None if isinstance(value, str) and len(value) <= limit else Refusal(
        N_("%(key)s is longer than %(limit)s characters"), key=key, limit=limit))


def _minutes_list(value: SettingValue) -> Refusal | None:
    if (not isinstance(value, list) or not 1 <= len(value) <= 10
            or not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 10080
                       for v in value)
            or value != sorted(set(cast(list[int], value)))):
        return Refusal(N_("callback_delays_minutes must list 1 to 10 delays in minutes after "
                          "the request, rising, each 1 to 10080 (like [5, 30, 120])"))
    return None


def _hours_list(value: SettingValue) -> Refusal | None:
    if (not isinstance(value, list) or len(value) > 5
            or not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 168
                       for v in value)
            or len(set(value)) != len(value)):
        return Refusal(N_("reminder_hours must list up to 5 different hours before a shift, "
                          "each 1 to 168 (like [24, 2]; [] for no reminders)"))
    return None


def _hours(value: SettingValue) -> Refusal | None:
    if isinstance(value, str) and HOURS.fullmatch(value):
        return None
    return Refusal(N_("callback_hours must be HH:MM-HH:MM in the chapter's time (like "
                      "09:00-20:00; the same time twice means all day)"))


def _emergency(value: SettingValue) -> Refusal | None:
    if value == "" or (isinstance(value, str) and is_phone(value)):
        return None
    return Refusal(N_("emergency_line must be E.164 (like +18002738255) or empty"))


SECONDS = N_("%(key)s must be %(low)s to %(high)s seconds")

SETTINGS: tuple[Setting, ...] = (
    Setting("ring_strategy", "ring_strategy", str, _one_of(RING_STRATEGIES, "ring_strategy")),
    Setting("ring_timeout", "ring_timeout_seconds", int,
            _within(5, 120, SECONDS, "ring_timeout")),
    Setting("max_wait", "max_wait_seconds", int,
            _within(10, 3600, SECONDS, "max_wait")),
    Setting("wave_timeout", "wave_timeout_seconds", int,
            _within(5, 600, SECONDS, "wave_timeout")),
    Setting("accept_mode", "accept_mode", str, _one_of(ACCEPT_MODES, "accept_mode")),
    Setting("language", "language", str, _longest(16, "language")),
    Setting("greeting", "greeting", str, _longest(2000, "greeting")),
    Setting("hold_message", "hold_message", str, _longest(2000, "hold_message")),
    Setting("hours", "hours_text", str, _longest(2000, "hours")),
    Setting("emergency_line", "emergency_line", str, _emergency),
    Setting("max_holding", "max_holding", int,
            _within(1, 1000, N_("%(key)s must be %(low)s to %(high)s callers"),
                    "max_holding")),
    Setting("max_calls_per_caller", "max_calls_per_caller", int,
            _within(1, 10, N_("%(key)s must be %(low)s to %(high)s"), "max_calls_per_caller")),
    Setting("reject_withheld", "reject_withheld", bool, lambda value: None),
    # Trainee listen-in (product.md "Matching, chapters, trainees").
    Setting("listen_in", "listen_in", bool, lambda value: None),
    # After the call (product.md): alerts, call-backs, reminders.
    Setting("alert_unclaimed_minutes", "alert_unclaimed_minutes", int,
            _within(5, 1440, N_("%(key)s must be %(low)s to %(high)s minutes"),
                    "alert_unclaimed_minutes")),
    Setting("callback_delays_minutes", "callback_delays_minutes", list, _minutes_list),
    Setting("callback_hours", "callback_hours", str, _hours),
    Setting("reminder_hours", "reminder_hours", list, _hours_list),
    Setting("callback_greeting", "callback_greeting", str,
            _longest(500, "callback_greeting")),
    # Matching (product.md "Matching, chapters, trainees"; hotline.roster.matching).
    Setting("languages", "languages", list, languages_problem),
    Setting("experiences", "experiences", list, experiences_problem),
    Setting("match_wait", "match_wait_seconds", int, _within(5, 600, SECONDS, "match_wait")),
)

# file key: (type, Chapter column)
CHAPTER_SETTINGS: Mapping[str, tuple[type, str]] = {s.key: (s.kind, s.column) for s in SETTINGS}
SETTING_COLUMNS = tuple(s.column for s in SETTINGS)


def setting_problems(settings: Mapping[str, SettingValue]) -> list[tuple[str, Refusal]]:
    """(file key, reason) for each value refused; `settings` by column name."""
    return [(s.key, reason) for s in SETTINGS
            if s.column in settings and (reason := s.check(settings[s.column])) is not None]
