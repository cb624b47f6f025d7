"""`hotline retention run [--dry-run]`: what the daily retention job drops, now."""

from __future__ import annotations

import click

from hotline.cli import Context, database_errors, main, pass_context


@main.group()
def retention() -> None:
    """Retention of callers' numbers and recordings (privacy.retention_days,
    privacy.recording_retention_days); the workers run it once a day."""


@retention.command("run")
@click.option("--dry-run", is_flag=True, help="Say what would be dropped; change nothing.")
@pass_context
@database_errors
def retention_run(ctx: Context, dry_run: bool) -> None:
    """Drop callers' numbers from old contact records and delete old recordings at Twilio,
    as the daily job does; bans and opt-outs are kept."""
    from hotline.audit.log import Actor, record
    from hotline.jobs import LaterRunner
    from hotline.work.retention import apply_retention, retention_summary

    runtime = ctx.runtime(jobs=LaterRunner())
    with runtime.transaction() as session:
        result = apply_retention(session, runtime, runtime.clock(), dry_run=dry_run)
        if not dry_run:
            record(session, Actor.cli(), "retention.run", now=runtime.clock(),
                   subject="retention", after=retention_summary(result))
    privacy = ctx.settings.privacy
    click.echo(f"privacy.retention_days = {privacy.retention_days}, "
               f"privacy.recording_retention_days = {privacy.recording_retention_days}")
    for line in result.lines():
        click.echo(line)
    if dry_run:
        click.echo("(dry run: nothing was changed)")
