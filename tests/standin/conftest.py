"""Fixtures for the stand-in's tests: Twilio's OpenAPI file, fetched once and cached."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.standin.openapi import ensure_spec


@pytest.fixture(scope="session")
def twilio_spec_path(pytestconfig: pytest.Config) -> Path:
    """twilio_api_v2010.json from $HOTLINE_TWILIO_OPENAPI, ./.cache (git-ignored), or npm."""
    return ensure_spec(pytestconfig.rootpath / ".cache" / "twilio-openapi")
