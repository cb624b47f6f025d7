"""Reading a text's keyword as carriers do: the whole message, any case."""

from __future__ import annotations

import pytest

from hotline.texts.keywords import Command, Word, read


@pytest.mark.parametrize("body", ["STOP", "stop", " Stop. ", "STOPALL", "unsubscribe",
                                  "Cancel", "END!", "quit", "revoke", "OPTOUT"])
def test_every_stop_synonym_is_stop(body: str) -> None:
    assert read(body) == Command(Word.STOP)


@pytest.mark.parametrize(("body", "word"), [
    ("start", Word.START), ("UNSTOP", Word.START), ("help", Word.HELP), ("Info", Word.HELP),
    ("on", Word.ON), ("OFF", Word.OFF), ("next", Word.NEXT), ("yes", Word.YES),
    ("Yes!", Word.YES), ("call", Word.CALL), ("again", Word.AGAIN)])
def test_keywords(body: str, word: Word) -> None:
    assert read(body).word is word


def test_take_carries_its_reference() -> None:
    assert read("take k7q2") == Command(Word.TAKE, "K7Q2")
    assert read("TAKE") == Command(Word.TAKE)


@pytest.mark.parametrize("body", ["stop calling me", "", "   ", "please help", "yes please",
                                  "take it K7Q2", "STOPP"])
def test_anything_else_is_other(body: str) -> None:
    assert read(body).word is Word.OTHER
