"""gunicorn's own logs (access and errors), redacted like the app's.

gunicorn writes its access lines and its errors ("Error handling request /calendar/...")
through its own handlers, which never pass the app's masking formatter: without this, a
calendar feed's secret token or a one-time password link would sit in the access log.
`hotline serve` installs it as gunicorn's `logger_class`.
"""

from __future__ import annotations

import logging
from typing import Any

from gunicorn.glogging import Logger

from hotline.privacy import Redacting


class RedactedLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger with every handler's formatter wrapped in `Redacting`."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if not isinstance(handler.formatter, Redacting):
                    handler.setFormatter(Redacting(handler.formatter or logging.Formatter()))


class JsonLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger writing JSON lines, redacted (`app.log_format = "json"`)."""

    def setup(self, cfg: Any) -> None:
        from hotline.logconfig import JsonFormatter

        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonFormatter())
