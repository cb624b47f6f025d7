"""`hotline rota override|unavailable|swap|ical`: dated changes and calendar feeds."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import click
from sqlalchemy import select

from hotline.cli import Context, database_errors, fail, pass_context
from hotline.cli.rota import chapters_named, iso_utc, parse_instant, rota
from hotline.roster import models
from hotline.roster.changes import (
    RotaChangeError,
    add_override,
    add_unavailability,
    approve_swap,
    decline_swap,
    offer_swap,
    take_swap,
    volunteer_by_phone,
)
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
            click.echo(
                f"override {override.id}: {kind} {phone} in {chapter} "
                f"{iso_utc(override.start)} to {iso_utc(override.end)}"
            )
    except RotaChangeError as exc:
        fail(str(exc), 1)


@rota.command("unavailable")
@click.argument("phone")
@click.option("--start", required=True, help="ISO-8601 with a UTC offset")
@click.option("--end", required=True, help="ISO-8601 with a UTC offset")
@click.option("--reason", default="")
@pass_context
@database_errors
def rota_unavailable(ctx: Context, phone: str, start: str, end: str, reason: str) -> None:
    """Mark a volunteer off call in every chapter from --start to --end (holiday, illness)."""
    runtime = ctx.runtime()
    try:
        with runtime.transaction() as session:
            row = add_unavailability(
                session,
                volunteer_by_phone(session, phone),
                parse_instant(start, None, "--start"),
                parse_instant(end, None, "--end"),
                now=runtime.clock(),
                reason=reason,
            )
            click.echo(f"unavailable {row.id}: {phone} {iso_utc(row.start)} to {iso_utc(row.end)}")
    except RotaChangeError as exc:
        fail(str(exc), 1)


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
    """PHONE offers their on-call time in CHAPTER from --start to --end."""
    runtime = ctx.runtime()
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
            click.echo(f"swap {offer.id} offered")
    except RotaChangeError as exc:
        fail(str(exc), 1)


@swap.command("take")
@click.argument("swap_id", type=int)
@click.argument("phone")
@pass_context
@database_errors
def swap_take(ctx: Context, swap_id: int, phone: str) -> None:
    """PHONE takes swap SWAP_ID; it then waits for approval."""
    runtime = ctx.runtime()
    try:
        with runtime.transaction() as session:
            take_swap(session, swap_id, volunteer_by_phone(session, phone), now=runtime.clock())
            click.echo(f"swap {swap_id} taken; waiting for a coordinator to approve")
    except RotaChangeError as exc:
        fail(str(exc), 1)


@swap.command("approve")
@click.argument("swap_id", type=int)
@pass_context
@database_errors
def swap_approve(ctx: Context, swap_id: int) -> None:
    """Approve a taken swap: the taker replaces the offerer for its interval."""
    runtime = ctx.runtime()
    try:
        with runtime.transaction() as session:
            row = approve_swap(session, swap_id, now=runtime.clock())
            click.echo(f"swap {swap_id} approved (override {row.override_id})")
    except RotaChangeError as exc:
        fail(str(exc), 1)


@swap.command("decline")
@click.argument("swap_id", type=int)
@pass_context
@database_errors
def swap_decline(ctx: Context, swap_id: int) -> None:
    """Decline or withdraw an open swap; the rota stays as it is."""
    runtime = ctx.runtime()
    try:
        with runtime.transaction() as session:
            decline_swap(session, swap_id, now=runtime.clock())
            click.echo(f"swap {swap_id} declined")
    except RotaChangeError as exc:
        fail(str(exc), 1)


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
            revoke_feed(session, feed_id, now=runtime.clock())
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
