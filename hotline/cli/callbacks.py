"""`hotline callbacks list|cancel`: call-backs and check-ins owed to callers."""

from __future__ import annotations

import click

from hotline.audit.log import Actor, record
from hotline.callbacks.listing import CancelError, State, cancel_callback, list_callbacks
from hotline.cli import Context, database_errors, fail, main, pass_context
from hotline.logs.models import Call


@main.group()
def callbacks() -> None:
    """Call-backs and check-ins owed to callers (numbers shown as the last four digits)."""


@callbacks.command("list")
@click.option("--chapter", help="Only this chapter (slug).")
@click.option("--state", "states", multiple=True, type=click.Choice([s.value for s in State]),
              help="waiting (no attempt yet), attempted or done; repeat for several. "
                   "Default: waiting and attempted.")
@pass_context
@database_errors
def callbacks_list(ctx: Context, chapter: str | None, states: tuple[str, ...]) -> None:
    """Reference, chapter, kind, state, caller (masked), requested (UTC), attempts, taken by."""
    wanted = frozenset(State(s) for s in states) or frozenset({State.WAITING, State.ATTEMPTED})
    runtime = ctx.runtime()
    with runtime.sessions() as session:
        lines = list_callbacks(session, chapter_slug=chapter, states=wanted)
    if not lines:
        click.echo("no call-backs")
    for line in lines:
        state = line.state.value if line.state is not State.DONE else f"done ({line.status})"
        click.echo("\t".join([
            line.reference, line.chapter, line.kind.value, state, line.caller,
            f"{line.requested_at:%Y-%m-%dT%H:%M:%SZ}", f"{line.attempts} attempts",
            line.taken_by or "-"]))


@callbacks.command("cancel")
@click.argument("reference")
@pass_context
@database_errors
def callbacks_cancel(ctx: Context, reference: str) -> None:
    """Call off REFERENCE: no further attempt is made; recorded in the audit log."""
    runtime = ctx.runtime()
    now = runtime.clock()
    try:
        with runtime.transaction() as session:
            request = cancel_callback(session, reference, now)
            call = session.get(Call, request.call_id)
            record(session, Actor.cli(), "callback.cancel", now=now,
                   chapter_id=call.chapter_id if call else None,
                   subject=f"call-back {request.reference}",
                   before={"status": "open", "attempts": request.attempts},
                   after={"status": request.status.value})
    except CancelError as exc:
        fail(str(exc), code=1)
    click.echo(f"call-back {request.reference} canceled")
