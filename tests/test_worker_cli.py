"""`hotline worker` runs queued jobs from Redis (skipped without HOTLINE_TEST_REDIS_URL)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.conftest import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, redis_url_from_env
from tests.test_cli import run


def touch(path: str) -> None:
    Path(path).write_text("ran")


def test_worker_burst_runs_a_queued_job(clean_database_url: str, tmp_path: Path) -> None:
    redis_url = redis_url_from_env()
    if not redis_url:
        pytest.skip("HOTLINE_TEST_REDIS_URL not set")
    from redis import Redis
    from rq import Queue

    name = f"hotline-test-{uuid.uuid4().hex[:8]}"
    marker = tmp_path / "marker"
    queue = Queue(name, connection=Redis.from_url(redis_url))
    queue.enqueue("tests.test_worker_cli.touch", str(marker))
    try:
        result = run(
            ["worker", "--burst"], tmp_path,
            HOTLINE_DATABASE_URL=clean_database_url, HOTLINE_QUEUE_REDIS_URL=redis_url,
            HOTLINE_QUEUE_NAME=name, HOTLINE_APP_SECRET_KEY="s" * 20,
            HOTLINE_PRIVACY_KEY="p" * 20, HOTLINE_TWILIO_ACCOUNT_SID=TEST_ACCOUNT_SID,
            HOTLINE_TWILIO_AUTH_TOKEN=TEST_AUTH_TOKEN,
        )
    finally:
        queue.delete(delete_jobs=True)
    assert result.returncode == 0, result.stderr
    assert marker.read_text() == "ran"


def test_worker_with_unreachable_redis_is_one_line(tmp_path: Path) -> None:
    result = run(
        ["worker"], tmp_path,
        HOTLINE_QUEUE_REDIS_URL="redis://127.0.0.1:1/0", HOTLINE_APP_SECRET_KEY="s" * 20,
        HOTLINE_PRIVACY_KEY="p" * 20, HOTLINE_TWILIO_ACCOUNT_SID=TEST_ACCOUNT_SID,
        HOTLINE_TWILIO_AUTH_TOKEN=TEST_AUTH_TOKEN,
    )
    assert result.returncode == 2
    assert result.stderr.strip().startswith("hotline: queue.redis_url: cannot reach Redis")
    assert len(result.stderr.strip().splitlines()) == 1
