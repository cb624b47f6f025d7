"""Scheduling work for later, and claiming it when it is due: once, by one runner.

`schedule` writes a row (its key makes it idempotent) and sends a RUN_TASK job for the due
time once the transaction commits: RQ's scheduler (or the web process's threads on the
embedded default) wakes it on time. The row is the truth: `sweep` claims whatever is due
and unclaimed, or was claimed by a runner that died (its lease ran out), so a lost job, a
restarted worker or a flushed Redis delays the work by a sweep at most and never loses it.
A task runs in one transaction with the marking of it done, so it never runs twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Table, or_, select, update
from sqlalchemy.orm import Session

from hotline import jobs
from hotline.db import add_once
from hotline.privacy import mask_numbers
from hotline.work.models import ScheduledTask, TaskStatus

if TYPE_CHECKING:
    from hotline.runtime import Runtime

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)           # a runner that holds a task longer has died
MAX_ATTEMPTS = 5
# A task this far past due has lost its job (a flushed Redis, a worker killed): the sweep
# queues it again. Before that, its own job is on its way; the claim makes twice harmless.
SWEEP_GRACE = timedelta(seconds=60)
BACKOFF = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10),
           timedelta(minutes=30))

Handler = Callable[[Session, "Runtime", ScheduledTask], None]


def schedule(
    session: Session, kind: str, subject_id: int, due_at: datetime, *, key: str,
    now: datetime,
) -> ScheduledTask:
    """Do `kind` for `subject_id` at `due_at` (once per `key`, whoever asks twice)."""
    task, added = add_once(session, ScheduledTask(
        key=key, kind=kind, subject_id=subject_id, due_at=due_at, status=TaskStatus.PENDING,
        attempts=0, last_error=""), ScheduledTask.key == key)
    if added:
        _wake(session, task, now)
    return task


def _wake(session: Session, task: ScheduledTask, now: datetime) -> None:
    """The job that runs the task on time, sent when the transaction commits."""
    delay = task.due_at - now
    jobs.enqueue(session, jobs.RUN_TASK, task.id,
                 delay=delay if delay > timedelta(0) else None,
                 key=f"task-{task.id}-{task.due_at.timestamp():.0f}")


def cancel_for(session: Session, kind: str, subject_id: int) -> int:
    """Call off every task of `kind` for `subject_id` not yet done; how many."""
    result = session.execute(
        update(ScheduledTask)
        .where(ScheduledTask.kind == kind, ScheduledTask.subject_id == subject_id,
               ScheduledTask.status.in_([TaskStatus.PENDING, TaskStatus.RUNNING]))
        .values(status=TaskStatus.CANCELED)
        .execution_options(synchronize_session=False))
    return _count(result)


def claim(session: Session, task_id: int, now: datetime) -> ScheduledTask | None:
    """Take the task to run now if it is due and nobody holds it; None otherwise."""
    result = session.execute(
        update(ScheduledTask)
        .where(ScheduledTask.id == task_id, ScheduledTask.due_at <= now,
               or_(ScheduledTask.status == TaskStatus.PENDING,
                   (ScheduledTask.status == TaskStatus.RUNNING)
                   & (ScheduledTask.lease_until < now)))
        .values(status=TaskStatus.RUNNING, lease_until=now + LEASE,
                attempts=ScheduledTask.attempts + 1)
        .execution_options(synchronize_session=False))
    if _count(result) != 1:
        return None
    return session.get(ScheduledTask, task_id, populate_existing=True)


def due(conn: Connection, now: datetime, limit: int = 100) -> list[int]:
    """Tasks due and free to claim (the sweep queues a RUN_TASK job for each)."""
    table = cast(Table, ScheduledTask.__table__)
    rows = conn.execute(
        select(table.c.id).where(
            table.c.due_at <= now,
            or_(table.c.status == TaskStatus.PENDING.value,
                (table.c.status == TaskStatus.RUNNING.value) & (table.c.lease_until < now)))
        .order_by(table.c.due_at).limit(limit))
    return list(rows.scalars())


def run(runtime: Runtime, task_id: int, handlers: dict[str, Handler]) -> bool:
    """Claim the task and run its handler with it, in one transaction; True if it ran.

    A failing handler leaves nothing behind; the task is tried again later (BACKOFF), and
    after MAX_ATTEMPTS it is marked failed with the reason, for `hotline jobs --failed`. The
    row keeps the retries, so the job itself succeeds (RQ would only retry it into a claim
    that finds the task not due); it raises only when the failure could not be recorded.
    """
    now = runtime.clock()
    try:
        with runtime.transaction() as session:
            task = claim(session, task_id, now)
            if task is None:
                return False
            handler = handlers.get(task.kind)
            if handler is None:
                raise LookupError(f"no handler for scheduled work {task.kind!r}")
            handler(session, runtime, task)
            if task.status is TaskStatus.RUNNING:     # a handler may reschedule itself
                task.status, task.finished_at, task.lease_until = TaskStatus.DONE, now, None
        return True
    except Exception as exc:
        log.warning("scheduled task %s failed: %s", task_id, mask_numbers(str(exc)))
        _failed(runtime, task_id, exc, now)
        return False


def _failed(runtime: Runtime, task_id: int, exc: Exception, now: datetime) -> None:
    with runtime.transaction() as session:
        task = session.get(ScheduledTask, task_id)
        if task is None:
            return
        attempts = task.attempts + 1
        task.attempts = attempts
        task.last_error = mask_numbers(f"{type(exc).__name__}: {exc}")[:2000]
        task.lease_until = None
        if attempts >= MAX_ATTEMPTS:
            task.status = TaskStatus.FAILED
            task.finished_at = now
            log.error("scheduled %s %s failed for good: %s", task.kind, task.id, exc)
            return
        task.status = TaskStatus.PENDING
        task.due_at = now + BACKOFF[min(attempts, len(BACKOFF)) - 1]
        _wake(session, task, now)


def overdue(conn: Connection, now: datetime) -> list[int]:
    """Tasks whose own job should have run them by now (the sweep's share)."""
    return due(conn, now - SWEEP_GRACE)


def sweep(runtime: Runtime, task_ids: Sequence[int]) -> None:
    """Queue a RUN_TASK job for each overdue task the sweep found (hotline.work.sweeps)."""
    for task_id in task_ids:
        runtime.submit(jobs.RUN_TASK, task_id, key=f"task-{task_id}-sweep")


def retry(session: Session, task_id: int, now: datetime) -> ScheduledTask | None:
    """Run a failed task again now (`hotline jobs retry`); None if it is not failed."""
    task = session.get(ScheduledTask, task_id)
    if task is None or task.status is not TaskStatus.FAILED:
        return None
    task.status, task.attempts, task.due_at, task.finished_at = (
        TaskStatus.PENDING, 0, now, None)
    _wake(session, task, now)
    return task


def reschedule(session: Session, task: ScheduledTask, due_at: datetime, now: datetime) -> None:
    """From inside its handler: run this task again at `due_at` instead of finishing it."""
    task.status, task.due_at, task.lease_until = TaskStatus.PENDING, due_at, None
    _wake(session, task, now)


def _count(result: Any) -> int:
    count: int = result.rowcount
    return count
