"""`hotline db upgrade`, `hotline serve`, `hotline worker`."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import click

from hotline.cli import Context, database_errors, fail, main, pass_context, require_schema
from hotline.files import open_to_others, sqlite_file
from hotline.settings import Settings, SettingsError, require_for_serving


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
    _warn_if_open(settings)
    _verify_key(settings)
    from hotline.metrics_dir import metrics_dir

    # Before anything imports prometheus_client: the web processes write their samples in
    # the folder, removed when the server stops.
    with metrics_dir():
        _run_gunicorn(settings, host, port, workers)


def _run_gunicorn(settings: Settings, host: str, port: int, workers: int) -> None:
    from gunicorn.app.base import BaseApplication

    from hotline.app import create_app, import_everything

    # The code is imported once, here, before gunicorn forks its workers: they share its
    # memory pages. Each worker still builds its own app (connections, job threads).
    import_everything()

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
            # Feed tokens and one-time links are in paths: gunicorn's lines are redacted too.
            self.cfg.set("logger_class", "hotline.accesslog.JsonLogger"
                         if settings.app.log_format == "json"
                         else "hotline.accesslog.RedactedLogger")
            if "control_socket_disable" in self.cfg.settings:
                # gunicorn 25+ opens a control socket in $HOME, shared by every server of the
                # user; nothing here uses it (stop and restart through the supervisor).
                self.cfg.set("control_socket_disable", True)

        def load(self) -> Any:
            return create_app(settings)

    click.echo(f"hotline serving on http://{host}:{port} (public URL {settings.app.public_url})")
    _Server().run()


@database_errors
def _verify_key(settings: Settings) -> None:
    """Refuse to start with a privacy key other than the database's (hotline.keyring)."""
    from hotline.db import make_engine
    from hotline.keyring import KeyMismatch, verify_key
    from hotline.runtime import privacy_of, system_clock

    engine = make_engine(settings.database.url)
    try:
        require_schema(engine)
        verify_key(engine, privacy_of(settings), now=system_clock())
    except KeyMismatch as exc:
        fail(str(exc))
    finally:
        engine.dispose()


def _warn_if_open(settings: Settings) -> None:
    """One line for each file with secrets in it that other users may read."""
    config = Path(settings.source) if settings.source != "(defaults)" else None
    for what, path in (("config file", config),
                       ("database", sqlite_file(settings.database.url))):
        mode = open_to_others(path) if path is not None else None
        if mode is not None:
            click.echo(f"hotline: warning: the {what} {path} is open to other users (mode "
                       f"{mode}) and holds secrets: chmod 600 {path}", err=True)


@main.command()
@click.option("--burst", is_flag=True, help="Run the jobs queued now, then exit.")
@pass_context
def worker(ctx: Context, burst: bool) -> None:
    """Run a background worker: RQ jobs (call jobs first), the scheduler for delayed jobs
    and retries, and (on PostgreSQL) the listener that wakes it for new calls."""
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
    from rq import Queue

    from hotline.logconfig import configure_logging
    from hotline.outage import RedisState, SchedulerThread, quiet_rq, supervise
    from hotline.rqjobs import Companion, queue_names, worker_classes

    configure_logging(settings.app.log_level, settings.app.log_format)
    quiet_rq()
    runtime = ctx.runtime()
    # No read timeout: RQ blocks on BLPOP for minutes. A dead connection is found by the
    # keepalive and the health check instead; connecting gives up after 5 s.
    redis = Redis.from_url(settings.queue.redis_url, socket_connect_timeout=5,
                           socket_keepalive=True, health_check_interval=30)
    try:
        redis.ping()
    except RedisError as exc:
        fail(f"queue.redis_url: cannot reach Redis ({exc})")
    _verify_key(settings)
    job_class, worker_class = worker_classes()
    queues = [Queue(name, connection=redis, job_class=job_class)
              for name in queue_names(settings.queue.name)]

    stop = threading.Event()

    def make_worker() -> Any:
        made = worker_class(queues, connection=redis)
        made.runtime = runtime
        made.stopping = stop
        made.max_connection_wait_time = 10.0     # back within 10 s of Redis returning
        return made

    # One account of Redis coming and going for the whole process (its job runner's).
    state = getattr(runtime.jobs, "redis_state", None) or RedisState()
    companion = Companion(runtime, redis, state).start()
    try:
        if burst:
            companion.claim_new_calls()
            make_worker().work(burst=True, with_scheduler=True, logging_level="WARNING")
            return
        scheduler = SchedulerThread(queues, redis, state).start()
        try:
            supervise(make_worker, redis, state, stop)
        finally:
            scheduler.stop()
    finally:
        companion.stop()
