"""The audit log: every change from the web or the CLI, append-only and hash-chained."""
