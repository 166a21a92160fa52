"""Soak (``pytest -m soak``): 10,000 requests generated from the keeper's own OpenAPI document by
schemathesis, against a real keeper on anvil, while real signed orders settle.

Every operation of ``/openapi.json`` is exercised with data that fits the document and data that does
not (schemathesis' positive and negative modes), round after round until 10,000 requests went out.
Every answer must be no server error, carry a status code, content type and body the document
declares; the keeper keeps settling real orders posted before, during and after; at the end the
audit finds 0 double fills and 0 lost orders (every order any request got a 201 for included).
"""

from __future__ import annotations

from collections import Counter

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, errors, given, settings
from keeperkit import KeeperProcess, make_desk, settled, wait_for
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from defi_int.bot.audit import audit
from defi_int.bot.journal import Journal
from defi_int.types import ONE

pytestmark = [pytest.mark.node, pytest.mark.soak]

REQUESTS = int(__import__("os").environ.get("SOAK_API_REQUESTS", "10000"))
ROUND = 250  # examples per operation and mode, per round
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
API = "\n[api]\norders_per_second = 100000\nburst = 100000\n"


def test_ten_thousand_requests_from_the_openapi_document_break_nothing(own_anvil, tmp_path):
    desk = make_desk(own_anvil.url, tmp_path / "desk", traders=4)
    db = tmp_path / "keeper.sqlite"
    keeper = KeeperProcess(desk, db, desk.keeper_file(confirmations=1, extra=API))
    api = keeper.wait_ready()
    accepted: list[str] = []  # every order any request got a 201 for
    real: list[str] = []  # the signed orders posted between the rounds: each must fill

    def real_orders() -> None:
        for i, trader in enumerate(desk.traders):
            answer = keeper.post(desk, desk.order(trader, is_buy=i % 2 == 0, size=ONE // 4))
            assert answer.status_code == 201, answer.text
            accepted.append(answer.json()["digest"])
            real.append(answer.json()["digest"])

    real_orders()
    schema = schemathesis.openapi.from_dict(requests.get(f"{api}/openapi.json", timeout=10).json())
    operations = [result.ok() for result in schema.get_all_operations()]
    statuses: Counter[tuple[str, int]] = Counter()
    unsatisfiable: set[str] = set()

    def call(case, name: str) -> None:
        response = case.call(base_url=api, timeout=10)
        statuses[(name, response.status_code)] += 1
        if response.status_code == 201 and name == "POST /v1/orders":
            accepted.append(response.json()["digest"])
        case.validate_response(response, checks=CHECKS)

    def firing(operation, mode):  # type: ignore[no-untyped-def]
        name = f"{operation.method.upper()} {operation.path}"

        @settings(max_examples=ROUND, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(operation.as_strategy(mode))
        def fire(case) -> None:  # type: ignore[no-untyped-def]
            call(case, name)

        return fire

    sent = 0
    while sent < REQUESTS:
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                label = f"{operation.method.upper()} {operation.path} {mode.value}"
                if label in unsatisfiable:
                    continue

                try:
                    firing(operation, mode)()
                except errors.Unsatisfiable:
                    unsatisfiable.add(label)  # nothing of that mode fits the operation (a bare path)
        sent = sum(statuses.values())
        real_orders()

    wait_for(lambda: settled(db, [bytes.fromhex(d[2:]) for d in accepted]), 120, "the real orders settled")
    assert keeper.stop() == 0
    with Journal(db) as journal:
        result = audit(desk.system, journal, desk.deployment.block, accepted=accepted)
        filled = sum(1 for d in real if journal.get_order(bytes.fromhex(d[2:])).status == "filled")
    by_status = Counter(status for (_, status) in statuses.elements())
    print(f"schemathesis: {sent} requests over {len(operations)} operations, answers {dict(sorted(by_status.items()))};"
          f" {filled} real orders filled; {result.line()}")  # fmt: skip
    assert sent >= REQUESTS and not any(status >= 500 for status in by_status)
    assert result.ok, result.line()
    assert filled == len(real)
