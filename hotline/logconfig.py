"""Logging for every process: one line per record, phone numbers masked.

`app.log_format = "json"` writes each record as one JSON object (time, level, logger,
message, and the traceback if any) for a log collector; the message and traceback are
masked before they are put in it. The twilio library's loggers stay at WARNING (it logs
every REST request and response at INFO) unless `app.log_level` is DEBUG.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from hotline.privacy import MaskingFormatter, redact

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Libraries whose INFO lines are noise for an operator (twilio: 9 a REST request; alembic:
# its setup, on every start that checks the schema).
QUIET_LIBRARIES = ("twilio", "alembic")


class JsonFormatter(logging.Formatter):
    """One JSON object a line; numbers and secrets masked in what the record says."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def _hotline_handler(root: logging.Logger) -> logging.Handler | None:
    return next((h for h in root.handlers
                 if isinstance(h.formatter, MaskingFormatter | JsonFormatter)), None)


def configure_logging(level: str = "INFO", log_format: str = "text") -> None:
    """Install the masking handler on the root logger once; later calls set the level and
    the format."""
    root = logging.getLogger()
    root.setLevel(level.upper())
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(
            logging.DEBUG if level.upper() == "DEBUG" else logging.WARNING)
    formatter = JsonFormatter() if log_format == "json" else MaskingFormatter(_FORMAT)
    handler = _hotline_handler(root)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        root.addHandler(handler)
    handler.setFormatter(formatter)
