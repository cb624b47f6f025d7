"""The kinds of scheduled work; workers/tasks.py maps each to the function that does it (a
test checks every kind has one)."""

FOLLOWUP_ATTEMPT = "followup_attempt"          # a call-back or check-in attempt is due
ATTEMPT_DEADLINE = "attempt_deadline"          # nobody took an attempt in time: close it
VOICEMAIL_UNCLAIMED = "voicemail_unclaimed"    # tell the coordinators nobody took it
CALLBACK_UNCLAIMED = "callback_unclaimed"      # ... nor this call-back request
PLAN_REMINDERS = "plan_reminders"              # a chapter's shift reminders for one hour slot
SHIFT_UNCONFIRMED = "shift_unconfirmed"        # no YES yet, the shift is close: coordinators
GAP_DIGEST = "gap_digest"                      # the coordinators' daily digest of gaps
RETENTION = "retention"                        # the day's retention run (hotline.work.retention)

ALL_KINDS = (FOLLOWUP_ATTEMPT, ATTEMPT_DEADLINE, VOICEMAIL_UNCLAIMED, CALLBACK_UNCLAIMED,
             PLAN_REMINDERS, SHIFT_UNCONFIRMED, GAP_DIGEST, RETENTION)
