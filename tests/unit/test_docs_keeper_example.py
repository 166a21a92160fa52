"""The keeper example of docs/quant/python.md runs as written, on the mirror venue, and fills the order."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

PAGE = Path(__file__).resolve().parents[2] / "docs" / "quant" / "python.md"


def test_the_keeper_example_runs_and_the_desk_fills_the_order() -> None:
    section = PAGE.read_text().split("## The keeper in your own code", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code.group(1), "docs/quant/python.md", "exec"), {})
    assert printed.getvalue().split() == [str(10**18), str(2_001 * 10**18)]
