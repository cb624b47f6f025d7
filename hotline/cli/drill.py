"""`hotline drill call`: rehearse a call against the rota, with no phones and no Twilio."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from hotline.cli import Context, database_errors, fail, main, pass_context
from hotline.drill import (
    BEHAVIOURS,
    CALLERS,
    DrillError,
    DrillResult,
    Scenario,
    caller_script,
    load_scenario,
    run_drill,
)
from hotline.livedrill import run_live_drill
from hotline.roster.localtime import to_instant

_BEHAVIOUR = click.Choice(sorted(BEHAVIOURS))


class _OneLineCommand(click.Command):
    """A command whose usage mistakes (unknown option, bad value) are one line, exit 1."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            # Click prints usage plus the error and exits 2; a coordinator needs one line.
            fail(f"drill {self.name}: {exc.format_message()} (see --help)", code=1)


@main.group()
def drill() -> None:
    """Rehearse calls against the rota as it stands (nothing is written)."""


@drill.command("call", cls=_OneLineCommand)
@click.option("--to", "to", required=False, help="The hotline number dialled (E.164).")
@click.option("--from", "from_", default="+15551230000", show_default=True,
              help="The caller's number.")
@click.option("--everyone", type=_BEHAVIOUR,
              help="What every volunteer's phone does. [default: answers; rings-out when the "
                   "caller leaves a message or asks for a call-back, which they are offered "
                   "only when nobody answers]")
@click.option("--first", type=_BEHAVIOUR, help="What the first volunteer rung does.")
@click.option("--answers", multiple=True, metavar="PHONE|NAME", help="This volunteer answers.")
@click.option("--declines", multiple=True, metavar="PHONE|NAME", help="This volunteer declines.")
@click.option("--rings-out", multiple=True, metavar="PHONE|NAME", help="Nobody picks up there.")
@click.option("--busy", multiple=True, metavar="PHONE|NAME", help="This volunteer's line is busy.")
@click.option("--voicemail", multiple=True, metavar="PHONE|NAME",
              help="This volunteer's carrier voicemail picks up.")
@click.option("--caller", "caller_does", type=click.Choice(CALLERS), default="listens",
              show_default=True, help="What the caller does.")
@click.option("--caller-after", type=float, default=40.0, show_default=True,
              help="With --caller hangs-up: seconds before the caller gives up.")
@click.option("--digits", default="", metavar="KEYS",
              help="The caller's keys at the chapter's menus, in order: 2,1 (language 2, "
                   "experience 1); 2,,1 leaves one menu unanswered.")
@click.option("--at", "at", help="Drill as if it were this instant (ISO-8601), e.g. a night shift.")
@click.option("--scenario", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A scenario file (TOML); see below.")
@click.option("--against", metavar="URL",
              help="Drill a running app at URL in real time instead of in-process.")
@click.option("--rest-port", type=int, default=5099, show_default=True,
              help="With --against: port of the stand-in REST server the app's "
                   "twilio.api_base_url must point at.")
@click.option("--standin", metavar="URL",
              help="With --against: use the long-running stand-in at URL (`hotline drill "
                   "standin`), so that several drills can run at once.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@pass_context
@database_errors
def drill_call(
    ctx: Context, to: str | None, from_: str, everyone: str | None, first: str | None,
    answers: tuple[str, ...], declines: tuple[str, ...], rings_out: tuple[str, ...],
    busy: tuple[str, ...], voicemail: tuple[str, ...], caller_does: str, caller_after: float,
    digits: str, at: str | None, scenario: Path | None, against: str | None, rest_port: int,
    standin: str | None, fmt: str,
) -> None:
    """Play one call to a hotline number and print what everyone heard and did.

    \b
    A scenario file looks like:
        to = "+16175550100"
        everyone = "rings-out"        # answers declines rings-out busy fails voicemail hangs-up
        first = "declines"            # optional: whoever is rung first
        [caller]
        from = "+15551230000"
        does = "voicemail"            # listens hangs-up voicemail callback
        digits = ["2", "1"]           # keys at the chapter's menus (language, experience)
        after = 30                    # with hangs-up
        [[phone]]
        volunteer = "Ann Example"     # a name or a phone number
        does = "answers"
        after = 6                     # seconds of ringing before it picks up
    """
    when = None
    if at is not None:
        try:
            when = datetime.fromisoformat(at.replace("Z", "+00:00"))
        except ValueError:
            fail(f"--at: {at!r} is not an ISO-8601 instant", code=1)
        if when.tzinfo is None:               # wall-clock time in the configured zone
            when = to_instant(when, ZoneInfo(ctx.settings.app.timezone))
        when = when.astimezone(UTC)
    if everyone is None:
        everyone = "rings-out" if caller_does in ("voicemail", "callback") else "answers"
    phones = {who: ("answers", 4.0) for who in answers}
    for does, whos in (("declines", declines), ("rings-out", rings_out), ("busy", busy),
                       ("voicemail", voicemail)):
        phones.update({who: (does, 4.0) for who in whos})
    try:
        plan = Scenario(
            to=to or "", from_=from_,
            caller=caller_script(caller_does, caller_after,
                                 tuple(digits.split(",")) if digits else ()),
            everyone=everyone, phones=phones, first=first, at=when,
        )
        if scenario is not None:
            plan = load_scenario(scenario, base=plan)
        if not plan.to:
            fail("--to: give the hotline number to call (or `to` in the scenario file)", code=1)
        if standin and not against:
            fail("--standin: give --against URL too (the app the stand-in drills)", code=1)
        if against:
            # Real time: each line is printed as it happens (click.echo flushes).
            result = run_live_drill(ctx.settings, plan, against.rstrip("/"), rest_port,
                                    standin=standin,
                                    emit=click.echo if fmt == "text" else None)
        else:
            result = run_drill(ctx.settings, plan)
    except DrillError as exc:
        fail(str(exc), code=1)
    _print(result, fmt)


def _print(result: DrillResult, fmt: str) -> None:
    report = result.report
    if fmt == "json":
        click.echo(json.dumps({"transcript": result.transcript.splitlines(),
                               "record": result.record, "texts": list(result.texts)},
                              indent=2, default=str))
        return
    if not result.streamed:
        click.echo(result.transcript)
    click.echo("")
    if result.texts:
        click.echo("texts sent:")
    for text in result.texts:
        click.echo(f"  {text}")
    record = result.record
    if record is None:
        click.echo(f"call {report.sid}: {report.status} after {report.duration:.0f} s")
        return
    answered = record.get("answered_by") or "nobody"
    wait = record.get("seconds_to_answer")
    click.echo(f"outcome: {record['outcome']}; answered by {answered}"
               + (f" after {wait:.0f} s" if wait is not None else ""))
    if record.get("overflow_to"):
        click.echo(f"  overflow: a {record['overflow_from']} call answered by "
                   f"{record['overflow_to']}")
    if record.get("language") or record.get("experience"):
        click.echo(f"asked: language {record.get('language') or '-'}, experience "
                   f"{record.get('experience') or '-'}; "
                   + ("matched" if record.get("matched") else "not matched"))
    for leg in record.get("legs", []):
        click.echo(f"  rang {leg['volunteer']}: {leg['outcome']}")
    for attempt in record.get("callbacks", []):
        click.echo(f"  call-back at {attempt['at']} through {attempt['volunteer'] or 'nobody'}"
                   f": {attempt['outcome']}")
    if result.live:
        click.echo("(live drill: the served app kept this record in its contact log)")
    else:
        click.echo("(drill: nothing was written to the contact log)")
