"""The safety net under after-the-call work: what a lost job would have left undone.

Every piece of it is a row first (a scheduled task, a text to send) and a job second, so
a flushed Redis, a killed worker or a restarted web process delays it and never loses it.
Every SWEEP_SECONDS one process (each `hotline worker`, or on the embedded default each web
process) reads, in one transaction, the rows overdue for their job and queues them again.
Running the same row twice is harmless: each is claimed before it is done. The first
sweep of each day also schedules the day's retention run (hotline.work.retention), and a
sweep that finds the hour's reminder planning or the next gap digests missing schedules
them (hotline.reminders.planning).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection

from hotline.jobs import DISPATCH_CALLS
from hotline.logs import incoming
from hotline.reminders.planning import missing, plan_ahead
from hotline.texts import outbox
from hotline.work import retention, schedule

if TYPE_CHECKING:
    from hotline.runtime import Runtime

SWEEP_SECONDS = 30.0


def sweep(runtime: Runtime) -> int:
    """Queue again whatever is overdue, and dispatch any new call left for the workers
    whose notification was lost; how many. Schedule this hour's reminder planning and the
    next gap digests if they are not yet (read in the same transaction)."""
    now = runtime.clock()
    retention.schedule_daily(runtime, now)

    def overdue(conn: Connection) -> tuple[list[int], list[int], list[int], bool]:
        return (schedule.overdue(conn, now), outbox.overdue(conn, now),
                incoming.claim_awaiting(conn), missing(conn, now))

    tasks, texts, calls, unplanned = runtime.atomic.run(overdue, together=True)
    if unplanned:
        with runtime.transaction() as session:
            plan_ahead(session, now)
    schedule.sweep(runtime, tasks)
    outbox.sweep(runtime, texts)
    if calls:
        runtime.submit(DISPATCH_CALLS, *calls, key=f"dispatch-calls-{calls[0]}")
    return len(tasks) + len(texts) + len(calls)
