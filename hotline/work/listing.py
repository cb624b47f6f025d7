"""What work is waiting, running or failed, and running a failed piece again
(`hotline jobs`, `hotline jobs retry ID`).

Three places hold work: the scheduled-task table and the text outbox (the truth for
everything after the call: they keep their own retries and their own failures), and, with
`queue.redis_url` set, RQ's queue and registries (call jobs and the jobs that carry rows
out; RQ retries each and keeps the ones that failed every retry). Each item has an id that
says where it lives: `task-12`, `text-7`, `rq-<RQ's job id>`. Errors are shown with every
phone number masked (Twilio's messages may name the number).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.privacy import mask_numbers
from hotline.texts.models import OutboundText, TextStatus
from hotline.texts.outbox import retry_text
from hotline.work import schedule
from hotline.work.models import ScheduledTask, TaskStatus

LIMIT = 200      # per place and state: a listing for people, not an export
# RQ jobs that carry a database row out (hotline.jobs.RUN_TASK, SEND_TEXT): the row's kind.
CARRIES = {"workers.tasks.run_task": "task", "workers.texts.send_text": "text"}


@dataclass(frozen=True)
class WorkItem:
    id: str                  # task-N, text-N or rq-ID: what `hotline jobs retry` takes
    what: str                # the task's kind, the text's kind, or the job's name
    state: str               # pending, running, failed; queued, scheduled (RQ)
    due_at: datetime | None
    tries: int
    error: str               # why it failed (masked), for a failed one

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "what": self.what, "state": self.state,
                "due_at": self.due_at.astimezone(UTC).isoformat() if self.due_at else None,
                "tries": self.tries, "error": self.error}


class RetryError(Exception):
    """An id that names no failed work; the message says why in one line."""


def database_work(session: Session, *, failed_only: bool = False) -> list[WorkItem]:
    """Scheduled tasks and texts not done yet, or (`failed_only`) given up on."""
    task_states = ([TaskStatus.FAILED] if failed_only else
                   [TaskStatus.PENDING, TaskStatus.RUNNING, TaskStatus.FAILED])
    text_states = ([TextStatus.FAILED] if failed_only else
                   [TextStatus.INTENT, TextStatus.SENDING, TextStatus.FAILED])
    items = [WorkItem(f"task-{t.id}", t.kind, t.status.value, t.due_at, t.attempts,
                      mask_numbers(t.last_error) if t.status is TaskStatus.FAILED else "")
             for t in session.scalars(select(ScheduledTask)
                                      .where(ScheduledTask.status.in_(task_states))
                                      .order_by(ScheduledTask.due_at).limit(LIMIT))]
    items += [WorkItem(f"text-{t.id}", f"text: {t.kind}", _text_state(t.status), t.not_before,
                       t.tries, mask_numbers(t.error) if t.status is TextStatus.FAILED else "")
              for t in session.scalars(select(OutboundText)
                                       .where(OutboundText.status.in_(text_states))
                                       .order_by(OutboundText.not_before).limit(LIMIT))]
    return items


def _text_state(status: TextStatus) -> str:
    return {TextStatus.INTENT: "pending", TextStatus.SENDING: "running"}.get(status,
                                                                            status.value)


def retry_in_database(session: Session, item_id: str, now: datetime) -> WorkItem:
    """Run a failed task or text again now (its job is sent when the session commits)."""
    place, _, number = item_id.partition("-")
    if place not in ("task", "text") or not number.isdigit():
        raise RetryError(f"{item_id!r}: not a job id (task-N, text-N or rq-ID, as "
                         "`hotline jobs` lists them)")
    if place == "task":
        task = schedule.retry(session, int(number), now)
        if task is None:
            raise RetryError(f"{item_id}: no failed scheduled task has this id")
        return WorkItem(item_id, task.kind, task.status.value, task.due_at, 0, "")
    text = retry_text(session, int(number), now)
    if text is None:
        raise RetryError(f"{item_id}: no failed text has this id")
    return WorkItem(item_id, f"text: {text.kind}", "pending", text.not_before, 0, "")


def rq_work(redis: Any, queue_names: tuple[str, ...], *, failed_only: bool = False
            ) -> list[WorkItem]:
    """RQ's queued, scheduled (delayed or waiting to retry), running and failed jobs."""
    from rq import Queue
    from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

    items: list[WorkItem] = []
    for name in queue_names:
        queue = Queue(name, connection=redis)
        places: list[tuple[str, Any]] = [("failed", FailedJobRegistry(queue=queue))]
        if not failed_only:
            scheduled = ScheduledJobRegistry(queue=queue)  # type: ignore[no-untyped-call]
            places += [("queued", None), ("scheduled", scheduled),
                       ("running", StartedJobRegistry(queue=queue))]
        for state, registry in places:
            ids = (queue.get_job_ids(0, LIMIT - 1) if registry is None
                   else registry.get_job_ids(0, LIMIT - 1))
            for job in queue.job_class.fetch_many(ids, connection=redis):
                if job is not None:
                    items.append(_rq_item(job, state, registry))
    return items


def _rq_item(job: Any, state: str, registry: Any) -> WorkItem:
    due = job.enqueued_at
    if state == "scheduled":
        due = registry.get_scheduled_time(job)
    tries = 0
    if job.retries_left is not None and job.retry_intervals:
        tries = len(job.retry_intervals) - job.retries_left
    error = _rq_error(job) if state == "failed" else ""
    when = due.replace(tzinfo=UTC) if due is not None and due.tzinfo is None else due
    args = ", ".join(str(a) for a in job.args)         # row ids only (hotline.jobs)
    what = f"{job.func_name}({args})"
    if (carried := CARRIES.get(job.func_name)) and job.args:
        # The job that runs a database row: one piece of work, listed under both ids.
        what += f", runs {carried}-{job.args[0]}"
    return WorkItem(f"rq-{job.id}", what, state, when, tries, error)


def _rq_error(job: Any) -> str:
    result = job.latest_result()
    text = (getattr(result, "exc_string", None) or job._exc_info or "").strip()
    last = text.splitlines()[-1] if text else "failed (no reason kept)"
    return mask_numbers(last)[:500]


def retry_rq(redis: Any, queue_names: tuple[str, ...], job_id: str) -> WorkItem:
    """Put a failed RQ job back on its queue, its retries renewed."""
    from rq import Queue
    from rq.exceptions import InvalidJobOperation, NoSuchJobError
    from rq.registry import FailedJobRegistry

    for name in queue_names:
        registry = FailedJobRegistry(queue=Queue(name, connection=redis))
        try:
            job = registry.requeue(job_id)
        except (InvalidJobOperation, NoSuchJobError):
            continue
        return _rq_item(job, "queued", None)
    raise RetryError(f"rq-{job_id}: no failed job has this id")
