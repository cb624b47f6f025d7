"""`hotline rota override|unavailable|swap|ical`: dated changes and calendar feeds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.audit.log import Actor, record
from hotline.cli import Context, database_errors, fail, pass_context
from hotline.cli.rota import chapters_named, iso_utc, parse_instant, rota
from hotline.reminders.swaps import pages_url, swap_decided, swap_offered, swap_taken
from hotline.roster import models
from hotline.roster.changes import (
    RotaChangeError,
    add_override,
    add_unavailability,
    approve_swap,
    chapters_of,
    decline_swap,
    offer_swap,
    take_swap,
    volunteer_by_phone,
)
from hotline.roster.edits import override_summary, swap_summary
from hotline.roster.feeds import chapter_ical, create_feed, revoke_feed, volunteer_ical
from hotline.roster.localtime import as_utc
from hotline.roster.rules import OverrideKind, Tier


@rota.command("override")
@click.argument("chapter")
@click.argument("kind", type=click.Choice([k.value for k in OverrideKind]))
@click.argument("phone")
@click.option("--start", required=True, help="ISO-8601; no offset: the chapter's time")
@click.option("--end", required=True, help="ISO-8601; no offset: the chapter's time")
@click.option("--tier", type=click.IntRange(1, 3), help="for add: the tier to join")
@click.option("--with", "replacement", help="for replace: the stand-in's phone")
@click.option("--reason", default="")
@pass_context
@database_errors
def rota_override(
    ctx: Context,
    chapter: str,
    kind: str,
    phone: str,
    start: str,
    end: str,
    tier: int | None,
    replacement: str | None,
    reason: str,
) -> None:
    """Add, remove or replace a volunteer in CHAPTER from --start to --end."""
    runtime = ctx.runtime()
    try:
        with runtime.transaction() as session:
            (row,) = chapters_named(session, chapter)
            zone = ZoneInfo(row.timezone)
            override = add_override(
                session,
                row,
                OverrideKind(kind),
                volunteer_by_phone(session, phone),
                parse_instant(start, zone, "--start"),
                parse_instant(end, zone, "--end"),
                now=runtime.clock(),
                tier=Tier(tier) if tier else None,
                replacement=volunteer_by_phone(session, replacement) if replacement else None,
                reason=reason,
            )
            record(session, Actor.cli(), "override.add", now=runtime.clock(),
                   chapter_id=row.id, subject=f"override {override.id}",
                   after=override_summary(override))
            click.echo(
                f"override {override.id}: {kind} {phone} in {chapter} "
                f"{iso_utc(override.start)} to {iso_utc(override.end)}"
            )
    except RotaChangeError as exc:
        fail(str(exc), 1)


@rota.command("unavailable")
@click.argument("phone")
@click.option("--start", required=True, help="ISO-8601; no offset: in app.timezone")
@click.option("--end", required=True, help="ISO-8601; no offset: in app.timezone")
@click.option("--reason", default="")
@pass_context
@database_errors
def rota_unavailable(ctx: Context, phone: str, start: str, end: str, reason: str) -> None:
    """Mark a volunteer off call in every chapter from --start to --end (holiday, illness)."""
    runtime = ctx.runtime()
    zone = ZoneInfo(runtime.settings.app.timezone)     # a volunteer may serve several chapters
    try:
        with runtime.transaction() as session:
            row = add_unavailability(
                session,
                volunteer_by_phone(session, phone),
                parse_instant(start, zone, "--start"),
                parse_instant(end, zone, "--end"),
                now=runtime.clock(),
                reason=reason,
            )
            for chapter_id in chapters_of(session, row.volunteer_id):
                record(session, Actor.cli(), "unavailable.add", now=runtime.clock(),
                       chapter_id=chapter_id, subject=phone,
                       after={"id": row.id, "volunteer_id": row.volunteer_id,
                              "start": row.start, "end": row.end, "reason": row.reason})
            click.echo(f"unavailable {row.id}: {phone} {iso_utc(row.start)} to {iso_utc(row.end)}")
    except RotaChangeError as exc:
        fail(str(exc), 1)


def audit_swap(session: Session, action: str, row: models.SwapRequest, now: datetime) -> None:
    """One audit entry for a swap's step, in the swap's chapter."""
    record(session, Actor.cli(), action, now=now, chapter_id=row.chapter_id,
           subject=f"swap {row.id}", after=swap_summary(row))


@rota.group("swap")
def swap() -> None:
    """Swap requests: a volunteer offers time, another takes it, a coordinator approves."""


@swap.command("offer")
@click.argument("chapter")
@click.argument("phone")
@click.option("--start", required=True, help="ISO-8601; no offset: the chapter's time")
@click.option("--end", required=True, help="ISO-8601; no offset: the chapter's time")
@click.option("--note", default="")
@pass_context
@database_errors
def swap_offer(ctx: Context, chapter: str, phone: str, start: str, end: str, note: str) -> None:
    """PHONE offers their on-call time in CHAPTER from --start to --end; the volunteers who
    could take it are texted."""
    runtime = ctx.workers_runtime()
    try:
        with runtime.transaction() as session:
            (row,) = chapters_named(session, chapter)
            zone = ZoneInfo(row.timezone)
            offer = offer_swap(
                session,
                row,
                volunteer_by_phone(session, phone),
                parse_instant(start, zone, "--start"),
                parse_instant(end, zone, "--end"),
                now=runtime.clock(),
                note=note,
            )
            audit_swap(session, "swap.offer", offer, runtime.clock())
            told = swap_offered(session, offer, pages_url(runtime.settings), runtime.clock())
            click.echo(f"swap {offer.id} offered; {told} volunteers texted")
    except RotaChangeError as exc:
        fail(str(exc), 1)


def _swap_step(ctx: Context, action: str, step: Callable[[Session, datetime], Any],
               said: Callable[[Any], str]) -> None:
    """Run one step of a swap in a transaction, audit it, and say what happened."""
    runtime = ctx.workers_runtime()
    try:
        with runtime.transaction() as session:
            row = step(session, runtime.clock())
            audit_swap(session, action, row, runtime.clock())
            click.echo(said(row))
    except RotaChangeError as exc:
        fail(str(exc), 1)


@swap.command("take")
@click.argument("swap_id", type=int)
@click.argument("phone")
@pass_context
@database_errors
def swap_take(ctx: Context, swap_id: int, phone: str) -> None:
    """PHONE takes swap SWAP_ID; it then waits for approval."""
    def step(s: Session, now: datetime) -> models.SwapRequest:
        row = take_swap(s, swap_id, volunteer_by_phone(s, phone), now=now)
        swap_taken(s, row, now)
        return row

    _swap_step(ctx, "swap.take", step,
               lambda _: f"swap {swap_id} taken; waiting for a coordinator to approve")


@swap.command("approve")
@click.argument("swap_id", type=int)
@pass_context
@database_errors
def swap_approve(ctx: Context, swap_id: int) -> None:
    """Approve a taken swap: the taker replaces the offerer for its interval."""
    _swap_step(ctx, "swap.approve", lambda s, now: _decided(s, approve_swap(s, swap_id, now=now),
                                                            True, now),
               lambda row: f"swap {swap_id} approved (override {row.override_id})")


@swap.command("decline")
@click.argument("swap_id", type=int)
@pass_context
@database_errors
def swap_decline(ctx: Context, swap_id: int) -> None:
    """Decline or withdraw an open swap; the rota stays as it is."""
    _swap_step(ctx, "swap.decline", lambda s, now: _decided(s, decline_swap(s, swap_id, now=now),
                                                            False, now),
               lambda _: f"swap {swap_id} declined")


def _decided(session: Session, row: models.SwapRequest, approved: bool,
             now: datetime) -> models.SwapRequest:
    swap_decided(session, row, approved, now)
    return row


@swap.command("list")
@pass_context
@database_errors
def swap_list(ctx: Context) -> None:
    """Open swap requests (offered or taken)."""
    runtime = ctx.runtime()
    with runtime.transaction() as session:
        rows = session.scalars(
            select(models.SwapRequest)
            .where(models.SwapRequest.status.in_(["offered", "taken"]))
            .order_by(models.SwapRequest.start)
        ).all()
        for row in rows:
            offerer = session.get(models.Volunteer, row.offered_by_id)
            taker = session.get(models.Volunteer, row.taken_by_id) if row.taken_by_id else None
            click.echo(
                f"{row.id}: {row.status} {offerer.name if offerer else '?'} "
                f"{iso_utc(row.start)} to {iso_utc(row.end)}"
                + (f" taken by {taker.name}" if taker else "")
            )
        if not rows:
            click.echo("no open swaps")


@rota.group("ical")
def ical() -> None:
    """Calendar feeds (iCalendar): print them, and make or revoke their secret URLs."""


@ical.command("show")
@click.option("--chapter", help="a chapter's slug")
@click.option("--volunteer", "phone", help="a volunteer's phone")
@click.option("--days", default=56, show_default=True, type=click.IntRange(1, 400))
@pass_context
@database_errors
def ical_show(ctx: Context, chapter: str | None, phone: str | None, days: int) -> None:
    """Print the iCal feed of one chapter or one volunteer from now for --days."""
    from datetime import timedelta

    if (chapter is None) == (phone is None):
        fail("give --chapter or --volunteer")
    runtime = ctx.runtime()
    now = as_utc(runtime.clock())
    end = now + timedelta(days=days)
    try:
        with runtime.transaction() as session:
            if chapter is not None:
                (row,) = chapters_named(session, chapter)
                text = chapter_ical(session, row.id, now, end, now=now)
            else:
                assert phone is not None
                text = volunteer_ical(
                    session, volunteer_by_phone(session, phone).id, now, end, now=now
                )
    except RotaChangeError as exc:
        fail(str(exc), 1)
    click.echo(text, nl=False)


@ical.command("url")
@click.option("--chapter", help="a chapter's slug")
@click.option("--volunteer", "phone", help="a volunteer's phone")
@pass_context
@database_errors
def ical_url(ctx: Context, chapter: str | None, phone: str | None) -> None:
    """Make a secret feed URL for a chapter or volunteer (shown once; revoke by id)."""
    if (chapter is None) == (phone is None):
        fail("give --chapter or --volunteer")
    runtime = ctx.runtime()
    base = runtime.settings.app.public_url.rstrip("/")
    try:
        with runtime.transaction() as session:
            if chapter is not None:
                (row,) = chapters_named(session, chapter)
                feed, token = create_feed(session, now=runtime.clock(), chapter=row)
            else:
                assert phone is not None
                feed, token = create_feed(
                    session, now=runtime.clock(), volunteer=volunteer_by_phone(session, phone)
                )
            record(session, Actor.cli(), "feed.create", now=runtime.clock(),
                   chapter_id=feed.chapter_id, subject=f"feed {feed.id}",
                   after={"id": feed.id, "chapter_id": feed.chapter_id,
                          "volunteer_id": feed.volunteer_id})
            click.echo(f"feed {feed.id}: {base}/calendar/{token}.ics")
    except RotaChangeError as exc:
        fail(str(exc), 1)


@ical.command("revoke")
@click.argument("feed_id", type=int)
@pass_context
@database_errors
def ical_revoke(ctx: Context, feed_id: int) -> None:
    """Stop a feed URL working."""
    runtime = ctx.runtime()
    try:
        with runtime.transaction() as session:
            feed = revoke_feed(session, feed_id, now=runtime.clock())
            record(session, Actor.cli(), "feed.revoke", now=runtime.clock(),
                   chapter_id=feed.chapter_id, subject=f"feed {feed.id}",
                   after={"revoked_at": feed.revoked_at})
    except LookupError as exc:
        fail(str(exc), 1)
    click.echo(f"feed {feed_id} revoked")


@ical.command("list")
@pass_context
@database_errors
def ical_list(ctx: Context) -> None:
    """Every feed URL made, with whose it is and whether it was revoked."""
    runtime = ctx.runtime()
    with runtime.transaction() as session:
        rows = session.scalars(select(models.CalendarFeed).order_by(models.CalendarFeed.id)).all()
        for row in rows:
            kind = "chapter" if row.chapter_id else "volunteer"
            state = f"revoked {iso_utc(row.revoked_at)}" if row.revoked_at else "live"
            click.echo(f"{row.id}: {kind} {row.label} (made {iso_utc(row.created_at)}, {state})")
        if not rows:
            click.echo("no feeds")
