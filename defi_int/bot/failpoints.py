"""Fail points: named places in the loop where a test can have the keeper SIGKILL itself.

The crash tests (and ``make bot-demo``) kill the keeper at an exact journal stage, as a power cut or
the OOM killer would, without racing it from outside. ``DEFI_INT_FAILPOINTS`` names the points and
which hit of each kills: ``after_signed=3`` sends SIGKILL to the process on the third time the loop
passes ``hit("after_signed")``; several are comma-separated. Unset (always, in production), ``hit``
does nothing but count. The points, in the order a batch passes them::

    after_planned  after_signed  after_sent  after_mined  before_reconciled

and a liquidation (``bot.liquidating``; it is reconciled like a settle, at ``before_reconciled``)::

    after_liquidation_planned  after_liquidation_signed  after_liquidation_sent  after_liquidation_mined

Nothing is cleaned up on the way down: that is the point.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

ENV = "DEFI_INT_FAILPOINTS"
POINTS = ("after_planned", "after_signed", "after_sent", "after_mined", "before_reconciled")
LIQUIDATION_POINTS = (
    "after_liquidation_planned", "after_liquidation_signed", "after_liquidation_sent", "after_liquidation_mined",
)  # fmt: skip

_hits: Counter[str] = Counter()


def parse(text: str) -> dict[str, int]:
    """``after_signed=3,after_mined=1`` as {point: the hit that kills}; a bad entry raises ``ValueError``."""
    armed = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, count = part.partition("=")
        if name not in (*POINTS, *LIQUIDATION_POINTS) or not count.isdigit() or int(count) < 1:
            known = ", ".join((*POINTS, *LIQUIDATION_POINTS))
            raise ValueError(f"{ENV}: {part!r} is not <point>=<hit> with a point of {known}")
        armed[name] = int(count)
    return armed


_armed = parse(os.environ.get(ENV, ""))


def hit(name: str) -> None:
    """Passes fail point ``name``: the process is SIGKILLed if this is the hit ``DEFI_INT_FAILPOINTS`` names."""
    _hits[name] += 1
    if _armed.get(name) == _hits[name]:
        os.kill(os.getpid(), signal.SIGKILL)


def arm(text: str) -> None:
    """Arms the fail points of ``text`` (the ``DEFI_INT_FAILPOINTS`` syntax) in this process, counts reset."""
    global _armed
    _armed = parse(text)
    _hits.clear()
