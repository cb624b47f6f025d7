"""Outbound placement throttle: shared through Redis, kept within the process without it."""

from __future__ import annotations

import time

import pytest

from hotline.throttle import SLOT_KEY, Throttle
from tests.conftest import redis_url_from_env


def test_without_redis_the_rate_is_kept_in_the_process() -> None:
    throttle = Throttle("", 10.0)
    started = time.monotonic()
    for _ in range(4):
        throttle.wait()
    assert time.monotonic() - started >= 0.28           # three gaps of 100 ms


def test_off_never_waits() -> None:
    throttle = Throttle.off()
    assert all(throttle.wait() == 0.0 for _ in range(5))


def test_redis_unreachable_keeps_the_rate_locally(caplog: pytest.LogCaptureFixture) -> None:
    throttle = Throttle("redis://127.0.0.1:1/0", 10.0)
    started = time.monotonic()
    for _ in range(3):
        throttle.wait()
    assert 0.18 <= time.monotonic() - started < 5
    assert caplog.text.count("keeping the rate within this process") == 1   # once, not per call


@pytest.mark.skipif(not redis_url_from_env(), reason="HOTLINE_TEST_REDIS_URL not set")
def test_two_throttles_share_one_rate() -> None:
    url = redis_url_from_env()
    first, second = Throttle(url, 5.0), Throttle(url, 5.0)   # two processes, 200 ms apart
    first._redis().delete(SLOT_KEY)
    started = time.monotonic()
    for throttle in (first, second, first, second):
        throttle.wait()
    assert time.monotonic() - started >= 0.55


def test_redis_down_the_processes_of_a_machine_share_one_rate(tmp_path: object) -> None:
    """Two web processes ringing while Redis is down: one file's slots, not one each."""
    import subprocess
    import sys
    from pathlib import Path

    slots = Path(str(tmp_path)) / "slots"
    script = ("import time; from pathlib import Path; from hotline.throttle import Throttle;"
              f"t = Throttle('redis://127.0.0.1:1/0', 5.0, slot_file=Path({str(slots)!r}));"
              "time.sleep(1.5 - time.time() % 1.5);"        # both start together
              "[(t.wait(), print(time.time(), flush=True)) for _ in range(3)]")
    runs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
            for _ in range(2)]
    placed = sorted(float(line) for run in runs
                    for line in run.communicate(timeout=30)[0].split())
    assert len(placed) == 6
    gaps = [b - a for a, b in zip(placed, placed[1:], strict=False)]
    assert min(gaps) >= 0.18, f"two processes placed faster than 5/s together: {gaps}"
