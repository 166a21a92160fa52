"""The committed OpenAPI document (docs/openapi.json) is the app's, and the app serves it."""

from __future__ import annotations

import json
from pathlib import Path

from defi_int.bot.errors import CODES
from defi_int.bot.openapi import DEFAULT_PATH, document, main, render

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_openapi_document_matches_the_app():
    committed = (ROOT / DEFAULT_PATH).read_text()

    assert committed == render(document()), "docs/openapi.json is stale: run `make openapi`"


def test_the_app_serves_its_openapi_document(client):
    served = client.get("/openapi.json").json()

    assert served["paths"].keys() == document()["paths"].keys()
    assert {"/v1/orders", "/v1/orders/{digest}", "/v1/orders/{digest}/cancel", "/v1/quote", "/metrics"} <= set(
        served["paths"]
    )


def test_the_check_fails_on_a_stale_document_and_names_the_fix(tmp_path, capsys):
    stale = tmp_path / "openapi.json"
    stale.write_text(json.dumps({"openapi": "3.1.0"}))

    assert main([str(stale), "--check"]) == 1
    assert "make openapi" in capsys.readouterr().err
    assert main([str(stale)]) == 0 and main([str(stale), "--check"]) == 0


def test_every_error_code_is_a_4xx_or_a_5xx():
    assert all(400 <= status < 600 for status in CODES.values())
