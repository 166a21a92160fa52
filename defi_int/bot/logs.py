"""The keeper's logs: one line per event an operator cares about, as text or as JSON lines.

At INFO the loop writes one line per settle batch (orders, fills by venue, gas, latency), per hedge
and per liquidation, besides what it met (reorgs, replacements, breakers ...) at WARNING. Each of
those lines carries its figures as fields too (``extra={"fields": {...}}``), so with ``--log-format
json`` a log shipper gets them without parsing the sentence::

    {"time": "2026-11-01T12:00:00.123Z", "level": "INFO", "logger": "defi_int.bot.settling",
     "message": "settle 12 mined: 274 fills ...", "event": "settle", "settle": 12, "fills": 274, ...}

``configure(level, fmt)`` sets up the root logger once for ``defi-int keeper``.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
FORMATS = ("text", "json")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the record's ``fields``,
    and the traceback as ``exc`` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        line: dict[str, Any] = {
            "time": f"{stamp}.{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update({k: v for k, v in fields.items() if k not in line})
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure(level: str = "warning", fmt: str = "text") -> None:
    """Logs at ``level`` (debug, info, warning, error) to standard error, as text or JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


def fields(**values: Any) -> dict[str, Any]:
    """``extra`` for a log call whose figures should travel as fields in JSON logs."""
    return {"fields": values}
