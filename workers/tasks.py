"""Scheduled work: RUN_TASK claims one task and runs what its kind says, once."""

from __future__ import annotations

from hotline.alerts.alerts import callback_unclaimed, voicemail_unclaimed
from hotline.calls.attempts import attempt_deadline, run_attempt
from hotline.reminders.digests import send_digest
from hotline.reminders.shifts import plan_reminders, shift_unconfirmed
from hotline.runtime import Runtime
from hotline.work import kinds, sweeps
from hotline.work.retention import run_retention
from hotline.work.schedule import Handler, run

HANDLERS: dict[str, Handler] = {
    kinds.FOLLOWUP_ATTEMPT: run_attempt,
    kinds.ATTEMPT_DEADLINE: attempt_deadline,
    kinds.VOICEMAIL_UNCLAIMED: voicemail_unclaimed,
    kinds.CALLBACK_UNCLAIMED: callback_unclaimed,
    kinds.PLAN_REMINDERS: plan_reminders,
    kinds.SHIFT_UNCONFIRMED: shift_unconfirmed,
    kinds.GAP_DIGEST: send_digest,
    kinds.RETENTION: run_retention,
}


def run_task(runtime: Runtime, task_id: int) -> None:
    """RUN_TASK: do the task if it is due and nobody else is doing it (safe to run twice)."""
    run(runtime, task_id, HANDLERS)


def sweep(runtime: Runtime) -> None:
    """SWEEP: queue again the scheduled work and texts whose jobs were lost; keep the
    reminders' planning ahead."""
    sweeps.sweep(runtime)
