"""The one dispatch rule: whose phone rings for which waiting caller, and who moves on.

Pure: values in, decisions out; no database, no clock (the instant is a parameter). Every
event on the line (a caller arrives, an offer ends, a call ends, a hold-music request)
runs it over the callers waiting in the chapters concerned (hotline.calls.line).

- A caller's plan is the rota's tiers at their arrival. They reach tier 1 at once, and the
  next tier when nobody of the tiers reached is left to offer them to, or the ones left are
  all talking with other callers (a conversation on a hotline lasts many minutes), or the
  ones left are ringing for other callers (they may be free in moments) and have been for
  the chapter's wave timeout. Volunteers of earlier tiers stay eligible after a caller
  moves on.
- Free volunteers are handed out least recently offered first. Each goes to the caller
  who has the fewest phones ringing for them, the longest-waiting first among equals, among
  those whose reached tiers include the volunteer, who have not been offered to this
  volunteer before, and who are below their wave size (one phone at a time for a chapter
  that rings in sequence; every free phone for one that rings all). A lone caller thus
  rings every free phone of a ring-all tier; ten callers and six free phones ring six
  callers, one phone each, instead of six phones for the first caller while nine wait.
- Once a caller has reached the last tier, nothing rings for them and no fresh volunteer
  is free for them, one whose phone rang out on them (no answer) may be offered them
  again: people step away from their phones for a minute. One who declined, whose line
  failed, or who took them and dropped, is not; one whose phone was busy is, after
  BUSY_AGAIN.
- A call-back or check-in of ours (`deferred`) waits behind every caller on the line: a
  free volunteer goes to it only if no caller holding could have them. It rings one
  phone at a time, and never the same volunteer twice: whoever it reached once, answered
  or not, is done with it, so it is spent as soon as nobody untried is left.
- A caller who asked for a language or a shared experience (hotline.roster.matching) is
  offered to the volunteers of the tiers reached who fit them best first: one who fits less
  well is held back while a better fit could still take them (ringing for them, or not yet
  offered them, even if talking with someone else), until the caller has waited
  `match_until`; then anyone reached may ring. A caller still choosing at the chapter's
  menus is offered to nobody yet.
- A caller is done waiting (`spent`) when every volunteer of every tier has declined or
  failed them, or is away, and none could still be offered or is busy with someone else:
  there is nobody left to free up, so voicemail is offered now rather than at the
  chapter's maximum wait (which the hold-music requests enforce).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from hotline.roster.fairness import offer_order

# A phone that gave a busy signal is not rung for the same caller again sooner than this.
BUSY_AGAIN = timedelta(seconds=30)


@dataclass(frozen=True)
class Tried:
    """How one earlier offer of a caller to a volunteer ended."""

    volunteer_id: int
    ended: str          # "no_answer", "busy", "declined", "failed" (final for this caller)
    at: datetime


@dataclass(frozen=True)
class Waiting:
    """A caller in the queue, as dispatch sees them."""

    call_id: int
    arrived_at: datetime
    tiers: tuple[tuple[int, ...], ...]        # volunteer ids, tier 1 first
    tier_index: int                           # tiers reached so far: tiers[:tier_index + 1]
    tier_since: datetime
    ringing: frozenset[int] = frozenset()     # volunteers whose phones ring for them now
    tried: tuple[Tried, ...] = ()
    sequential: bool = False
    wave_timeout: timedelta = timedelta(seconds=30)
    deferred: bool = False                    # an attempt of ours: after every caller
    # Matching: each volunteer's fit (hotline.roster.matching.match_rank; absent: 0), held
    # to until `match_until`; a caller still `choosing` at the menus is not offered yet.
    rank: Mapping[int, int] = field(default_factory=dict)
    match_until: datetime | None = None
    choosing: bool = False

    def reached(self, tier_index: int | None = None) -> tuple[int, ...]:
        """Volunteers of the tiers reached (in tier order, each once)."""
        last = self.tier_index if tier_index is None else tier_index
        seen: dict[int, None] = {}
        for tier in self.tiers[:last + 1]:
            seen.update(dict.fromkeys(tier))
        return tuple(seen)

    @property
    def wave_size(self) -> int:
        return 1 if self.sequential or self.deferred else len(self.reached()) or 1


@dataclass(frozen=True)
class Volunteer:
    """A volunteer on some waiting caller's plan, right now."""

    id: int
    free: bool                        # active, and not ringing or talking for anyone
    active: bool = True               # False: away (deactivated since the plan was made)
    last_offered: datetime | None = None
    talking: bool = False             # with a caller now (not merely ringing for one)


@dataclass(frozen=True)
class Offer:
    call_id: int
    volunteer_id: int
    again: bool = False               # a volunteer offered this caller before (rang out)


@dataclass(frozen=True)
class Dispatch:
    """What to do now: new offers, callers moved down their plan, callers to move on."""

    offers: tuple[Offer, ...] = ()
    tiers: Mapping[int, int] = field(default_factory=dict)    # call id -> new tier_index
    spent: tuple[int, ...] = ()


def ring_order(volunteers: Iterable[Volunteer]) -> list[Volunteer]:
    """Least recently offered first: the order `hotline oncall` prints for every tier."""
    return sorted(volunteers, key=lambda v: offer_order(v.id, v.last_offered))


