"""The line: the callers waiting in a chapter, and the one dispatch that serves them.

Every event that can change whose phone should ring for whom runs `serve` for the chapters
it concerns, inside the event's own transaction: a caller arrives (the DISPATCH_CALLS job),
an offer or a call ends (status callbacks), a hold-music request (Twilio's clock, and the
safety sweep). `serve` locks those chapters (PostgreSQL: a transaction-scoped advisory
lock per chapter, taken in id order before any row; SQLite's write lock already
serialises), reads the waiting callers and the volunteers on their plans, asks
hotline.calls.dispatch what to do, and records it: each offer as a leg (intent) whose
RING_LEG job is sent when the transaction commits. The job is safe to run twice.

On the way it sweeps what a lost job or callback left behind (hotline.logs.stale): an offer
never dialled is queued again, a dial that never reached the network is closed as failed,
a leg that stopped reporting is closed, so a caller waits one hold cycle at most for it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from hotline import jobs
from hotline.callbacks.requests import attempt_ended
from hotline.calls.dispatch import Dispatch, Tried, Volunteer, Waiting, dispatch
from hotline.calls.planning import (
    match_ranks,
    plan_from_json,
    plan_to_json,
    plan_with_overflow,
    traits_of,
)
from hotline.logs import lifecycle, queries, records, stale
from hotline.logs.models import (
    AttemptResult,
    Call,
    CallKind,
    CallLeg,
    LegOutcome,
    LegStatus,
    Phase,
    Screen,
)
from hotline.roster.matching import has_menus
from hotline.roster.models import Chapter
from hotline.roster.models import Volunteer as VolunteerRow
from hotline.roster.oncall import Wave
from hotline.runtime import Runtime

log = logging.getLogger(__name__)

# pg_advisory_xact_lock(LOCK_SPACE, chapter_id): hotline's dispatch locks, one per chapter.
LOCK_SPACE = 7337
# An offer whose RING_LEG job has not dialled it by now is queued again (the job was lost).
RING_JOB_GRACE = timedelta(seconds=3)
# After its ring timeout a leg reports within seconds, or within ~15 s if it picked up
# (prompt, screen timeout). Past this margin its callbacks were lost: stop waiting.
OVERDUE_MARGIN = timedelta(seconds=45)
# A caller at a chapter's menus is offered to nobody until they choose, or for this long
# (their choice was lost): then they are served as if they had pressed nothing.
MENU_GRACE = timedelta(seconds=60)

_TRIED = {
    LegOutcome.DECLINED: "declined",
    LegOutcome.FAILED: "failed",
    LegOutcome.BUSY: "busy",
    LegOutcome.NO_ANSWER: "no_answer",
    # Stopped by us while the caller still waited (closed as overdue): not their choice.
    LegOutcome.CANCELED: "no_answer",
    # Accepted and never bridged is recorded as failed; answered legs end no waiting.
    LegOutcome.ANSWERED: "failed",
}


def lock_chapters(session: Session, chapter_ids: Iterable[int], *, wait: bool = True) -> bool:
    """Take the chapters' dispatch locks (held to the end of the transaction); with `wait`
    False, False at once if another transaction holds one."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    statement = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
    for chapter_id in sorted(set(chapter_ids)):
        got = session.scalar(text(f"SELECT {statement}(:space, :key)"),
                             {"space": LOCK_SPACE, "key": chapter_id})
        if not wait and not got:
            return False
    return True


def chapters_around(
    session: Session, chapter_id: int | None, volunteer_ids: Iterable[int] = ()
) -> list[int]:
    """The event's chapter, and every chapter with a caller waiting whose plan includes one
    of these volunteers (a volunteer may be on call for several)."""
    found = {chapter_id} if chapter_id is not None else set()
    wanted = set(volunteer_ids)
    if wanted:
        for other, plan in queries.holding_chapters(session):
            if other not in found and any(int(v["id"]) in wanted for tier in plan
                                          for v in tier["volunteers"]):
                found.add(other)
    return sorted(found)


