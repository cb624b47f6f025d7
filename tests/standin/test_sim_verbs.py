"""The simulator against toy apps: Say, Play, Pause, Gather, Redirect, Hangup, Reject, errors."""

from __future__ import annotations

from hotline.standin.phones import HANG_UP, listens, presses, presses_at
from tests.standin.toyapps import CALLER, HOTLINE, simulate, twiml


def test_say_then_hangup_posts_twilios_parameters_signed() -> None:
    sim, toy = simulate({"/voice/incoming": lambda f: twiml(
        "<Say>Welcome to the peer support line</Say><Hangup/>")})
    report = sim.call(CALLER, HOTLINE, caller=listens())
    assert report.heard == ("Welcome to the peer support line",)
    assert report.status == "completed"
    assert report.duration == 2.4          # six words at 2.5 words a second
    assert report.answered_at == 0.0
    (form,) = toy.at("/voice/incoming")
    assert all(r.signed for r in toy.received)
    assert form["CallStatus"] == "ringing" and form["Direction"] == "inbound"
    assert form["From"] == form["Caller"] == CALLER and form["To"] == form["Called"] == HOTLINE
    assert form["ApiVersion"] == "2010-04-01" and form["CallSid"] == report.sid
    assert form["AccountSid"].startswith("AC")


def test_gather_posts_digits_to_its_action() -> None:
    sim, toy = simulate({
        "/voice/incoming": lambda f: twiml(
            '<Gather numDigits="1" action="/voice/menu" timeout="5">'
            "<Say>Press 1 for English</Say></Gather><Say>No input</Say>"),
        "/voice/menu": lambda f: twiml(f"<Say>You chose {f['Digits']}</Say>"),
    })
    report = sim.call(CALLER, HOTLINE, caller=presses("1"))
    assert report.heard == ("Press 1 for English", "You chose 1")
    assert report.digits == ("1",)
    (menu,) = toy.at("/voice/menu")
    assert menu["Digits"] == "1" and menu["CallStatus"] == "in-progress"


def test_gather_without_input_falls_through_to_next_verb() -> None:
    sim, toy = simulate({"/voice/incoming": lambda f: twiml(
        '<Gather numDigits="1" action="/voice/menu" timeout="3"><Say>Press 1</Say></Gather>'
        "<Say>We did not get that</Say>")})
    report = sim.call(CALLER, HOTLINE, caller=listens())
    assert report.heard == ("Press 1", "We did not get that")
    assert toy.at("/voice/menu") == []
    assert report.duration == 1.0 + 3 + 2.0


def test_gather_action_on_empty_result_posts_empty_digits() -> None:
    sim, toy = simulate({
        "/voice/incoming": lambda f: twiml(
            '<Gather action="/voice/menu" actionOnEmptyResult="true" timeout="2">'
            "<Say>Press 1</Say></Gather>"),
        "/voice/menu": lambda f: twiml("<Hangup/>"),
    })
    sim.call(CALLER, HOTLINE, caller=listens())
    assert toy.at("/voice/menu")[0]["Digits"] == ""


def test_gather_finish_on_key_and_digits_at_a_fixed_time() -> None:
    sim, toy = simulate({
        "/voice/incoming": lambda f: twiml(
            '<Gather action="menu" timeout="10" finishOnKey="#"><Pause length="30"/></Gather>'),
        "/voice/menu": lambda f: twiml("<Hangup/>"),
    })
    report = sim.call(CALLER, HOTLINE, caller=presses_at((4.0, "42#")))
    assert toy.at("/voice/menu")[0]["Digits"] == "42"   # relative action URL resolved
    assert report.duration == 4.0


def test_slow_caller_misses_the_gather() -> None:
    sim, toy = simulate({"/voice/incoming": lambda f: twiml(
        '<Gather numDigits="1" action="/voice/menu" timeout="2"><Say>Press 1</Say></Gather>')})
    report = sim.call(CALLER, HOTLINE, caller=presses("1", think=5.0))
    assert toy.at("/voice/menu") == []
    assert report.status == "completed" and report.duration == 3.0


def test_redirect_pause_and_play() -> None:
    sim, toy = simulate({
        "/voice/incoming": lambda f: twiml('<Redirect method="POST">/voice/next?step=2</Redirect>'),
        "/voice/next": lambda f: twiml(
            '<Pause length="10"/><Play loop="2">https://cdn.test/music.mp3</Play>'),
    })
    report = sim.call(CALLER, HOTLINE, caller=listens())
    assert len(toy.at("/voice/next")) == 1
    assert report.duration == 10 + 2 * 5.0
    assert "caller hears a recording: https://cdn.test/music.mp3" in report.transcript


def test_reject_never_answers() -> None:
    sim, _ = simulate({"/voice/incoming": lambda f: twiml('<Reject reason="busy"/>')})
    report = sim.call(CALLER, HOTLINE, caller=listens())
    assert report.answered_at is None
    assert report.reject_reason == "busy"
    assert report.status == "busy"


def test_reject_ends_no_answer_unless_the_reason_is_busy() -> None:
    sim, _ = simulate({"/voice/incoming": lambda f: twiml("<Reject/>")})
    report = sim.call(CALLER, HOTLINE, caller=listens())
    assert report.reject_reason == "rejected"
    assert report.status == "no-answer" and report.answered_at is None


def test_caller_hangs_up_during_gather() -> None:
    sim, toy = simulate({"/voice/incoming": lambda f: twiml(
        '<Gather numDigits="1" action="/voice/menu"><Say>Press one</Say></Gather>')})
    report = sim.call(CALLER, HOTLINE, caller=presses(HANG_UP))
    assert report.status == "completed" and report.duration == 2.0
    assert toy.at("/voice/menu") == []


def test_server_error_is_an_application_error() -> None:
    sim, _ = simulate({"/voice/incoming": lambda f: ("boom", 500)})
    report = sim.call(CALLER, HOTLINE, caller=listens())
    assert [e.status for e in report.errors] == [500]
    assert report.heard == ("We are sorry, an application error has occurred. Goodbye.",)
    assert report.status == "failed"


def test_twiml_outside_the_vocabulary_is_an_application_error() -> None:
    sim, _ = simulate({"/voice/incoming": lambda f: twiml('<Say colour="red">Hi</Say>')})
    report = sim.call(CALLER, HOTLINE, caller=listens())
    assert len(report.errors) == 1 and "colour" in report.errors[0].detail
    assert report.heard[-1].startswith("We are sorry")


def test_transcript_reads_in_time_order_and_masks_numbers() -> None:
    sim, _ = simulate({"/voice/incoming": lambda f: twiml(
        "<Say>Hello there</Say><Pause length=\"65\"/><Hangup/>")})
    sim.mask = lambda number: number[:-4] + "XXXX"
    report = sim.call(CALLER, HOTLINE, caller=listens())
    lines = report.transcript.splitlines()
    assert lines[0] == "00:00 +1617555XXXX calls +1617555XXXX (call " + report.sid[:8] + "..)"
    assert "00:00 caller hears: Hello there" in lines
    assert lines[-1] == "01:06 call ended: completed"
