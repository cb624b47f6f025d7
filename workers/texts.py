"""Texts: SEND_TEXT sends one text of the outbox (intent first; never twice)."""

from __future__ import annotations

from hotline.runtime import Runtime
from hotline.texts.outbox import send


def send_text(runtime: Runtime, text_id: int) -> None:
    """SEND_TEXT: send the text now if it may go (opt-outs and quiet hours checked now)."""
    send(runtime, text_id)