def plan_call(session: Session, runtime: Runtime, call: Call) -> bool:
    """Make and store the call's plan once (who was on call when it arrived); False if
    nobody was, in which case the caller is moved on to hear the chapter's hours."""
    if call.planned_at is not None:
        return bool(call.plan)
    if call.chapter_id is None:
        raise LookupError(f"call {call.id} has no chapter")
    now = runtime.clock()
    waves = _not_their_own(runtime, call,
                           plan_with_overflow(session, call.chapter_id, call.started_at))
    chapter = session.get(Chapter, call.chapter_id)
    matching = chapter is not None and has_menus(chapter.language, chapter.languages,
                                                 chapter.experiences)
    call.plan = plan_to_json(waves, traits_of(session, waves) if matching else None)
    call.planned_at = now
    call.tier_since = call.started_at
    call.position_at_arrival = queries.waiting_at_arrival(session, call)
    session.flush()
    if waves:
        return True
    log.warning("call %s: nobody on the rota", call.call_sid)
    lifecycle.nobody_on_call(session, call, now)
    return False


def _not_their_own(runtime: Runtime, call: Call, waves: Sequence[Wave]) -> tuple[Wave, ...]:
    """The plan without the caller's own phone (a volunteer calling the line for support)."""
    if not call.caller_hash:
        return tuple(waves)
    kept = (Wave(wave.tier, tuple(v for v in wave.volunteers
                                  if not v.phone or runtime.privacy.digest(v.phone)
                                  != call.caller_hash), wave.chapter)
            for wave in waves)
    return tuple(wave for wave in kept if wave.volunteers)


def serve(
    session: Session, runtime: Runtime, chapter_ids: Sequence[int], *, wait: bool = True
) -> Dispatch | None:
    """Run the dispatch for these chapters and record what it decides; None if `wait` is
    False and another transaction is dispatching one of them right now."""
    if not lock_chapters(session, chapter_ids, wait=wait):
        return None
    now = runtime.clock()
    calls = queries.waiting_calls(session, chapter_ids)
    if not calls:
        return Dispatch()
    legs = queries.legs_of(session, [call.id for call in calls])
    _sweep(session, runtime, calls, legs, now)
    chapters = {c.id: c for c in session.scalars(
        select(Chapter).where(Chapter.id.in_({call.chapter_id for call in calls})))}
    waiting = [_matching(_waiting(call, chapters[call.chapter_id or 0], legs), call,
                         chapters[call.chapter_id or 0], now)
               for call in calls if call.phase is Phase.HOLDING]
    people = _volunteers(session, {v for w in waiting for tier in w.tiers for v in tier}, now)
    decided = dispatch(waiting, people, now)
    _record(session, runtime, {call.id: call for call in calls}, decided, now)
    return decided


def stop_offers(session: Session, call: Call, keep_leg_id: int = 0) -> None:
    """Stop every phone still ringing for this caller (but `keep_leg_id`), by a job."""
    if any(not leg.status.ended and leg.id != keep_leg_id for leg in call.legs):
        jobs.enqueue(session, jobs.STOP_LEGS, call.id, keep_leg_id,
                     key=f"stop-legs-{call.id}-{keep_leg_id}")


def _waiting(call: Call, chapter: Chapter, legs: Sequence[CallLeg]) -> Waiting:
    mine = [(leg.volunteer_id, leg) for leg in legs
            if leg.call_id == call.id and leg.volunteer_id is not None]
    ringing = frozenset(volunteer for volunteer, leg in mine if not leg.status.ended)
    tried = tuple(
        Tried(volunteer, _TRIED[leg.outcome], leg.ended_at or leg.created_at)
        for volunteer, leg in mine if leg.status.ended and leg.outcome is not None
    )
    return Waiting(
        call_id=call.id, arrived_at=call.started_at,
        tiers=tuple(tuple(v.id for v in wave.volunteers) for wave in plan_from_json(call.plan)),
        tier_index=call.tier_index, tier_since=call.tier_since or call.started_at,
        ringing=ringing, tried=tried, sequential=chapter.ring_strategy == "sequential",
        wave_timeout=timedelta(seconds=chapter.wave_timeout_seconds),
        deferred=call.kind is not CallKind.INBOUND,
    )


def _matching(waiting: Waiting, call: Call, chapter: Chapter, now: datetime) -> Waiting:
    """What the caller asked at the chapter's menus, for the dispatch: still choosing, or
    who fits them best and until when they wait for a fit. A call-back's attempt carries
    its caller's choice, and waits for a fit from when it opened."""
    if call.kind is CallKind.VOLUNTEER or not has_menus(
            chapter.language, chapter.languages, chapter.experiences):
        return waiting
    since = call.chosen_at
    if call.kind is not CallKind.INBOUND:
        since = call.started_at
    elif since is None:
        return replace(waiting, choosing=now - call.started_at < MENU_GRACE)
    ranks = match_ranks(call.plan, call.language, call.experience, chapter.language)
    return replace(waiting, rank=ranks,
                   match_until=since + timedelta(seconds=chapter.match_wait_seconds))


