"""`hotline ban ...`: keep a caller from reaching a chapter, or every chapter."""

from __future__ import annotations

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.audit.log import Actor, record
from hotline.bans import add_ban, ban_summary, find_ban, list_bans, remove_ban
from hotline.cli import Context, database_errors, fail, main, pass_context
from hotline.models import Chapter
from hotline.phone import E164, PhoneError, parse_caller


@main.group()
def ban() -> None:
    """Ban callers. Numbers are stored only as a keyed hash; lists show the last four digits."""


def _chapter_id(session: Session, slug: str | None) -> int | None:
    if slug is None:
        return None
    chapter_id = session.scalar(select(Chapter.id).where(Chapter.slug == slug))
    if chapter_id is None:
        fail(f"no chapter {slug!r}", code=1)
    return chapter_id


def _number(number: str) -> E164:
    try:
        return parse_caller(number)
    except PhoneError as exc:
        fail(f"NUMBER {exc} (like +16175550123)", code=1)


@ban.command("add")
@click.argument("number")
@click.option("--chapter", help="Chapter slug; without it the ban covers every chapter.")
@click.option("--reason", default="", help="Why, for other coordinators.")
@pass_context
@database_errors
def ban_add(ctx: Context, number: str, chapter: str | None, reason: str) -> None:
    """Ban NUMBER: its calls are rejected before they are answered (not billed)."""
    runtime = ctx.keyed_runtime()
    caller = _number(number)
    with runtime.transaction() as session:
        chapter_id = _chapter_id(session, chapter)
        existing = find_ban(session, runtime.privacy, caller, chapter_id)
        before = ban_summary(existing) if existing is not None else None
        added = add_ban(session, runtime.privacy, caller, chapter_id, reason)
        record(session, Actor.cli(), "ban.add", now=runtime.clock(), chapter_id=chapter_id,
               subject=f"ban {added.number_hint}", before=before, after=ban_summary(added))
    click.echo(f"banned {added.number_hint} from {chapter or 'every chapter'}")


@ban.command("remove")
@click.argument("number")
@click.option("--chapter", help="Chapter slug; without it the global ban is lifted.")
@pass_context
@database_errors
def ban_remove(ctx: Context, number: str, chapter: str | None) -> None:
    """Lift a ban on NUMBER."""
    runtime = ctx.keyed_runtime()
    caller = _number(number)
    with runtime.transaction() as session:
        chapter_id = _chapter_id(session, chapter)
        lifted = remove_ban(session, runtime.privacy, caller, chapter_id)
        if lifted is None:
            fail(f"no such ban for {chapter or 'every chapter'}", code=1)
        record(session, Actor.cli(), "ban.remove", now=runtime.clock(), chapter_id=chapter_id,
               subject=f"ban {lifted.number_hint}", before=ban_summary(lifted), after=None)
    click.echo("ban lifted")


@ban.command("list")
@pass_context
@database_errors
def ban_list(ctx: Context) -> None:
    """Every ban: masked number, scope, reason, date."""
    runtime = ctx.runtime()
    with runtime.sessions() as session:
        slugs = dict(session.execute(select(Chapter.id, Chapter.slug)).all())
        bans = list_bans(session)
        if not bans:
            click.echo("no bans")
        for b in bans:
            scope = slugs.get(b.chapter_id, "?") if b.chapter_id is not None else "all chapters"
            click.echo(f"{b.number_hint}\t{scope}\t{b.created_at:%Y-%m-%d}\t{b.reason}")
