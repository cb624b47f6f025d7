"""The menus at the webhook edge: signed requests, parsed TwiML, a voice for each language."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.app import create_app
from hotline.logs.models import Call
from hotline.runtime import Runtime
from tests.conftest import RecordingTelephony, RuntimeFactory
from tests.flows.harness import seed_chapter
from tests.voice.test_webhooks import SID, incoming_form, parse, post

ANN = "+16175550111"


@pytest.fixture
def rt(make_runtime: RuntimeFactory) -> Runtime:
    runtime = make_runtime(telephony=RecordingTelephony())
    seed_chapter(runtime, {1: [ANN]}, languages=["en-US", "es-US"],
                 experiences=[{"key": "loss-of-child", "prompt": "If you have lost a child"}])
    return runtime


@pytest.fixture
def app(rt: Runtime) -> Flask:
    return create_app(runtime=rt)


def choose(app: Flask, rt: Runtime, step: str, digits: str) -> Any:
    with rt.sessions() as session:
        call_id = session.scalar(select(Call.id).where(Call.call_sid == SID))
    return post(app, f"/voice/calls/{call_id}/choice/{step}",
                {"CallSid": SID, "Digits": digits})


def test_the_language_menu_greets_in_the_first_and_offers_the_others_in_their_voice(
    app: Flask, rt: Runtime,
) -> None:
    root = parse(post(app, "/voice/incoming", incoming_form()).data)
    gather = root.find("Gather")
    assert gather is not None and root.find("Enqueue") is None      # nobody rung yet
    assert gather.get("numDigits") == "1" and gather.get("actionOnEmptyResult") == "true"
    assert gather.get("action", "").endswith("/choice/language")
    says = [(s.text, s.get("language"), s.get("voice")) for s in gather.findall("Say")]
    assert says == [("Thank you for calling Boston Bereavement Line.", "en-US", "Polly.Joanna"),
                    ("Para español, marque 2.", "es-US", "Polly.Lupe")]
    redirect = root.find("Redirect")            # no key: the same action, carried on
    assert redirect is not None and redirect.text == gather.get("action")
    again = parse(post(app, "/voice/incoming", incoming_form()).data)   # a retried webhook
    assert again.find("Gather") is not None and again.find("Enqueue") is None
    with rt.sessions() as session:
        call = session.scalar(select(Call).where(Call.call_sid == SID))
        assert call is not None and call.chosen_at is None and call.language is None


def test_then_the_experience_menu_in_the_language_chosen_then_the_line(
    app: Flask, rt: Runtime,
) -> None:
    post(app, "/voice/incoming", incoming_form())
    root = parse(choose(app, rt, "language", "2").data)
    says = [(s.text, s.get("language"), s.get("voice")) for s in root.iter("Say")]
    assert says[0] == ("Para hablar con un voluntario que comparte su experiencia, escuche las "
                       "opciones.", "es-US", "Polly.Lupe")
    assert ("If you have lost a child, press 1.", "en-US", "Polly.Joanna") in says
    assert root.find("Gather").get("action", "").endswith("/choice/experience")  # type: ignore[union-attr]
    root = parse(choose(app, rt, "experience", "1").data)
    assert root.find("Enqueue") is not None and root.find("Enqueue").text == SID  # type: ignore[union-attr]
    with rt.sessions() as session:
        call = session.scalar(select(Call).where(Call.call_sid == SID))
        assert call is not None and call.chosen_at is not None
        assert (call.language, call.experience) == ("es-US", "loss-of-child")
        assert call.plan and call.plan[0]["volunteers"][0]["languages"] == []
    # A replayed choice changes nothing: the caller is put in the same line again.
    again = parse(choose(app, rt, "experience", "").data)
    assert again.find("Enqueue").text == SID  # type: ignore[union-attr]
    with rt.sessions() as session:
        call = session.scalar(select(Call).where(Call.call_sid == SID))
        assert call is not None and call.experience == "loss-of-child"


def test_a_key_the_menu_lacks_is_nothing_pressed(app: Flask, rt: Runtime) -> None:
    post(app, "/voice/incoming", incoming_form())
    choose(app, rt, "language", "7")
    choose(app, rt, "experience", "9")
    with rt.sessions() as session:
        call = session.scalar(select(Call).where(Call.call_sid == SID))
        assert call is not None and (call.language, call.experience) == ("en-US", None)


def test_bad_menu_requests_are_refused_with_4xx(app: Flask, rt: Runtime) -> None:
    post(app, "/voice/incoming", incoming_form())
    assert choose(app, rt, "colour", "1").status_code == 404
    assert choose(app, rt, "language", "1x").status_code == 400
    assert app.test_client().post("/voice/calls/1/choice/language",
                                  data={"CallSid": SID}).status_code == 403
