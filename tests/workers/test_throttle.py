"""Outbound placement throttle: shared through Redis, off (never blocking) without it."""

from __future__ import annotations

import time

import pytest

from hotline.calls.throttle import SLOT_KEY, Throttle
from tests.conftest import redis_url_from_env


def test_no_redis_means_no_waiting() -> None:
    assert Throttle("", 1.0).wait() == 0.0


def test_redis_unreachable_places_anyway(caplog: pytest.LogCaptureFixture) -> None:
    assert Throttle("redis://127.0.0.1:1/0", 1.0).wait() < 3
    assert "throttle off" in caplog.text


@pytest.mark.skipif(not redis_url_from_env(), reason="HOTLINE_TEST_REDIS_URL not set")
def test_two_throttles_share_one_rate() -> None:
    url = redis_url_from_env()
    first, second = Throttle(url, 5.0), Throttle(url, 5.0)   # two processes, 200 ms apart
    first._redis().delete(SLOT_KEY)
    started = time.monotonic()
    for throttle in (first, second, first, second):
        throttle.wait()
    assert time.monotonic() - started >= 0.55
