from __future__ import annotations

import logging

import pytest

from hotline.logconfig import configure_logging
from hotline.privacy import MaskingFormatter, Privacy, mask, mask_numbers


def test_mask_keeps_last_four_only() -> None:
    assert mask("+16175550123") == "***0123"
    assert mask(None) == "anonymous"
    assert mask("12") == "***"


def test_mask_numbers_in_text_leaves_sids_and_dates() -> None:
    text = "call CA0123456789abcdef from +16175550123 at 2026-03-08 07:30:00 id 42"
    assert mask_numbers(text) == (
        "call CA0123456789abcdef from ***0123 at 2026-03-08 07:30:00 id 42"
    )


def test_encrypt_round_trip_and_keyed_digest() -> None:
    p = Privacy("a-secret-of-some-length")
    token = p.encrypt("+16175550123")
    assert "6175550123" not in token
    assert p.decrypt(token) == "+16175550123"
    assert Privacy("another-secret-entirely").decrypt(token) is None
    assert p.digest("+1 617 555 0123") == p.digest("+16175550123")
    assert p.digest("+16175550123") != Privacy("another-secret-entirely").digest("+16175550123")
    assert "6175550123" not in p.digest("+16175550123")


def test_log_lines_are_masked(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO")
    handler = next(
        h for h in logging.getLogger().handlers if isinstance(h.formatter, MaskingFormatter)
    )
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "from %s", ("+16175550123",), None)
    line = handler.format(record)
    assert "+16175550123" not in line
    assert "***0123" in line
