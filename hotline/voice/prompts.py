"""What the caller hears, in the language they chose: one function every prompt goes through.

The call path's prompts are written in English (hotline.voice.twiml); here each sentence is
put into the caller's language when a translation exists, so a caller who chose Spanish at
the menu hears Spanish to the end of the call. A sentence with no translation (a chapter's
own text, written in its first language) is said as written.
"""

from __future__ import annotations

import re

from hotline.roster.matching import primary

# English sentence (a regular expression; groups carry names and numbers) -> translation.
_SPANISH: tuple[tuple[str, str], ...] = (
    (r"Thank you for calling (.+?)\.", r"Gracias por llamar a \1."),
    (r"We are finding a volunteer for you now\.", "Estamos buscando un voluntario para usted."),
    (r"Please stay on the line\.", "Por favor, no cuelgue."),
    (r"We are finding a volunteer for you\.", "Estamos buscando un voluntario para usted."),
    (r"You are number (\d+) in line\.", r"Usted es el número \1 en la fila."),
    (r"Our volunteers are all talking with other callers; the next one free will take your "
     r"call\.", "Todos nuestros voluntarios están hablando con otras personas; el próximo "
     "que quede libre tomará su llamada."),
    (r"A volunteer is taking your call\.", "Un voluntario está tomando su llamada."),
    (r"Connecting you now\.", "Le conectamos ahora."),
    (r"Connecting you to a volunteer\.", "Le conectamos con un voluntario."),
    (r"I'm sorry, nobody is free to take your call right now\.",
     "Lo sentimos, nadie puede tomar su llamada en este momento."),
    (r"I'm sorry: nobody is on call right now\.",
     "Lo sentimos: no hay nadie de guardia en este momento."),
    (r"Our volunteers are on call (.+?)\.", r"Nuestros voluntarios atienden \1."),
    (r"If you are in danger or need help now, please call ([\d ]+)\.",
     r"Si está en peligro o necesita ayuda ahora, llame al \1."),
    (r"To ask us to call you back, press 1\.", "Para que le devolvamos la llamada, marque 1."),
    (r"Or stay on the line to leave a message after the tone\.",
     "O no cuelgue para dejar un mensaje después del tono."),
    (r"Your number is hidden, so we cannot call you back\.",
     "Su número está oculto, así que no podemos devolverle la llamada."),
    (r"You can call us again at any time, or leave a message now\.",
     "Puede llamarnos de nuevo cuando quiera, o dejar un mensaje ahora."),
    (r"Please leave your message after the tone\.", "Deje su mensaje después del tono."),
    (r"Hang up when you are done\.", "Cuelgue cuando termine."),
    (r"We did not get a message\.", "No recibimos ningún mensaje."),
    (r"Thank you\.", "Gracias."),
    (r"A volunteer will call you back as soon as they can\.",
     "Un voluntario le devolverá la llamada lo antes posible."),
    (r"Thank you, your message has been recorded\.", "Gracias, su mensaje ha sido grabado."),
    (r"Goodbye\.", "Adiós."),
    (r"All of our lines are busy right now\.",
     "Todas nuestras líneas están ocupadas en este momento."),
    (r"Please call again later\.", "Por favor, llame más tarde."),
    (r"Hello\.", "Hola."),
    (r"This is a call back for someone at this number\.",
     "Le devolvemos la llamada a alguien de este número."),
    (r"This is the check-in call for someone at this number\.",
     "Esta es la llamada de seguimiento para alguien de este número."),
    (r"If that is you, please press 1 to talk now\.",
     "Si es usted, marque 1 para hablar ahora."),
    # The menus (hotline.voice.menus).
    (r"For (.+?), press (\d)\.", r"Para \1, marque \2."),
    (r"To talk with a volunteer who shares your experience, listen to the choices\.",
     "Para hablar con un voluntario que comparte su experiencia, escuche las opciones."),
    (r"(.+?), press (\d)\.", r"\1, marque \2."),
    (r"Or stay on the line for the next volunteer free\.",
     "O no cuelgue para hablar con el próximo voluntario libre."),
    (r"Nobody who speaks (.+?) is on call right now; the next volunteer free will take "
     r"your call\.", r"No hay nadie de guardia que hable \1 en este momento; el próximo "
     r"voluntario libre tomará su llamada."),
)
_TRANSLATIONS = {"es": tuple((re.compile(english), other) for english, other in _SPANISH)}
_SENTENCE = re.compile(r"(?<=[.?!])\s+")


def spoken(text: str, language: str) -> str:
    """`text` in `language`, sentence by sentence where a translation exists."""
    table = _TRANSLATIONS.get(primary(language))
    if not table:
        return text
    return " ".join(_sentence(part, table) for part in _SENTENCE.split(text) if part)


def _sentence(sentence: str, table: tuple[tuple[re.Pattern[str], str], ...]) -> str:
    for english, other in table:
        if english.fullmatch(sentence):
            return english.sub(other, sentence)
    return sentence
