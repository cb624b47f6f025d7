"""What a process can say about the whole installation: database, Redis, workers, queues.

One `check` feeds `/readyz` (its `ready` only), `/status`, `/metrics` and `hotline status`,
so the page, the scrape and the command never disagree. Ready means this process can take
a call: the database answers and is at the code's migrations, and Redis answers when one is
configured. Live workers are reported, not required: without them the web process runs the
jobs itself (hotline.rqjobs).
"""

from __future__ import annotations

import functools
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from hotline.settings import Settings, redact_passwords


@dataclass(frozen=True)
class QueueState:
    name: str
    waiting: int
    oldest_waiting_seconds: float | None     # None: nothing waiting
    failed: int
    scheduled: int


@dataclass(frozen=True)
class Status:
    database_ok: bool
    database_error: str = ""
    migrated: bool = False
    revision: str = ""                       # the database's; `expected` is the code's
    expected: str = ""
    redis_configured: bool = False
    redis_ok: bool = False
    redis_error: str = ""
    workers_alive: int = 0
    queues: tuple[QueueState, ...] = field(default=())

    @property
    def ready(self) -> bool:
        redis = self.redis_ok or not self.redis_configured
        return self.database_ok and self.migrated and redis

    def as_dict(self) -> dict[str, Any]:
        """The JSON of `/status` and `hotline status --json`."""
        return {
            "ready": self.ready,
            "database": {"ok": self.database_ok, "migrated": self.migrated,
                         "revision": self.revision, "expected": self.expected,
                         "error": self.database_error},
            "redis": {"configured": self.redis_configured, "ok": self.redis_ok,
                      "error": self.redis_error},
            "workers": {"alive": self.workers_alive},
            "queues": [asdict(q) for q in self.queues],
        }

    def lines(self) -> list[str]:
        """The text of `hotline status`: one line a part."""
        if not self.database_ok:
            db = f"unreachable ({self.database_error})"
        elif not self.migrated:
            at = f"at {self.revision}" if self.revision else "no tables yet"
            db = f"{at}, the code needs {self.expected}: run `hotline db upgrade`"
        else:
            db = f"ok (migrated to {self.revision})"
        out = [f"ready: {'yes' if self.ready else 'no'}", f"database: {db}"]
        if not self.redis_configured:
            out.append("redis: not configured (jobs run inside `hotline serve`)")
            return out
        out.append("redis: ok" if self.redis_ok else f"redis: unreachable ({self.redis_error})")
        if not self.redis_ok:
            return out
        out.append(f"workers: {self.workers_alive} alive"
                   + ("" if self.workers_alive else " (the web process runs the jobs)"))
        for q in self.queues:
            oldest = ("" if q.oldest_waiting_seconds is None
                      else f" (oldest {q.oldest_waiting_seconds:.0f} s)")
            out.append(f"queue {q.name}: {q.waiting} waiting{oldest}, {q.scheduled} "
                       f"scheduled, {q.failed} failed")
        return out


def check(settings: Settings, sessions: sessionmaker[Session], *, details: bool = True
          ) -> Status:
    """Ask the database and Redis (each bounded by a short timeout); without `details`
    (a load balancer's frequent probe) only whether each answers, not workers or queues."""
    db = _database(sessions)
    if not settings.queue.redis_url:
        return Status(**db)
    try:
        redis = redis_client(settings.queue.redis_url)
        redis.ping()
        if not details:
            return Status(**db, redis_configured=True, redis_ok=True)
        workers = workers_alive(redis, settings.queue.name)
        queues = tuple(queue_state(redis, name) for name in _queue_names(settings))
    except Exception as exc:  # noqa: BLE001 - whatever Redis raised, it is down for us
        return Status(**db, redis_configured=True, redis_error=_reason(exc))
    return Status(**db, redis_configured=True, redis_ok=True, workers_alive=workers,
                  queues=queues)


def _database(sessions: sessionmaker[Session]) -> dict[str, Any]:
    from alembic.runtime.migration import MigrationContext

    from hotline.files import sqlite_file

    expected = ", ".join(sorted(code_heads()))
    try:
        with sessions() as session:
            url = session.get_bind().engine.url
            path = sqlite_file(url.render_as_string(hide_password=True))
            if path is not None and not path.exists():   # connecting would create it empty
                return {"database_ok": False, "expected": expected,
                        "database_error": f"no database at {path}: run `hotline db upgrade`"}
            session.execute(text("SELECT 1"))
            context = MigrationContext.configure(session.connection())
            revisions = set(context.get_current_heads())
    except Exception as exc:  # noqa: BLE001 - any failure means the database is not usable
        return {"database_ok": False, "database_error": _reason(exc), "expected": expected}
    return {"database_ok": True, "migrated": revisions == code_heads(),
            "revision": ", ".join(sorted(revisions)), "expected": expected}


@functools.cache
def code_heads() -> frozenset[str]:
    """The migrations this code needs (read once: they do not change under a process)."""
    from alembic.script import ScriptDirectory

    from hotline.db import alembic_config

    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


@functools.cache
def redis_client(url: str) -> Any:
    """One client a URL for the probes, with timeouts short enough for a health check."""
    from redis import Redis

    return Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def _queue_names(settings: Settings) -> tuple[str, str]:
    from hotline.rqjobs import queue_names

    return queue_names(settings.queue.name)


def workers_alive(redis: Any, queue_name: str) -> int:
    """Workers whose heartbeat (every 5 s, kept 15 s: hotline.rqjobs.Companion) is fresh."""
    from hotline.rqjobs import worker_key_pattern

    return sum(1 for _ in redis.scan_iter(match=worker_key_pattern(queue_name), count=100))


def queue_state(redis: Any, name: str) -> QueueState:
    from rq import Queue
    from rq.registry import FailedJobRegistry, ScheduledJobRegistry

    queue = Queue(name, connection=redis)
    waiting = queue.count
    oldest: float | None = None
    if waiting:
        first = queue.get_job_ids(0, 1)
        job = queue.fetch_job(first[0]) if first else None
        if job is not None and job.enqueued_at is not None:
            at = job.enqueued_at
            at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)   # RQ's are UTC
            oldest = max(0.0, time.time() - at.timestamp())
    return QueueState(name, waiting, oldest,
                      FailedJobRegistry(queue=queue).count,
                      ScheduledJobRegistry(queue=queue).count)  # type: ignore[no-untyped-call]


def _reason(exc: Exception) -> str:
    first = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return redact_passwords(f"{type(exc).__name__}: {first[0] if first else ''}")[:200]
