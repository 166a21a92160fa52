"""GET /v1/quote and /v1/markets against a real deployment (the plugin's embedded chain).

The loop's snapshot is read with ``chain.views.market_state`` and published; the API's answers
must equal what the contracts say (oracle, pool reserves, inventory, ``getAmountIn/Out``), and the
desk's quoted price must be one the Settlement accepts for an internal fill of that size.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from defi_int.bot.api import create_app
from defi_int.bot.config import ServiceConfig
from defi_int.bot.journal import Journal
from defi_int.bot.snapshot import DeskSnapshot
from defi_int.bot.state import BotState
from defi_int.chain.views import domain, market_state
from defi_int.keeper.config import KeeperConfig
from defi_int.keeper.pricing import PricingParams
from defi_int.types import ONE


def publish(state: BotState, system, *, now: int | None = None) -> DeskSnapshot:
    chain = system.chain
    time = now if now is not None else chain.timestamp() + 1
    states = market_state(system, now=time)
    snapshot = DeskSnapshot.from_states(
        states, block=chain.block_number(), time=time, price_scale=system.params.price_scale
    )
    state.publish(snapshot)
    return snapshot


@pytest.fixture
def chain_state(defi_system, tmp_path):
    params = defi_system.params
    pricing = PricingParams(
        5.0, 1.0, 0.64 / (365 * 24 * 3600), 3600.0, params.max_deviation_bps, 0.0, params.price_scale
    )
    keeper = KeeperConfig(pricing={0: pricing}, risk_limits={0: 50 * ONE}, soft_limits={0: None})
    config = ServiceConfig(domain=domain(defi_system), markets=(0,), keeper=keeper)
    with Journal(tmp_path / "keeper.sqlite") as journal:
        yield BotState(config, journal, environ={})


@pytest.fixture
def chain_client(chain_state):
    with TestClient(create_app(chain_state)) as c:
        yield c


def test_markets_show_the_chains_oracle_pool_and_inventory(chain_client, chain_state, defi_system):
    assert chain_client.get("/v1/markets").json()["code"] == "no_snapshot"
    snapshot = publish(chain_state, defi_system)
    call = defi_system.chain.call

    body = chain_client.get("/v1/markets").json()

    (market,) = body["markets"]
    price, updated_at = call(defi_system.oracle.functions.latest(0))
    base, quote, fee = call(defi_system.amm.functions.pool(0))
    assert (body["block"], body["time"]) == (snapshot.block, snapshot.time)
    assert (market["oraclePrice"], market["oracleUpdatedAt"], market["oracleFresh"]) == (str(price), updated_at, True)
    assert (market["ammBase"], market["ammQuote"], market["ammFeeBps"]) == (str(base), str(quote), fee)
    assert market["inventory"] == str(call(defi_system.vault.functions.inventory(0)))
    assert market["ammMid"] == str(quote * defi_system.params.price_scale // base)
    assert market["breakers"] == []


@pytest.mark.parametrize("side", ["buy", "sell"])
def test_the_quoted_desk_price_settles_on_chain_and_the_amm_price_is_the_pools(
    chain_client, chain_state, defi_system, defi_traders, defi_orders, side
):
    publish(chain_state, defi_system)
    size = 3 * ONE
    body = chain_client.get("/v1/quote", params={"market": 0, "side": side, "size": str(size)}).json()
    call = defi_system.chain.call
    base, quote, fee = call(defi_system.amm.functions.pool(0))
    amm = defi_system.amm.functions
    expected = call(
        amm.getAmountIn(size, quote, base, fee) if side == "buy" else amm.getAmountOut(size, base, quote, fee)
    )
    assert body["ammQuote"] == str(expected) and body["deskReason"] is None

    price = int(body["deskPrice"])
    trader = defi_traders[0]
    fill = defi_orders.fill(trader, size=size, is_buy=side == "buy", limit_price=price, internal_price=price)
    receipt = defi_orders.settle([fill])

    assert receipt["status"] == 1
    assert call(defi_system.vault.functions.position(trader.address, 0)) == (size if side == "buy" else -size)
    assert (price < int(body["ammPrice"])) if side == "buy" else (price > int(body["ammPrice"]))
    publish(chain_state, defi_system)
    inventory = chain_client.get("/v1/markets").json()["markets"][0]["inventory"]
    assert inventory == str(-size if side == "buy" else size)


def test_a_stale_oracle_gives_no_desk_price_and_opens_its_breaker(chain_client, chain_state, defi_system):
    max_age = defi_system.chain.call(defi_system.oracle.functions.maxAge())
    publish(chain_state, defi_system, now=defi_system.chain.timestamp() + max_age + 10)

    body = chain_client.get("/v1/quote", params={"market": 0, "side": "buy", "size": str(ONE)}).json()

    assert body["deskPrice"] is None and body["deskReason"]["code"] == "stale_oracle"
    assert body["oracleFresh"] is False and body["ammPrice"] is not None
    market = chain_client.get("/v1/markets").json()["markets"][0]
    assert [b["name"] for b in market["breakers"]] == ["stale_oracle"]


def test_a_size_beyond_the_desks_room_gets_a_reason(chain_client, chain_state, defi_system):
    publish(chain_state, defi_system)

    body = chain_client.get("/v1/quote", params={"market": 0, "side": "sell", "size": str(51 * ONE)}).json()

    assert body["deskPrice"] is None and body["deskReason"]["code"] == "inventory_cap"
    assert "inventory room" in body["deskReason"]["message"]


@pytest.mark.parametrize(
    "params",
    [
        {"market": 9, "side": "buy", "size": "1"},
        {"market": 0, "side": "hold", "size": "1"},
        {"market": 0, "side": "buy", "size": "1.5"},
        {"market": 0, "side": "buy", "size": "0"},
        {"market": -1, "side": "buy", "size": "1"},
        {"market": 0, "side": "buy"},
    ],
)
def test_a_bad_quote_request_is_refused(chain_client, chain_state, defi_system, params):
    publish(chain_state, defi_system)

    response = chain_client.get("/v1/quote", params=params)

    assert response.status_code == 422 and response.json()["code"] in ("malformed", "unknown_market")
