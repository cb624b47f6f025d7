"""A `hotline worker` without its RQ worker: the heartbeat and the new-call listener only.

    python bench/_listener.py          # configured by the same HOTLINE_* variables as the app

While it runs, producers see a live worker, so on PostgreSQL the app leaves each new call for
the workers and NOTIFYs them; the listener claims the calls and queues their DISPATCH_CALLS
jobs on RQ, where nothing takes them. So the webhook round measures the webhook and the
hand-off to the workers, not the ringing. SIGTERM stops it.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

from redis import Redis

from hotline.rqjobs import Companion
from hotline.runtime import build_runtime
from hotline.settings import load_settings


def main() -> None:
    settings = load_settings()
    runtime = build_runtime(settings)
    stop = threading.Event()

    def on_term(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_term)
    companion = Companion(runtime, Redis.from_url(settings.queue.redis_url)).start()
    stop.wait()
    companion.stop()
    runtime.engine.dispose()


if __name__ == "__main__":
    main()
