"""How overrides change the regular on-call set, and which overrides clash."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from hotline.roster.rules import Override, OverrideKind, Tier

Assignment = tuple[Tier, int]
"""(tier, volunteer id): one volunteer on call at one tier."""


def apply_overrides(
    regular: Iterable[Assignment], overrides: Iterable[Override]
) -> frozenset[Assignment]:
    """The assignments after applying the given (active) overrides, oldest (created_at, id) first.

    Applying in creation order makes the newest instruction win where two overlap: an add
    created after a remove puts the volunteer back, a remove created after an add takes them off.
    """
    current = set(regular)
    for override in sorted(overrides, key=lambda item: item.order):
        person = override.volunteer_id
        if override.kind is OverrideKind.ADD:
            assert override.tier is not None  # enforced by Override.__post_init__
            current.add((override.tier, person))
            continue
        held = {tier for tier, volunteer in current if volunteer == person}
        current -= {(tier, person) for tier in held}
        if override.kind is OverrideKind.REPLACE:
            assert override.replacement_id is not None
            current |= {(tier, override.replacement_id) for tier in held}
    return frozenset(current)


def overlapping_overrides(overrides: Iterable[Override]) -> tuple[tuple[Override, Override], ...]:
    """Pairs of overrides of the same kind for the same volunteer whose intervals overlap.

    Import uses this to reject a file that says the same thing twice for one person; each pair
    is (earlier start, later start), pairs ordered by the first one's start then id.
    """
    groups: dict[tuple[OverrideKind, int], list[Override]] = defaultdict(list)
    for override in overrides:
        groups[(override.kind, override.volunteer_id)].append(override)
    clashes: list[tuple[Override, Override]] = []
    for group in groups.values():
        group.sort(key=lambda item: (item.start, item.id))
        for index, first in enumerate(group):
            for second in group[index + 1 :]:
                if second.start >= first.end:
                    break
                clashes.append((first, second))
    clashes.sort(key=lambda pair: (pair[0].start, pair[0].id, pair[1].start, pair[1].id))
    return tuple(clashes)
