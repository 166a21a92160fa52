"""``--log-format json``: one JSON object per line, the figures of a batch, hedge or liquidation as fields."""

from __future__ import annotations

import json
import logging

from defi_int.bot.logs import JsonFormatter, fields


def record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    logger = logging.getLogger("defi_int.bot.settling")
    return logger.makeRecord(logger.name, logging.INFO, __file__, 1, message, args, None, extra=extra)


def test_a_batch_line_carries_its_figures_as_fields():
    line = JsonFormatter().format(record("settle %d mined: %d fills", 12, 274, **fields(event="settle", fills=274)))
    parsed = json.loads(line)
    assert "\n" not in line
    assert parsed["message"] == "settle 12 mined: 274 fills" and parsed["level"] == "INFO"
    assert parsed["event"] == "settle" and parsed["fills"] == 274
    assert parsed["logger"] == "defi_int.bot.settling" and parsed["time"].endswith("Z")


def test_a_traceback_stays_inside_its_line():
    try:
        raise ValueError("boom")
    except ValueError:
        logger = logging.getLogger("x")
        import sys

        failed = logger.makeRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = JsonFormatter().format(failed)
    assert "\n" not in line and "ValueError: boom" in json.loads(line)["exc"]
