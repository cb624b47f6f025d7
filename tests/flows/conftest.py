"""Flow tests run once per reading of what Twilio's documentation leaves open."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.flows import harness


@pytest.fixture(autouse=True, params=harness.READINGS, ids=[r.name for r in harness.READINGS])
def twilio_reading(request: pytest.FixtureRequest) -> Iterator[harness.Reading]:
    """Plays the flow under one reading of the stand-in's switches."""
    reading: harness.Reading = request.param
    saved, harness.READING = harness.READING, reading
    try:
        yield reading
    finally:
        harness.READING = saved
