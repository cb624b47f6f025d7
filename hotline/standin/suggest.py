"""Did-you-mean hints for the stand-in's refusals (a misspelt parameter or attribute)."""

from __future__ import annotations

import difflib


def did_you_mean(word: str, choices: frozenset[str]) -> str:
    """' (did you mean 'X'?)' for the closest choice (case first), or '' if none is close."""
    lowered = {choice.lower(): choice for choice in choices}
    if word.lower() in lowered:
        return f" (did you mean '{lowered[word.lower()]}'?)"
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
