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
from hotline.roster.matching import experiences_problem, languages_problem

SettingValue = str | int | bool | list[int] | list[str] | list[dict[str, str]]

RING_STRATEGIES = ("all", "sequential")
ACCEPT_MODES = ("press1", "answer")
HOURS = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]")


@dataclass(frozen=True)
class Setting:
    key: str                                    # in the rota file
    column: str                                 # on the Chapter row
    kind: type                                  # str, int, bool or list (of whole numbers)
    check: Callable[[SettingValue], str | None]  # why a value is refused, or None


def _within(low: int, high: int, reason: str) -> Callable[[SettingValue], str | None]:
    return lambda value: None if isinstance(value, int) and low <= value <= high else reason


def _one_of(choices: tuple[str, ...], key: str) -> Callable[[SettingValue], str | None]:
    return lambda value: (None if value in choices
                          else f"{key} must be one of {', '.join(choices)}")


def _longest(limit: int, key: str) -> Callable[[SettingValue], str | None]:
    return lambda value: (None if isinstance(value, str) and len(value) <= limit
                          else f"{key} is longer than {limit} characters")


def _minutes_list(value: SettingValue) -> str | None:
    if (not isinstance(value, list) or not 1 <= len(value) <= 10
            or not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 10080
                       for v in value)
            or value != sorted(set(cast(list[int], value)))):
        return ("callback_delays_minutes must list 1 to 10 delays in minutes after the "
                "request, rising, each 1 to 10080 (like [5, 30, 120])")
    return None


def _hours_list(value: SettingValue) -> str | None:
    if (not isinstance(value, list) or len(value) > 5
            or not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 168
                       for v in value)
            or len(set(value)) != len(value)):
        return ("reminder_hours must list up to 5 different hours before a shift, each 1 "
                "to 168 (like [24, 2]; [] for no reminders)")
    return None


def _hours(value: SettingValue) -> str | None:
    if isinstance(value, str) and HOURS.fullmatch(value):
        return None
    return ("callback_hours must be HH:MM-HH:MM in the chapter's time (like 09:00-20:00; "
            "the same time twice means all day)")


def _emergency(value: SettingValue) -> str | None:
    if value == "" or (isinstance(value, str) and is_phone(value)):
        return None
    return "emergency_line must be E.164 (like +18002738255) or empty"


SETTINGS: tuple[Setting, ...] = (
    Setting("ring_strategy", "ring_strategy", str, _one_of(RING_STRATEGIES, "ring_strategy")),
    Setting("ring_timeout", "ring_timeout_seconds", int,
            _within(5, 120, "ring_timeout must be 5 to 120 seconds")),
    Setting("max_wait", "max_wait_seconds", int,
            _within(10, 3600, "max_wait must be 10 to 3600 seconds")),
    Setting("wave_timeout", "wave_timeout_seconds", int,
            _within(5, 600, "wave_timeout must be 5 to 600 seconds")),
    Setting("accept_mode", "accept_mode", str, _one_of(ACCEPT_MODES, "accept_mode")),
    Setting("language", "language", str, _longest(16, "language")),
    Setting("greeting", "greeting", str, _longest(2000, "greeting")),
    Setting("hold_message", "hold_message", str, _longest(2000, "hold_message")),
    Setting("hours", "hours_text", str, _longest(2000, "hours")),
    Setting("emergency_line", "emergency_line", str, _emergency),
    Setting("max_holding", "max_holding", int,
            _within(1, 1000, "max_holding must be 1 to 1000 callers")),
    Setting("max_calls_per_caller", "max_calls_per_caller", int,
            _within(1, 10, "max_calls_per_caller must be 1 to 10")),
    Setting("reject_withheld", "reject_withheld", bool, lambda value: None),
    # After the call (product.md): alerts, call-backs, reminders.
    Setting("alert_unclaimed_minutes", "alert_unclaimed_minutes", int,
            _within(5, 1440, "alert_unclaimed_minutes must be 5 to 1440 minutes")),
    Setting("callback_delays_minutes", "callback_delays_minutes", list, _minutes_list),
    Setting("callback_hours", "callback_hours", str, _hours),
    Setting("reminder_hours", "reminder_hours", list, _hours_list),
    Setting("callback_greeting", "callback_greeting", str,
            _longest(500, "callback_greeting")),
    # Matching (product.md "Matching, chapters, trainees"; hotline.roster.matching).
    Setting("languages", "languages", list, languages_problem),
    Setting("experiences", "experiences", list, experiences_problem),
    Setting("match_wait", "match_wait_seconds", int,
            _within(5, 600, "match_wait must be 5 to 600 seconds")),
)

# file key: (type, Chapter column)
CHAPTER_SETTINGS: Mapping[str, tuple[type, str]] = {s.key: (s.kind, s.column) for s in SETTINGS}
SETTING_COLUMNS = tuple(s.column for s in SETTINGS)


def setting_problems(settings: Mapping[str, SettingValue]) -> list[tuple[str, str]]:
    """(file key, reason) for each value refused; `settings` by column name."""
    return [(s.key, reason) for s in SETTINGS
            if s.column in settings and (reason := s.check(settings[s.column])) is not None]
