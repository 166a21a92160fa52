"""The README and ``docs/api.md`` show the API document's Python example character for character (a node
test runs it against a keeper), and ``docs/api.md``'s table of error codes is the API's own."""

from __future__ import annotations

import re
from pathlib import Path

from defi_int.bot.apidoc import DESCRIPTION, EXAMPLE
from defi_int.bot.errors import CODES
from defi_int.bot.openapi import document

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_and_the_api_page_show_the_example_as_tested():
    for page in ("README.md", "docs/api.md"):
        assert f"```python\n{EXAMPLE}```" in (ROOT / page).read_text(), page
    assert EXAMPLE in document()["info"]["description"] == DESCRIPTION


def test_the_api_page_lists_every_error_code_with_its_status():
    rows = re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \|", (ROOT / "docs/api.md").read_text(), re.M)
    assert {code: int(status) for code, status in rows} == CODES