def _volunteers(session: Session, ids: set[int], now: datetime) -> dict[int, Volunteer]:
    """Each volunteer's state now; an engaged leg whose callbacks were lost is closed first."""
    busy: set[int] = set()
    talking: set[int] = set()
    for leg in queries.engaged_legs(session, ids):
        if stale.is_stale(leg, leg.call, now):
            log.warning("leg %s: its end was never reported; freeing its volunteer", leg.id)
            lifecycle.move_leg(session, leg, stale.closing_status(leg),
                               stale.known_end(leg, leg.call) or now)
        elif leg.volunteer_id is not None:
            busy.add(leg.volunteer_id)
            if leg.call.answered_leg_id == leg.id:
                talking.add(leg.volunteer_id)
    active = dict(session.execute(select(VolunteerRow.id, VolunteerRow.active)
                                  .where(VolunteerRow.id.in_(ids))).all())
    offered = queries.last_offered(session, ids)
    return {
        vid: Volunteer(vid, free=bool(active.get(vid)) and vid not in busy,
                       active=bool(active.get(vid)), last_offered=offered.get(vid),
                       talking=vid in talking)
        for vid in ids
    }


def _record(
    session: Session, runtime: Runtime, calls: dict[int, Call], decided: Dispatch,
    now: datetime,
) -> None:
    for call_id, tier_index in decided.tiers.items():
        lifecycle.reach_tier(session, calls[call_id], tier_index, now)
    for call_id in decided.spent:
        call = calls[call_id]
        if not lifecycle.leave_queue(session, call, now):
            continue
        if call.kind is CallKind.INBOUND:
            log.info("call %s: every volunteer on the plan has declined or is away",
                     call.call_sid)
        else:
            log.info("follow-up %s: no volunteer on call took it", call.followup_id)
            attempt_ended(session, call, AttemptResult.VOLUNTEER_UNAVAILABLE, now)
    names = {int(v["id"]): str(v["name"]) for call in calls.values()
             for tier in call.plan for v in tier["volunteers"]}
    for offer in decided.offers:
        call = calls[offer.call_id]
        leg = records.offer(session, call, offer.volunteer_id, names[offer.volunteer_id], now)
        if leg is None:
            continue           # another chapter's dispatch offered them a caller meanwhile
        session.flush()
        jobs.enqueue(session, jobs.RING_LEG, leg.id, key=f"ring-leg-{leg.id}")


def _sweep(
    session: Session, runtime: Runtime, calls: Sequence[Call], legs: Sequence[CallLeg],
    now: datetime,
) -> None:
    """Requeue offers whose ring job was lost; close legs whose dial or callbacks were lost."""
    ring_timeouts = dict(session.execute(
        select(Chapter.id, Chapter.ring_timeout_seconds)
        .where(Chapter.id.in_({call.chapter_id for call in calls}))).all())
    dial_grace = timedelta(seconds=runtime.settings.twilio.timeout_seconds + 2)
    by_id = {call.id: call for call in calls}
    for leg in legs:
        if leg.status.ended:
            continue
        if leg.status is LegStatus.INTENT and leg.dialled_at is None:
            if now - leg.created_at >= RING_JOB_GRACE:
                jobs.enqueue(session, jobs.RING_LEG, leg.id, key=f"ring-leg-{leg.id}-again")
            continue
        if (leg.status is LegStatus.INTENT and leg.dialled_at is not None
                and now - leg.dialled_at >= dial_grace
                and not queries.heard_from_network(session, leg.call_sid)):
            # The dialler died mid-request, or the network never answered it: as far as we
            # know the phone never rang, so the offer is withdrawn (and may be made again).
            # Should it ring after all, its first callback finds the leg closed and stops it.
            log.warning("leg %s: its dial was never confirmed; withdrawing it", leg.id)
            lifecycle.withdraw(session, leg, now)
            continue
        ring = timedelta(seconds=ring_timeouts.get(by_id[leg.call_id].chapter_id or 0, 30))
        if leg.screen is not Screen.ACCEPTED and now - leg.created_at > ring + OVERDUE_MARGIN:
            log.warning("leg %s: never reported its end; closing it", leg.id)
            lifecycle.stop_requested(session, leg, now)
            lifecycle.move_leg(session, leg, stale.closing_status(leg), now)
