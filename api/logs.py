"""What the servers' logs may say (issue 16): no PIN in any line.

uvicorn's access log prints each request line with its query string, and the citizen's lookup
takes its PIN in the query string (``GET /public/files/<code>?pin=...``; the pages and
``POST /public/files/<code>/lookup`` send it in a body). ``RedactPins`` rewrites every
``pin=`` value of a logged line to ``[redacted]`` before any handler sees it, and
``log_config`` is uvicorn's own configuration with that filter on every handler.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

_PIN = re.compile(r"(?i)(\bpin=)[^&\s\"']*")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    return _PIN.sub(r"\g<1>" + REDACTED, text)


class RedactPins(logging.Filter):
    """Rewrites the PIN out of a record's message and arguments (never drops the record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration with ``RedactPins`` on its handlers."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"redact_pins": {"()": f"{__name__}.RedactPins"}}
    for handler in config["handlers"].values():
        handler["filters"] = ["redact_pins"]
    return config
