"""The web app's words can be translated: the catalogue (messages.pot) holds every string the
app shows, the domain's refusals included, and a chapter's catalogue reaches the page."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

import hotline.web
from hotline.app import create_app
from hotline.runtime import Runtime
from tests.web.helpers import PASSWORD, csrf, sign_in

ROOT = Path(__file__).resolve().parents[2]
POT = ROOT / "hotline" / "web" / "translations" / "messages.pot"
# The README's command (section "The web app"), run from the repository's root.
EXTRACT = ["pybabel", "-q", "extract", "-F", "hotline/web/babel.cfg", "-k", "_l", "-o"]


def msgids(path: Path) -> set[str]:
    with path.open("rb") as handle:
        return {str(message.id) for message in read_po(handle) if message.id}


@pytest.fixture
def at_root() -> Iterator[None]:
    here = Path.cwd()
    os.chdir(ROOT)
    try:
        yield
    finally:
        os.chdir(here)


def test_messages_pot_is_what_extraction_finds_now(tmp_path: Path, at_root: None) -> None:
    fresh = tmp_path / "messages.pot"
    CommandLineInterface().run([*EXTRACT, str(fresh), "hotline"])
    found, committed = msgids(fresh), msgids(POT)
    assert "end must be after start" in found, "the domain's refusals are not extracted"
    missing, stale = sorted(found - committed), sorted(committed - found)
    assert not missing and not stale, (
        f"messages.pot is out of date: missing {missing[:5]}, stale {stale[:5]}; run "
        f"{' '.join(EXTRACT)} hotline/web/translations/messages.pot hotline")


SPANISH = {
    "end must be after start": "el final debe ser posterior al inicio",
    "Use at least %(count)s characters.": "Usa al menos %(count)s caracteres.",
    "emergency_line must be E.164 (like +18002738255) or empty":
        "emergency_line debe estar en formato E.164 (como +18002738255) o vacío",
    "%(key)s must be %(low)s to %(high)s seconds":
        "%(key)s debe estar entre %(low)s y %(high)s segundos",
    "phone %(phone)r %(problem)s": "el teléfono %(phone)r %(problem)s",
    "%(problem)s (like +16175550111)": "%(problem)s (como +16175550111)",
    "is not E.164: write + and the country code first":
        "no está en formato E.164: escribe + y el código del país primero",
}


@pytest.fixture
def spanish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seeded: Runtime) -> FlaskClient:
    """The app with a Spanish catalogue, and a client whose browser asks for Spanish."""
    catalog = Catalog(locale="es")
    for english, spanish in SPANISH.items():
        catalog.add(english, spanish, flags=("python-format",) if "%(" in english else ())
    folder = tmp_path / "es" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.mo").open("wb") as handle:
        write_mo(handle, catalog)
    monkeypatch.setattr(hotline.web, "TRANSLATIONS", tmp_path)
    client = create_app(runtime=seeded).test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    return client


def test_a_domain_refusal_reaches_the_page_in_the_readers_language(spanish: FlaskClient) -> None:
    assert sign_in(spanish, "ann").status_code == 302
    page = spanish.get("/me").data.decode()
    refused = spanish.post("/me/unavailable", data={
        "csrf_token": csrf(page), "away-start": "2026-12-20T18:00", "away-end": "2026-12-20T09:00"})
    assert refused.status_code == 400
    assert "el final debe ser posterior al inicio" in refused.data.decode()


def test_a_refusal_with_values_is_translated_then_filled_in(spanish: FlaskClient) -> None:
    assert sign_in(spanish, "ann").status_code == 302
    page = spanish.get("/account").data.decode()
    refused = spanish.post("/account/password", data={
        "csrf_token": csrf(page), "pw-current": PASSWORD, "pw-password": "short",
        "pw-confirm": "short"})
    assert "Usa al menos 10 caracteres." in refused.data.decode()


def test_settings_and_volunteer_refusals_are_translated_field_by_field(
    spanish: FlaskClient,
) -> None:
    """The rota file's own checks (shared with `rota import`, which prints them in English)
    reach the settings page and the volunteer form in the reader's language, each part of a
    composed reason translated on its own."""
    assert sign_in(spanish, "boston").status_code == 302
    url = "/chapters/boston-grief/settings"
    values = {"greeting": "Hola", "hold_message": "Espere", "hours_text": "Tardes",
              "emergency_line": "911", "ring_strategy": "all", "ring_timeout_seconds": 20,
              "max_wait_seconds": 90, "wave_timeout_seconds": 30, "accept_mode": "press1",
              "language": "es-US", "max_holding": 100, "max_calls_per_caller": 2,
              "alert_unclaimed_minutes": 30, "callback_delays_minutes": "5, 30, 120",
              "callback_hours": "09:00-20:00", "reminder_hours": "24", "callback_greeting": ""}
    page = spanish.post(url, data={"csrf_token": csrf(spanish.get(url).data), **values})
    text = page.data.decode()
    assert "emergency_line debe estar en formato E.164" in text
    assert "must be E.164" not in text
    url = "/chapters/boston-grief/volunteers"
    page = spanish.post(url, data={"csrf_token": csrf(spanish.get(url).data), "name": "Zoe",
                                   "phone": "617-555-0199", "languages": "", "experiences": ""})
    text = page.data.decode()
    assert ("el teléfono &#39;617-555-0199&#39; no está en formato E.164: escribe + y el "
            "código del país primero (como +16175550111)") in text, text[-3000:]
