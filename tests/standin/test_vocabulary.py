"""The TwiML check accepts what twilio-python builds and refuses what it does not know."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from twilio.twiml.voice_response import Dial, Enqueue, Gather, VoiceResponse

from hotline.standin.vocabulary import TwimlError, check_twiml, voice_vocabulary


def menu() -> VoiceResponse:
    response = VoiceResponse()
    gather = Gather(num_digits=1, action="/voice/menu", timeout=5, action_on_empty_result=True)
    gather.say("Press 1 to take a call from the Boston line.", language="en-US", voice="alice")
    gather.pause(length=1)
    response.append(gather)
    response.say("We did not hear a key.")
    response.hangup()
    return response


def hold() -> VoiceResponse:
    response = VoiceResponse()
    response.say("Please hold while we find someone to talk to.")
    response.play("https://hotline.test/hold.mp3", loop=1)
    response.pause(length=2)
    response.redirect("/voice/hold", method="POST")
    return response


def enqueue() -> VoiceResponse:
    response = VoiceResponse()
    response.append(
        Enqueue("CA0123", wait_url="/voice/wait", wait_url_method="POST", action="/voice/left")
    )
    return response


def leave() -> VoiceResponse:
    response = VoiceResponse()
    response.leave()
    return response


def reject() -> VoiceResponse:
    response = VoiceResponse()
    response.reject(reason="rejected")
    return response


def bridge() -> VoiceResponse:
    response = VoiceResponse()
    dial = Dial(action="/voice/bridged", answer_on_bridge=True)
    dial.queue("CA0123", url="/voice/whisper")
    response.append(dial)
    return response


def plain_dial() -> VoiceResponse:
    response = VoiceResponse()
    dial = Dial(caller_id="+16175550100", answer_on_bridge=True, action="/voice/dialed", timeout=20)
    dial.number(
        "+16175550111",
        url="/voice/screen",
        status_callback="/voice/leg",
        status_callback_event="initiated ringing answered completed",
    )
    dial.number("+16175550112")
    response.append(dial)
    return response


def voicemail() -> VoiceResponse:
    response = VoiceResponse()
    response.say("Leave a message after the tone.", language="es-US")
    response.record(
        max_length=120,
        action="/voice/recorded",
        recording_status_callback="/voice/recording",
        recording_status_callback_event="completed",
        play_beep=True,
    )
    return response


@pytest.mark.parametrize(
    "build", [menu, hold, enqueue, leave, reject, bridge, plain_dial, voicemail]
)
def test_accepts_what_the_app_builds(build: Callable[[], VoiceResponse]) -> None:
    root = check_twiml(build().to_xml())
    assert root.tag == "Response"
    assert len(root) >= 1


def test_returns_the_parsed_tree() -> None:
    root = check_twiml(menu().to_xml())
    gather = root.find("Gather")
    assert gather is not None
    assert gather.get("numDigits") == "1"
    assert gather.get("actionOnEmptyResult") == "true"
    assert [child.tag for child in gather] == ["Say", "Pause"]


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        (
            '<Response><Gather numdigits="1"/></Response>',
            "TwiML <Gather> has attribute 'numdigits' that twilio-python does not know "
            "(did you mean 'numDigits'?)",
        ),
        ('<Response><Gather num_digits="1"/></Response>', "'num_digits'"),
        ('<Response><Say voice="alice" colour="red">Hi</Say></Response>', "'colour'"),
        (
            '<Response><Dial><Number statusCallbackEvent="x" urll="/a">+1</Number>'
            "</Dial></Response>",
            "did you mean 'url'",
        ),
        ("<Response><Sya>Hello</Sya></Response>", "<Sya> is unknown to twilio-python"),
        ("<Response><Hangup/><Frobnicate/></Response>", "<Frobnicate> is unknown"),
        ("<Response><Say><Gather/></Say></Response>", "<Gather> cannot be inside <Say>"),
        ("<Response><Gather><Dial>+1</Dial></Gather></Response>", "<Dial> cannot be inside"),
        ("<Response><Number>+16175550111</Number></Response>", "nests it in <Dial>"),
        ("<Response><Enqueue><Leave/></Enqueue></Response>", "<Leave> cannot be inside <Enqueue>"),
        ("<Say>Hello</Say>", "root is <Say>, not <Response>"),
        ("<Response><Say>Hi</Response>", "not well-formed"),
        ("<Response><Hangup>now</Hangup></Response>", "<Hangup> has text 'now'"),
        ("<Response>stray words<Hangup/></Response>", "<Response> has text 'stray words'"),
    ],
)
def test_rejects_what_twilio_python_does_not_know(xml: str, expected: str) -> None:
    with pytest.raises(TwimlError) as caught:
        check_twiml(xml)
    assert expected in str(caught.value)


def test_python_list_attribute_is_flagged() -> None:
    response = VoiceResponse()
    dial = Dial()
    # The pitfall itself: twilio-python writes the list with str().
    dial.number("+16175550111", status_callback_event=["ringing", "answered"])
    response.append(dial)
    with pytest.raises(TwimlError, match=r"statusCallbackEvent.*Python list.*space-separated"):
        check_twiml(response.to_xml())


def test_error_says_where() -> None:
    with pytest.raises(TwimlError, match=r"at /Response/Gather\[2\]/Say\[1\]"):
        check_twiml('<Response><Hangup/><Gather><Say lang="en">Hi</Say></Gather></Response>')


def test_ssml_inside_say_and_xml_lang() -> None:
    response = VoiceResponse()
    say = response.say("Hello")
    say.lang("Hola", xml_lang="es-US")
    say.break_(time="1s")
    root = check_twiml(response.to_xml())
    said = root.find("Say")
    assert said is not None
    assert [(c.tag, c.attrib) for c in said] == [
        ("lang", {"{http://www.w3.org/XML/1998/namespace}lang": "es-US"}),
        ("break", {"time": "1s"}),
    ]


def test_vocabulary_follows_twilio_python_naming() -> None:
    vocabulary = voice_vocabulary()
    assert vocabulary.root.tag == "Response"
    assert "numDigits" in vocabulary.root.children["Gather"].attributes
    assert "waitUrl" in vocabulary.root.children["Enqueue"].attributes
    assert "from" in vocabulary.root.children["Sms"].attributes  # from_ -> from
    assert vocabulary.parents_of("Number") == ["Dial"]
    assert voice_vocabulary() is vocabulary
