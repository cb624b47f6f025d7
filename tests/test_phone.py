"""One parser for phone numbers at every edge: the same number is good or bad everywhere."""

from __future__ import annotations

import pytest

from hotline.phone import PhoneError, caller_or_none, parse_caller, parse_phone
from hotline.roster.rotafile import RotaFileError, parse_rota
from hotline.settings import SettingsError, load_settings
from hotline.voice.forms import FormError, parse_inbound

SID = "CA" + "1" * 32


def _rota_with_phone(phone: str) -> str:
    return f'''
[[chapter]]
slug = "x"
name = "X"
timezone = "UTC"
numbers = ["+16175550100"]

[[volunteer]]
name = "Ann"
phone = "{phone}"
'''


@pytest.mark.parametrize("bad", ["+12", "+0123456789", "+1617555011", "16175550111",
                                 "+1 617 555 0111", "+15551230000", "+1617555011x", ""])
def test_a_bad_number_is_refused_by_every_edge_that_rings_it(bad: str) -> None:
    with pytest.raises(PhoneError):
        parse_phone(bad)
    with pytest.raises(RotaFileError) as refused:
        parse_rota(_rota_with_phone(bad))
    assert "line 10" in str(refused.value.problems[0])
    with pytest.raises(SettingsError, match="calls.emergency_line"):
        load_settings({"HOTLINE_CALLS_EMERGENCY_LINE": bad or "x"}, path=None)


@pytest.mark.parametrize("good", ["+16175550111", "+442079460000", "+61491570156",
                                  "+18002738255"])
def test_a_good_number_passes_every_edge(good: str) -> None:
    assert parse_phone(good) == good
    parse_rota(_rota_with_phone(good))
    assert load_settings({"HOTLINE_CALLS_EMERGENCY_LINE": good}, path=None
                         ).calls.emergency_line == good


def test_the_network_may_report_possible_but_unassigned_numbers() -> None:
    # +1 555 is no area code, but a carrier (or a drill) can present it: still a caller.
    assert parse_caller("+15551230000") == "+15551230000"
    assert parse_caller(" +1 555 123 0000 ") == "+15551230000"
    with pytest.raises(PhoneError):
        parse_caller("+12")
    with pytest.raises(PhoneError):
        parse_caller("+0123456789")


@pytest.mark.parametrize("withheld", ["anonymous", "Restricted", "+266696687", "", None,
                                      "sip:someone@example.org", "+0123456789", "client:ann"])
def test_withheld_or_unusable_callers_have_no_number(withheld: str | None) -> None:
    assert caller_or_none(withheld) is None


def test_the_webhook_refuses_a_dialled_number_that_is_not_one() -> None:
    for to in ("+0123456789", "+12", "hotline"):
        with pytest.raises(FormError, match="To"):
            parse_inbound({"CallSid": SID, "To": to, "From": "+16175550199"})
    inbound = parse_inbound({"CallSid": SID, "To": "+16175550100", "From": "+0123456789"})
    assert inbound.caller is None