def dispatch(
    waiting: Sequence[Waiting], volunteers: Mapping[int, Volunteer], now: datetime
) -> Dispatch:
    """The offers, tier moves and spent callers for this instant."""
    callers = sorted(waiting, key=lambda w: (w.arrived_at, w.call_id))
    tiers: dict[int, int] = {}
    reached: dict[int, Waiting] = {}
    spent: list[int] = []
    for caller in callers:
        if caller.choosing:
            continue
        moved = _reach(caller, volunteers, now)
        if moved.tier_index != caller.tier_index:
            tiers[caller.call_id] = moved.tier_index
        if _spent(moved, volunteers, now):
            spent.append(caller.call_id)
        else:
            reached[caller.call_id] = moved
    offers = _offer(list(reached.values()), volunteers, now)
    return Dispatch(tuple(offers), tiers, tuple(spent))


def _final(caller: Waiting) -> set[int]:
    """Volunteers who may never be offered this caller again."""
    if caller.deferred:
        return {t.volunteer_id for t in caller.tried}
    return {t.volunteer_id for t in caller.tried if t.ended in ("declined", "failed")}


def _fresh(caller: Waiting, volunteer_id: int) -> bool:
    return all(t.volunteer_id != volunteer_id for t in caller.tried)


def _again(caller: Waiting, volunteer_id: int, now: datetime) -> bool:
    """Offered before, rang out (or was busy long enough ago), never said no."""
    mine = [t for t in caller.tried if t.volunteer_id == volunteer_id]
    if caller.deferred or not mine or any(t.ended in ("declined", "failed") for t in mine):
        return False
    last = max(mine, key=lambda t: t.at)
    return last.ended != "busy" or now - last.at >= BUSY_AGAIN


def _reach(caller: Waiting, volunteers: Mapping[int, Volunteer], now: datetime) -> Waiting:
    """The caller moved as far down the plan as the rule allows right now."""
    while caller.tier_index + 1 < len(caller.tiers) and not caller.ringing:
        untried = [person for v in caller.reached() if _fresh(caller, v)
                   and (person := volunteers.get(v)) is not None and person.active]
        if any(person.free for person in untried):
            break
        ringing = [person for person in untried if not person.talking]
        if ringing and now - caller.tier_since < caller.wave_timeout:
            break                   # they may be free in moments: wait, within reason
        caller = replace(caller, tier_index=caller.tier_index + 1, tier_since=now)
    return caller


def _spent(caller: Waiting, volunteers: Mapping[int, Volunteer], now: datetime) -> bool:
    """Nobody on the whole plan can still take this caller, now or later."""
    if caller.ringing or caller.tier_index + 1 < len(caller.tiers):
        return False
    final = _final(caller)
    for volunteer_id in caller.reached():
        person = volunteers.get(volunteer_id)
        if person is None or not person.active or volunteer_id in final:
            continue
        return False       # free (fresh, or may be offered again) or busy: could take them
    return True


def _offer(
    callers: list[Waiting], volunteers: Mapping[int, Volunteer], now: datetime
) -> list[Offer]:
    ringing = {c.call_id: len(c.ringing) for c in callers}
    offered: dict[int, set[int]] = {c.call_id: set() for c in callers}
    offers: list[Offer] = []
    free = [v for v in ring_order(volunteers.values()) if v.free and v.active]
    # Fresh offers first. A volunteer offered a caller before only rings for them again
    # when nothing else can happen for that caller: nothing ringing, no fresh offer made.
    # Attempts of ours last: only volunteers no caller on the line could have.
    for again, deferred in ((False, False), (True, False), (False, True)):
        idle = {c.call_id for c in callers if ringing[c.call_id] == 0}
        for volunteer in free:
            if any(o.volunteer_id == volunteer.id for o in offers):
                continue
            best: Waiting | None = None
            for caller in callers:
                if caller.deferred is not deferred or (again and caller.call_id not in idle):
                    continue
                if not _eligible(caller, volunteer.id, again, offered, ringing, now):
                    continue
                if held_for_match(caller, volunteer.id, volunteers, now):
                    continue
                if best is None or ringing[caller.call_id] < ringing[best.call_id]:
                    best = caller       # callers are in arrival order: ties keep the first
            if best is not None:
                offers.append(Offer(best.call_id, volunteer.id, again))
                ringing[best.call_id] += 1
                offered[best.call_id].add(volunteer.id)
    return offers


def _eligible(
    caller: Waiting, volunteer_id: int, again: bool, offered: Mapping[int, set[int]],
    ringing: Mapping[int, int], now: datetime,
) -> bool:
    if volunteer_id not in caller.reached() or volunteer_id in caller.ringing:
        return False
    if volunteer_id in offered[caller.call_id] or ringing[caller.call_id] >= caller.wave_size:
        return False
    if not again:
        return _fresh(caller, volunteer_id)
    return caller.tier_index + 1 >= len(caller.tiers) and _again(caller, volunteer_id, now)


def held_for_match(
    caller: Waiting, volunteer_id: int, volunteers: Mapping[int, Volunteer], now: datetime
) -> bool:
    """True while someone of the tiers reached who fits the caller better than this
    volunteer could still take them (ringing for them now, or never offered them), and the
    caller has not yet waited `match_until`."""
    if caller.match_until is None or now >= caller.match_until:
        return False
    mine = caller.rank.get(volunteer_id, 0)
    final = _final(caller)
    return any(
        caller.rank.get(other, 0) > mine and other not in final
        and (person := volunteers.get(other)) is not None and person.active
        and (other in caller.ringing or _fresh(caller, other))
        for other in caller.reached())
