"""The client's page (``docs/operator/client.md``) shows the API document's Python example character for
character (a node test runs it against a keeper), and its table of error codes is the API's own."""

from __future__ import annotations

import re
from pathlib import Path

from defi_int.bot.apidoc import DESCRIPTION, EXAMPLE
from defi_int.bot.errors import CODES
from defi_int.bot.openapi import document

ROOT = Path(__file__).resolve().parents[2]


def test_the_client_page_shows_the_example_as_tested():
    assert f"```python\n{EXAMPLE}```" in (ROOT / "docs/operator/client.md").read_text()
    assert EXAMPLE in document()["info"]["description"] == DESCRIPTION


def test_the_api_page_lists_every_error_code_with_its_status():
    rows = re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \|", (ROOT / "docs/operator/client.md").read_text(), re.M)
    assert {code: int(status) for code, status in rows} == CODES
