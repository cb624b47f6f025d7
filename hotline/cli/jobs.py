"""`hotline jobs [--failed]`, `hotline jobs retry ID`: the work waiting, running and failed."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click
from sqlalchemy.orm import Session

from hotline.audit.log import Actor, record
from hotline.cli import Context, database_errors, fail, main, pass_context
from hotline.work.listing import (
    RetryError,
    WorkItem,
    database_work,
    retry_in_database,
    retry_rq,
    rq_work,
)

EMBEDDED = ("queue.redis_url is empty: jobs run inside `hotline serve` (each tried again "
            "after 2, 10 and 30 s, failures logged there, none kept); scheduled work and "
            "texts are kept in the database and listed here")


@main.group(invoke_without_command=True)
@click.option("--failed", is_flag=True, help="Only what failed every retry, with the reason.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.pass_context
@database_errors
def jobs(click_ctx: click.Context, failed: bool, fmt: str) -> None:
    """Queued, scheduled, running and failed work: scheduled tasks and texts (database),
    and with queue.redis_url set, RQ's queues and registries.

    Ids: task-N and text-N (database), rq-ID (RQ); `hotline jobs retry ID` runs a failed
    one again.
    """
    if click_ctx.invoked_subcommand is not None:
        return
    ctx = click_ctx.ensure_object(Context)
    runtime = ctx.runtime()
    with runtime.sessions() as session:
        items = database_work(session, failed_only=failed)
    note = EMBEDDED
    redis = _redis(ctx)
    if redis is not None:
        from redis.exceptions import RedisError

        from hotline.rqjobs import queue_names

        names = queue_names(ctx.settings.queue.name)
        try:
            items += rq_work(redis, names, failed_only=failed)
            note = f"RQ queues {', '.join(names)} and the database"
        except RedisError as exc:
            note = f"queue.redis_url: cannot reach Redis ({exc}); the database's work only"
    if fmt == "json":
        click.echo(json.dumps({"source": note, "jobs": [i.as_json() for i in items]},
                              indent=2))
        return
    click.echo(f"# {note}")
    if not items:
        click.echo("no failed work" if failed else "no work waiting, running or failed")
    for item in items:
        click.echo(_line(item))


def _line(item: WorkItem) -> str:
    due = item.due_at.strftime("%Y-%m-%d %H:%M:%SZ") if item.due_at else "-"
    line = f"{item.id:<20} {item.state:<9} {due:<21} tries {item.tries}  {item.what}"
    return f"{line}\n{'':<20} {item.error}" if item.error else line


@jobs.command("retry")
@click.argument("item_id", metavar="ID")
@pass_context
@database_errors
def jobs_retry(ctx: Context, item_id: str) -> None:
    """Run a failed job again (ID as `hotline jobs --failed` lists it)."""
    if item_id.startswith("rq-"):
        redis = _redis(ctx)
        if redis is None:
            fail(f"{item_id}: queue.redis_url is empty, so no RQ job is kept to retry", code=1)
        from redis.exceptions import RedisError

        from hotline.rqjobs import queue_names

        try:
            item = retry_rq(redis, queue_names(ctx.settings.queue.name), item_id[3:])
        except RetryError as exc:
            fail(str(exc), code=1)
        except RedisError as exc:
            fail(f"queue.redis_url: cannot reach Redis ({exc})")
        # RQ and the database cannot commit together: the job is queued again first, so the
        # log never claims a retry that did not happen.
        runtime = ctx.runtime()
        with runtime.transaction() as session:
            _audit(session, item, runtime.clock())
        click.echo(f"{item.id}: queued again ({item.what}); a worker runs it next")
        return
    runtime = ctx.runtime(jobs=_retry_runner(ctx))
    try:
        with runtime.transaction() as session:
            item = retry_in_database(session, item_id, runtime.clock())
            _audit(session, item, runtime.clock())
    except RetryError as exc:
        fail(str(exc), code=1)
    where = ("a worker runs it now" if ctx.settings.queue.redis_url
             else "the web process's sweep runs it within a minute or two")
    click.echo(f"{item.id}: due again now ({item.what}); {where}")


def _audit(session: Session, item: WorkItem, now: datetime) -> None:
    record(session, Actor.cli(), "job.retry", now=now, subject=item.id,
           before={"state": "failed"},
           after={"state": item.state, "what": item.what, "due_at": item.due_at})


def _redis(ctx: Context) -> Any:
    url = ctx.settings.queue.redis_url
    if not url:
        return None
    from redis import Redis

    return Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def _retry_runner(ctx: Context) -> Any:
    """Jobs go to RQ while a worker runs; otherwise (and on the embedded default) the row is
    left to a sweep: this process exits at once and must not be the one sending."""
    from hotline.jobs import LaterRunner

    settings = ctx.settings
    if not settings.queue.redis_url:
        return LaterRunner()
    from hotline.rqjobs import RQRunner

    return RQRunner(settings.queue.redis_url, settings.queue.name, fallback=LaterRunner())
