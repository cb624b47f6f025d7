"""Refusals the domain raises, worded so the web app can show them in the reader's language.

Domain code has no Flask: it marks a message with `N_` (a no-op that `pybabel extract` finds,
as gettext's convention) and raises a `Refusal` with the message and its `%(name)s` values;
the web app translates the message and fills the values in. The CLI prints `str(refusal)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark, do not translate yet"
    return message


class Refusal(ValueError):
    """A change refused, with a reason the person can act on.

    A value may itself be a Refusal (a phone number's problem inside "phone ... is not
    E.164"): it is translated too. `parts` holds the reasons of a refusal made of several
    (`all_of`), each translated on its own.
    """

    def __init__(self, message: str, **values: object) -> None:
        super().__init__(message % values if values else message)
        self.message, self.values = message, values
        self.parts: tuple[Refusal, ...] = ()

    @classmethod
    def all_of(cls, parts: Sequence[Refusal]) -> Self:
        """One refusal giving every reason in `parts` ("; " between them)."""
        joined = cls("; ".join(str(part) for part in parts))
        joined.parts = tuple(parts)
        return joined
