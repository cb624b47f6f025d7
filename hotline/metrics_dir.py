"""Where metrics live outside a scrape: the web processes' sample folder (multiprocess
mode) and the workers' job counts in Redis."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def jobs_key(queue_name: str) -> str:
    """The Redis hash where workers count jobs: "job:outcome" -> runs and "job:seconds" ->
    time spent (hotline.rqjobs.job_done; hotline.metrics reads it, with no prometheus
    import in the worker)."""
    return f"hotline:{queue_name}:jobs-run"


def metrics_dir() -> contextlib.AbstractContextManager[str]:
    """A fresh private folder, named in PROMETHEUS_MULTIPROC_DIR for this process and the
    ones it forks, removed when the server stops. Call it before prometheus_client is
    imported: the client picks its mode at import."""
    path = tempfile.mkdtemp(prefix="hotline-metrics-")
    os.environ[MULTIPROC_ENV] = path
    return _removing(path, os.getpid())


@contextlib.contextmanager
def _removing(path: str, owner: int) -> Iterator[str]:
    try:
        yield path
    finally:
        # A forked web process leaves by SystemExit through this same stack: only the
        # process that made the folder removes it.
        if os.getpid() == owner:
            os.environ.pop(MULTIPROC_ENV, None)
            shutil.rmtree(path, ignore_errors=True)
