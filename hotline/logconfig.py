"""Logging for every process: one line per record, phone numbers masked."""

from __future__ import annotations

import logging
import sys

from hotline.privacy import MaskingFormatter

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str = "INFO") -> None:
    """Install the masking handler on the root logger once; later calls only set the level."""
    root = logging.getLogger()
    root.setLevel(level.upper())
    if any(isinstance(h.formatter, MaskingFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(MaskingFormatter(_FORMAT))
    root.addHandler(handler)
