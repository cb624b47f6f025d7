"""`hotline drill day`: a day of alerts, call-backs and reminders on the virtual clock."""

from __future__ import annotations

import json
from datetime import date

import click

from hotline.cli import Context, database_errors, fail, pass_context
from hotline.cli.drill import _OneLineCommand, drill
from hotline.drill import DrillError


@drill.command("day", cls=_OneLineCommand)
@click.option("--to", "to", required=True, help="The hotline number (E.164) whose day to play.")
@click.option("--date", "day", help="The day (YYYY-MM-DD, the line's own calendar); "
                                    "default today.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@pass_context
@database_errors
def drill_day(ctx: Context, to: str, day: str | None, fmt: str) -> None:
    """Play a day on one line, on the virtual clock, and print what happened when.

    \b
    10:00  a caller nobody answers leaves a message: the volunteers on call are texted,
           and the coordinators when nobody takes it in time;
    13:00  a caller with everyone busy asks for a call-back: an alert, then the attempt
           (a volunteer rung, then the caller dialled from the hotline number);
    17:30  a caller is answered;
    and whatever scheduled work falls due that day (reminders among it). Nothing is written.
    """
    from hotline.drillday import run_day

    when = None
    if day is not None:
        try:
            when = date.fromisoformat(day)
        except ValueError:
            fail(f"--date: {day!r} is not a date like 2026-03-08", code=1)
    try:
        result = run_day(ctx.settings, to, when)
    except DrillError as exc:
        fail(str(exc), code=1)
    if fmt == "json":
        click.echo(json.dumps({"chapter": result.chapter, "date": result.day.isoformat(),
                               "timeline": result.timeline, "records": result.records,
                               "transcript": result.transcript.splitlines()}, indent=2))
        return
    click.echo(f"{result.chapter}, {result.day:%a %Y-%m-%d} (the line's own time):")
    for line in result.timeline:
        click.echo(f"  {line}")
    click.echo("(drill: nothing was written; --format json has every side's transcript)")
