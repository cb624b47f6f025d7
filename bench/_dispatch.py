"""A worker's dispatcher for the bench: claims new calls onto the fast lane, runs no job.

    python bench/_dispatch.py          # configured by the same HOTLINE_* variables as the app

While it runs the lane is open (its heartbeat), so the app leaves new calls in the database;
it claims them every 0.2 s, as `hotline worker` does, and pushes them to the lane, where no
thread takes them. So its cost is in the measurement and the ringing itself is not. SIGTERM
stops it.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

from redis import Redis

from hotline.calls.flow import ring_new_calls
from hotline.fastlane import FastLane
from hotline.runtime import build_runtime
from hotline.settings import load_settings


def main() -> None:
    settings = load_settings()
    runtime = build_runtime(settings)
    stop = threading.Event()

    def on_term(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    def never(name: str, _args: tuple[Any, ...]) -> None:
        raise RuntimeError(f"{name}: the bench's dispatcher runs no job")

    signal.signal(signal.SIGTERM, on_term)
    lane = FastLane(Redis.from_url(settings.queue.redis_url), settings.queue.name)
    server = lane.serve(never, never, threads=0, poll=lambda: ring_new_calls(runtime))
    stop.wait()
    server.stop()
    runtime.engine.dispose()


if __name__ == "__main__":
    main()
