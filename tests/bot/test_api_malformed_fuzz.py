"""At least 1,000 malformed requests against the API served by uvicorn: all 4xx, none accepted.

Hypothesis draws requests from five families: arbitrary JSON bodies, a real signed order with one
field dropped, added, retyped or changed (so its signature no longer fits), arbitrary bytes with
arbitrary content types, oversized bodies, and GETs with arbitrary digests and quote parameters.
Every answer must be a 4xx with a ``code`` and a one-line ``message``; the journal must hold no
order afterwards; the server must still be up and accept a good order. The counts are printed.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from botkit import DOMAIN, Orders, account
from hypothesis import given, settings
from hypothesis import strategies as st

from defi_int.bot.api import create_app
from defi_int.bot.serve import ApiServer
from defi_int.orders.eip712 import order_digest

EXAMPLES = 1_100
FIELDS = ("trader", "market", "isBuy", "size", "limitPrice", "expiry", "nonce", "maxFeeBps", "allowAmm")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


def _signed_body() -> dict[str, Any]:
    orders = Orders(nonce=10_000)
    return orders.body(account(7))


BASE = _signed_body()


def _differs(field: str, value: Any) -> bool:
    original = BASE["order"][field]
    if isinstance(value, str) and isinstance(original, str):
        return value.lower() != original.lower()
    return value != original or type(value) is not type(original)


@st.composite
def mutated_orders(draw: st.DrawFn) -> tuple[str, str, bytes, dict[str, str]]:
    body = json.loads(json.dumps(BASE))
    kind = draw(st.sampled_from(["drop", "add", "retype", "change", "signature", "top"]))
    field = draw(st.sampled_from(FIELDS))
    if kind == "drop":
        del body["order"][field]
    elif kind == "add":
        name = draw(st.text(min_size=1, max_size=12).filter(lambda n: n not in FIELDS))
        body["order"][name] = draw(json_values)
    elif kind == "retype":
        body["order"][field] = draw(json_values.filter(lambda v: _differs(field, v)))
    elif kind == "change":
        value = draw(st.from_regex(r"\A(0|[1-9][0-9]{0,40})\Z") | st.booleans() | st.text(max_size=44))
        body["order"][field] = value if _differs(field, value) else value + "0" if isinstance(value, str) else not value
    elif kind == "signature":
        sig = bytearray(bytes.fromhex(body["signature"][2:]))
        index = draw(st.integers(0, 64))
        sig[index] ^= draw(st.integers(1, 255))
        body["signature"] = "0x" + sig.hex()
    else:
        key = draw(st.sampled_from(["order", "signature", "domain", "extra"]))
        # ``"domain": null`` is the optional domain left out, a well-formed request: not drawn here
        body[key] = draw(json_values.filter(lambda v: not (key == "domain" and v is None)))
    return "POST", "/v1/orders", json.dumps(body).encode(), {"content-type": "application/json"}


requests = st.one_of(
    json_values.map(lambda v: ("POST", "/v1/orders", json.dumps(v).encode(), {"content-type": "application/json"})),
    mutated_orders(),
    st.tuples(
        st.binary(max_size=200),
        st.sampled_from(["application/json", "text/plain", "", "application/x-www-form-urlencoded"]),
    ).map(lambda t: ("POST", "/v1/orders", t[0], {"content-type": t[1]} if t[1] else {})),
    st.integers(9_000, 40_000).map(
        lambda n: ("POST", "/v1/orders", b'{"order": "' + b"x" * n + b'"}', {"content-type": "application/json"})
    ),
    st.text(max_size=70).map(lambda t: ("GET", "/v1/orders/" + quote(t, safe=""), b"", {})),
    st.fixed_dictionaries(
        {}, optional={"market": st.text(max_size=12), "side": st.text(max_size=6), "size": st.text(max_size=12)}
    ).map(lambda q: ("GET", "/v1/quote?" + str(httpx.QueryParams(q)), b"", {})),
    st.tuples(st.from_regex(r"\A0x[0-9a-f]{64}\Z"), json_values).map(
        lambda t: ("POST", f"/v1/orders/{t[0]}/cancel", json.dumps(t[1]).encode(), {"content-type": "application/json"})
    ),
)


@pytest.fixture
def server(state):
    served = ApiServer(create_app(state)).start()
    yield served
    served.stop()


def test_a_thousand_malformed_requests_are_all_refused_and_the_server_stays_up(server, state, capsys):
    statuses: Counter[int] = Counter()
    codes: Counter[str] = Counter()
    with httpx.Client(base_url=server.url, timeout=10) as http:

        @settings(max_examples=EXAMPLES)
        @given(requests)
        def fire(request: tuple[str, str, bytes, dict[str, str]]) -> None:
            method, path, content, headers = request
            response = http.request(method, path, content=content or None, headers=headers)
            statuses[response.status_code] += 1
            assert 400 <= response.status_code < 500, (request, response.text)
            body = response.json()
            assert set(body) == {"code", "message"} and "\n" not in body["message"], body
            codes[body["code"]] += 1

        fire()

        total = sum(statuses.values())
        assert total >= 1_000
        assert sum(state.journal.status_counts().values()) == 0  # nothing accepted
        assert server.running and http.get("/healthz").status_code == 200
        good = Orders(nonce=20_000).order(account(8))
        accepted = http.post("/v1/orders", json=Orders().body(account(8), good))
        assert accepted.status_code == 201
        assert accepted.json()["digest"] == "0x" + order_digest(good, DOMAIN).hex()
    with capsys.disabled():
        by_status, by_code = dict(sorted(statuses.items())), dict(codes.most_common())
        print(f"\nmalformed requests: {total}, all 4xx; by status {by_status}; by code {by_code}")
