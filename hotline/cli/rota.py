"""`hotline rota import|export|gaps|report|history` and `hotline oncall`."""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import asdict
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.calls.planning import ring_order
from hotline.cli import Context, database_errors, fail, main, pass_context
from hotline.logs.queries import call_counts
from hotline.roster import models
from hotline.roster.fairness import hours_report, with_call_counts
from hotline.roster.history import oncall_at, record_history
from hotline.roster.localtime import as_utc, to_instant
from hotline.roster.overflow import overflow_waves
from hotline.roster.rotadiff import ChapterChange, rota_changes, rota_state
from hotline.roster.rotaexport import export_rota
from hotline.roster.rotafile import RotaFileError, parse_rota
from hotline.roster.rotasync import import_rota
from hotline.roster.store import UnknownChapter, chapter_by_slug, load_rota_between
from hotline.roster.timeline import find_gaps, timeline
from hotline.roster.trainees import without_trainees


def parse_instant(text: str, zone: ZoneInfo | None, option: str = "--at") -> datetime:
    """ISO-8601 with an offset, or without one as wall-clock time in `zone` (the chapter's)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        fail(f"{option}: {text!r} is not an ISO-8601 date-time (like 2026-03-08T07:30:00Z)")
    if value.tzinfo is not None:
        return as_utc(value)
    if zone is None:
        fail(f"{option}: {text!r} needs a UTC offset (like 2026-03-08T07:30:00Z)")
    return to_instant(value, zone)


def iso_utc(at: datetime) -> str:
    return as_utc(at).strftime("%Y-%m-%dT%H:%M:%SZ")


def chapters_named(session: Session, slug: str | None) -> list[models.Chapter]:
    if slug is None:
        return list(session.scalars(select(models.Chapter).order_by(models.Chapter.slug)))
    try:
        return [chapter_by_slug(session, slug)]
    except UnknownChapter as exc:
        fail(str(exc))


@main.group()
def rota() -> None:
    """Import, export and inspect the rota (who is on call when)."""


@rota.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_context
@database_errors
def rota_import(ctx: Context, file: Path) -> None:
    """Load chapters, volunteers, shifts, rotations and overrides from a rota file (TOML).

    All or nothing: any bad row rejects the whole file with its line and reason. Importing the
    same file again changes nothing; a changed rule takes effect now, keeping the past.
    """
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"{file}: cannot read ({exc.strerror})")
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        fail(f"{file}:{line}: not UTF-8 text (byte {exc.object[exc.start]:#04x}); nothing changed")
    from hotline.audit.log import Actor, record

    runtime = ctx.runtime()
    try:
        parsed = parse_rota(text)
        slugs = [c.slug for c in parsed.chapters]
        phones = [v.phone for v in parsed.volunteers]
        with runtime.transaction() as session:
            now = runtime.clock()
            was = rota_state(session, slugs, phones, now)
            summary = import_rota(session, parsed, now=now)
            if summary.changed:
                ids = {row.slug: row.id for row in chapters_named(session, None)}
                digest = hashlib.sha256(text.encode()).hexdigest()
                # Item by item, per chapter: what was added, what ended, what changed.
                changes = rota_changes(was, rota_state(session, slugs, phones, now)) or [
                    ChapterChange(slug) for slug in slugs]
                for change in changes:
                    record(session, Actor.cli(), "rota.import", now=now,
                           chapter_id=ids[change.slug] if change.slug else None,
                           subject=file.name, before=change.before or None,
                           after={**change.after, "file_sha256": digest,
                                  "counts": asdict(summary)})
    except RotaFileError as exc:
        for problem in exc.problems:
            where = f"{file}:{problem.line}" if problem.line else str(file)
            click.echo(f"{where}: {problem.reason}", err=True)
        click.echo(f"hotline: {file} not imported; nothing was changed", err=True)
        sys.exit(1)
    if not summary.changed:
        click.echo(f"{file}: no changes")
        return
    click.echo(
        f"{file}: imported ({summary.chapters} chapters and {summary.volunteers} volunteers "
        f"added or changed, {summary.rules_opened} rules opened, {summary.rules_closed} closed, "
        f"{summary.overrides_added} overrides added, {summary.overrides_ended} ended)"
    )


@rota.command("export")
@pass_context
@database_errors
def rota_export(ctx: Context) -> None:
    """Print the rota as a rota file (TOML) that imports back unchanged."""
    runtime = ctx.runtime()
    with runtime.transaction() as session:
        click.echo(export_rota(session, now=runtime.clock()), nl=False)


@main.command()
@click.argument("chapter", required=False)
@click.option("--at", "at_text", help="ISO-8601 instant (default now); no offset: chapter time")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@pass_context
@database_errors
def oncall(ctx: Context, chapter: str | None, at_text: str | None, fmt: str) -> None:
    """Who would be rung, wave by wave, in ring order (past instants from recorded history)."""
    runtime = ctx.runtime()
    results: list[dict[str, Any]] = []
    lines: list[str] = []
    with runtime.transaction() as session:
        for row in chapters_named(session, chapter):
            zone = ZoneInfo(row.timezone)
            at = parse_instant(at_text, zone) if at_text else as_utc(runtime.clock())
            # A listen_in chapter's trainees are never rung for a caller (they listen in).
            waves = ring_order(session, overflow_waves(
                session, row.id, at, lambda other, when: without_trainees(
                    session, other, oncall_at(session, other, when).waves)))
            results.append(
                {
                    "chapter": row.slug,
                    "at": iso_utc(at),
                    "waves": [
                        {
                            "tier": int(wave.tier),
                            "volunteers": [
                                {"name": v.name, "phone": v.phone} for v in wave.volunteers
                            ],
                        } | ({"chapter": wave.chapter} if wave.chapter else {})
                        for wave in waves
                    ],
                }
            )
            local = at.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z")
            lines.append(f"{row.slug} at {iso_utc(at)} ({local})")
            for wave in waves:
                people = ", ".join(f"{v.name} {v.phone}" for v in wave.volunteers)
                then = f"overflow to {wave.chapter}, " if wave.chapter else ""
                lines.append(f"  {then}tier {int(wave.tier)} ({wave.tier.label}): {people}")
            if not any(wave.chapter is None for wave in waves):
                lines.insert(len(lines) - len(waves), "  nobody on call")
    if fmt == "json":
        click.echo(json.dumps(results[0] if chapter else results, indent=2))
    else:
        click.echo("\n".join(lines) if lines else "no chapters")


@rota.command("gaps")
@click.option("--days", default=14, show_default=True, type=click.IntRange(1, 366))
@click.option("--chapter", help="one chapter's slug (default: every chapter)")
@pass_context
@database_errors
def rota_gaps(ctx: Context, days: int, chapter: str | None) -> None:
    """List intervals in the next N days with nobody at tier 1; exit status 1 if any."""
    runtime = ctx.runtime()
    start = as_utc(runtime.clock())
    end = start + timedelta(days=days)
    found = 0
    with runtime.transaction() as session:
        for row in chapters_named(session, chapter):
            zone = ZoneInfo(row.timezone)
            for gap in find_gaps(load_rota_between(session, row.id, start, end), start, end):
                found += 1
                begin, finish = gap.start.astimezone(zone), gap.end.astimezone(zone)
                click.echo(
                    f"{row.slug}: {begin:%a %Y-%m-%d %H:%M} to {finish:%a %Y-%m-%d %H:%M %Z} "
                    f"({_duration(gap.duration)}) [{iso_utc(gap.start)} to {iso_utc(gap.end)}]"
                )
    if not found:
        click.echo(f"no gaps in the next {days} days")
    sys.exit(1 if found else 0)


@rota.command("report")
@click.option("--from", "from_", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option(
    "--to", "to", required=True, type=click.DateTime(["%Y-%m-%d"]), help="last day included"
)
@click.option("--chapter", help="one chapter's slug (default: every chapter)")
@pass_context
@database_errors
def rota_report(ctx: Context, from_: datetime, to: datetime, chapter: str | None) -> None:
    """Hours on call per tier and calls offered/taken per volunteer over local dates."""
    runtime = ctx.runtime()
    with runtime.transaction() as session:
        for row in chapters_named(session, chapter):
            zone = ZoneInfo(row.timezone)
            start = to_instant(datetime.combine(from_.date(), time(0)), zone)
            end = to_instant(datetime.combine(to.date() + timedelta(days=1), time(0)), zone)
            rota_ = load_rota_between(session, row.id, start, end)
            report = hours_report(rota_.volunteers, timeline(rota_, start, end), start, end)
            offered, taken = call_counts(session, [v.id for v in rota_.volunteers], start, end)
            report = with_call_counts(report, offered, taken)
            click.echo(f"{row.slug} {from_:%Y-%m-%d} to {to:%Y-%m-%d} ({row.timezone})")
            click.echo(
                f"  {'volunteer':<24} {'primary':>8} {'backup':>8} {'fallback':>8} "
                f"{'total':>8} {'offered':>8} {'taken':>6}"
            )
            for line in report.lines:
                click.echo(
                    f"  {line.volunteer.name[:24]:<24} {_hours(line.primary):>8} "
                    f"{_hours(line.backup):>8} {_hours(line.fallback):>8} "
                    f"{_hours(line.on_call):>8} {line.calls_offered:>8} {line.calls_taken:>6}"
                )


@rota.command("history")
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d"]),
    help="record from this UTC date (default: each chapter's creation)",
)
@pass_context
@database_errors
def rota_history(ctx: Context, since: datetime | None) -> None:
    """Record who was on call up to now, so later edits cannot change the past (run daily)."""
    runtime = ctx.runtime()
    now = as_utc(runtime.clock())
    with runtime.transaction() as session:
        for row in chapters_named(session, None):
            start = since.replace(tzinfo=UTC) if since else as_utc(row.created_at)
            written = record_history(session, row.id, start, now, now=now)
            click.echo(f"{row.slug}: {written} segments recorded up to {iso_utc(now)}")


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    return (f"{days}d " if days else "") + f"{rest // 60}h {rest % 60:02d}m"


def _hours(span: timedelta) -> str:
    return f"{span.total_seconds() / 3600:.1f}"


from hotline.cli import rota_changes as _changes  # noqa: E402,F401  (registers subcommands)
