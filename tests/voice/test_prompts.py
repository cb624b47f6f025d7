"""Prompts in the caller's language: sentence by sentence, names and numbers carried over."""

from __future__ import annotations

from hotline.voice.prompts import spoken


def test_sentences_are_translated_with_their_names_and_numbers() -> None:
    assert spoken("Please stay on the line. We are finding a volunteer for you. You are "
                  "number 3 in line.", "es-US") == (
        "Por favor, no cuelgue. Estamos buscando un voluntario para usted. Usted es el número "
        "3 en la fila.")
    assert spoken("Thank you for calling Boston Line.", "es-MX") == (
        "Gracias por llamar a Boston Line.")


def test_english_and_untranslated_text_are_said_as_written() -> None:
    text = "Please stay on the line. Our own words here."
    assert spoken(text, "en-US") == text
    assert spoken(text, "es-US") == "Por favor, no cuelgue. Our own words here."
