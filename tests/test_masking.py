"""Numbers and secrets never reach a log line, in whatever form they are written."""

from __future__ import annotations

import logging
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.privacy import Redacting, mask_numbers, redact


@pytest.mark.parametrize("written", [
    "+15551234567", "15551234567", "%2B15551234567", "%2b15551234567",
    "+1 (555) 123-4567", "+1 555 123 4567", "+1-555-123-4567", "+1.555.123.4567",
    "(555) 123-4567", "555-123-4567", "555.123.4567", "1-555-123-4567",
    "+1%20555%20123%204567", "%2B1%20%28555%29%20123-4567",
])
def test_every_form_of_a_number_is_masked(written: str) -> None:
    line = f"call from {written} refused"
    assert mask_numbers(line) == "call from ***4567 refused"


@pytest.mark.parametrize("written", ["+44 20 7946 0958", "020 7946 0958", "+442079460958"])
def test_other_countries_forms_are_masked(written: str) -> None:
    assert mask_numbers(f"[{written}]") == "[***0958]"


@pytest.mark.parametrize("line", [
    "2026-11-30 18:31:45,138 WARNING hotline.voice.views: refused POST /voice/incoming",
    '127.0.0.1 "POST /voice/calls/12/hold HTTP/1.1" 200 65536 0.012345s',
    '192.168.100.200 "GET /healthz HTTP/1.1" 503 17 0.0012s',
    "call CA0123456789abcdef0123456789abcdef at 2026-03-08T07:30:00+00:00, leg 12",
    "job 123e4567-e89b-12d3-a456-426614174000 took 1.5 s; QueueTime=12 Digits=1234",
])
def test_what_only_looks_like_a_number_is_kept(line: str) -> None:
    assert mask_numbers(line) == line


def test_two_numbers_side_by_side_are_both_masked() -> None:
    assert mask_numbers("15551234567 15559876543") == "***4567 ***6543"
    assert mask_numbers("+16175550123,+16175550124") == "***0123,***0124"


_SEPARATORS = st.sampled_from([" ", "-", ".", ""])


@given(area=st.integers(200, 999), exchange=st.integers(200, 999),
       line=st.integers(0, 9999), sep=_SEPARATORS, plus=st.booleans(), encode=st.booleans())
def test_no_written_number_survives(area: int, exchange: int, line: int, sep: str,
                                    plus: bool, encode: bool) -> None:
    digits = f"{area}{exchange}{line:04d}"
    written = f"{'+1 ' if plus else ''}({area}){sep}{exchange}{sep or '-'}{line:04d}"
    if encode:
        written = quote(written, safe="")
    masked = mask_numbers(f"From={written}&To=x")
    assert digits not in "".join(c for c in masked if c.isdigit() or c == "*")
    assert f"***{line:04d}" in masked


def test_secret_tokens_and_url_passwords_are_taken_out() -> None:
    line = ('"GET /calendar/Zm9vYmFy-_x.ics HTTP/1.1" "GET /set-password/abc123 HTTP/1.1" '
            "redis://:s3cret@redis.internal:6379/0 postgresql://hotline:pw@db/hotline")
    out = redact(line)
    for secret in ("Zm9vYmFy-_x", "abc123", "s3cret", ":pw@"):
        assert secret not in out
    assert "/calendar/***.ics" in out and "/set-password/***" in out


def test_another_loggers_formatter_is_wrapped() -> None:
    """gunicorn's access and error logs keep their own format, redacted."""
    inner = logging.Formatter('%(message)s "%(name)s"')
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1,
                               "GET /calendar/%s.ics from %s", ("tok3n", "%2B15551234567"),
                               None)
    assert Redacting(inner).format(record) == 'GET /calendar/***.ics from ***4567 "gunicorn.access"'
