"""`hotline db upgrade`, `hotline serve`, `hotline worker`."""

from __future__ import annotations

from typing import Any

import click

from hotline.cli import Context, database_errors, fail, main, pass_context
from hotline.settings import SettingsError, require_for_serving


@main.group()
def db() -> None:
    """Create or migrate the database."""


@db.command("upgrade")
@pass_context
@database_errors
def db_upgrade(ctx: Context) -> None:
    """Create the database or migrate it to the latest schema."""
    from hotline.db import current_revisions, make_engine, upgrade

    engine = make_engine(ctx.settings.database.url)
    before = current_revisions(engine)
    upgrade(engine)
    after = current_revisions(engine)
    if before == after:
        click.echo(f"database is up to date ({', '.join(sorted(after))})")
    else:
        click.echo(f"database migrated to {', '.join(sorted(after))}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="web processes")
@pass_context
def serve(ctx: Context, host: str, port: int, workers: int) -> None:
    """Run the web app (Twilio webhooks, calendar feeds, health check) under gunicorn."""
    settings = ctx.settings
    try:
        require_for_serving(settings)
    except SettingsError as exc:
        fail(f"configuration: {exc}")
    from gunicorn.app.base import BaseApplication

    from hotline.app import create_app

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", 4)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("timeout", 30)
            self.cfg.set("accesslog", "-")
            # The default access log format prints the query string; ours carries no numbers,
            # but keep the line short and useful.
            self.cfg.set("access_log_format", '%(h)s "%(r)s" %(s)s %(b)s %(L)ss')

        def load(self) -> Any:
            return create_app(settings)

    click.echo(f"hotline serving on http://{host}:{port} (public URL {settings.app.public_url})")
    _Server().run()


@main.command()
@click.option("--burst", is_flag=True, help="Run the jobs queued now, then exit.")
@pass_context
def worker(ctx: Context, burst: bool) -> None:
    """Run a background worker (with the scheduler for delayed jobs and retries)."""
    settings = ctx.settings
    if not settings.queue.redis_url:
        fail("configuration: queue.redis_url: must be set to run workers "
             "(with it empty, jobs run inside `hotline serve`)")
    try:
        require_for_serving(settings)
    except SettingsError as exc:
        fail(f"configuration: {exc}")
    from redis import Redis
    from redis.exceptions import RedisError
    from rq import Queue, SimpleWorker

    from hotline.calls.flow import ring_new_calls
    from hotline.fastlane import FastLane
    from hotline.jobs import retry_later, run_now
    from hotline.logconfig import configure_logging
    from hotline.runtime import install

    configure_logging(settings.app.log_level)
    runtime = ctx.runtime()
    install(runtime)
    redis = Redis.from_url(settings.queue.redis_url)
    try:
        redis.ping()
    except RedisError as exc:
        fail(f"queue.redis_url: cannot reach Redis ({exc})")
    queue = Queue(settings.queue.name, connection=redis)
    lane = FastLane(redis, settings.queue.name)
    if burst:
        lane.push_many(ring_new_calls(runtime))
        lane.drain(run_now, retry_later(queue))
        SimpleWorker([queue], connection=redis).work(with_scheduler=True, burst=True)
        return
    # Immediate jobs (ring the first wave, stop legs) come by the fast lane, on threads here;
    # delayed jobs and retries by RQ. While workers run, the web leaves new calls in the
    # database; the dispatcher thread claims them onto the lane.
    server = lane.serve(run_now, retry_later(queue), poll=lambda: ring_new_calls(runtime))
    try:
        # SimpleWorker runs jobs in this process: no fork per job (ringing must start fast)
        # and no database connection pool copied across a fork.
        SimpleWorker([queue], connection=redis).work(with_scheduler=True)
    finally:
        server.stop()
