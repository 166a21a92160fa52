"""reference/api.md: the order API's routes, from the committed OpenAPI document.

Reads ``docs/openapi.json`` (``make openapi`` writes it from the FastAPI app, a test holds it to the
app): each route's method, summary, description and answers. The error codes of the answers are
the reason vocabulary (see the errors reference).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from defi_int.reference.markdown import banner, one_line, table

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def page() -> str:
    document: dict[str, Any] = json.loads(OPENAPI.read_text(encoding="utf-8"))
    info = document.get("info", {})
    lines = banner(
        "Order API",
        "`docs/openapi.json` (itself generated from the app by `make openapi`)",
        f"{info.get('title', '')} {info.get('version', '')}: the routes the keeper serves (`defi-int keeper "
        "--listen HOST:PORT`); the running API serves the same document at `/openapi.json`, and the whole "
        'document is [here](../openapi.json). Every refusal is a 4xx or 5xx `{"code", "message"}` whose code '
        "is a [reason code](errors.md#reason-codes).",
    )
    rows = []
    for path, methods in document.get("paths", {}).items():
        for method, operation in methods.items():
            answers = ", ".join(sorted(operation.get("responses", {})))
            what = one_line(operation.get("description") or operation.get("summary", ""))
            rows.append((f"`{method.upper()} {path}`", what, answers))
    lines += [*table(("route", "what", "answers"), rows), ""]
    return "\n".join(lines).rstrip() + "\n"
