"""``read_many`` reads many views in one ``eth_call`` and gives what the views give one by one.

Past what one call can carry (EIP-3860 on the input, EIP-170 on the output) the reads are split
across calls; a view that reverts surfaces as its own decoded custom error.
"""

from __future__ import annotations

import pytest

from defi_int.chain.multiread import MAX_INITCODE_SIZE, MAX_OUTPUT_SIZE, Read, creation_code, read_many
from defi_int.exceptions import ContractRevert
from defi_int.types import ONE

MARKET = 0


@pytest.fixture
def traded(defi_system, defi_traders, defi_orders):
    """Trader 0 bought internally, trader 1 sold to the AMM, trader 2 half-filled an order."""
    buy = defi_orders.fill(defi_traders[0], size=2 * ONE)
    sell = defi_orders.fill(defi_traders[1], is_buy=False, size=3 * ONE, internal_size=0, amm_size=3 * ONE)
    half = defi_orders.fill(defi_traders[2], size=4 * ONE, internal_size=2 * ONE)
    defi_orders.settle([buy, half])
    defi_orders.settle([sell])  # after the internal fills: they must beat the AMM's price
    return [buy, sell, half]


def test_a_batched_read_equals_the_views_read_one_by_one(defi_system, defi_traders, traded, eth_calls):
    s, call = defi_system, defi_system.chain.call
    vault, settlement, amm, oracle = s.vault, s.settlement, s.amm, s.oracle
    accounts = [t.address for t in defi_traders] + [s.desk, str(amm.address), s.fee_recipient]
    digests = [s.settlement.functions.hashOrder(f.order.as_tuple()) for f in traded]
    expected = [
        call(vault.functions.markets()),
        call(vault.functions.feeRecipient()),
        call(vault.functions.paused()),
        call(s.token.functions.balanceOf(vault.address)),
        call(oracle.functions.latest(MARKET)),
        call(amm.functions.pool(MARKET)),
        *(call(vault.functions.cash(a)) for a in accounts),
        *(call(vault.functions.position(a, MARKET)) for a in accounts),
        *(call(settlement.functions.nonceState(f.order.trader, f.order.nonce)) for f in traded),
        *(call(settlement.functions.filled(call(d))) for d in digests),
    ]
    reads = [
        Read(vault.address, "markets()", returns=("uint32[]",)),
        Read(vault.address, "feeRecipient()", returns=("address",)),
        Read(vault.address, "paused()", returns=("bool",)),
        Read(s.token.address, "balanceOf(address)", (vault.address,)),
        Read(oracle.address, "latest(uint32)", (MARKET,), ("uint256", "uint256")),
        Read(amm.address, "pool(uint32)", (MARKET,), ("uint256", "uint256", "uint256")),
        *(Read(vault.address, "cash(address)", (a,), ("int256",)) for a in accounts),
        *(Read(vault.address, "position(address,uint32)", (a, MARKET), ("int256",)) for a in accounts),
        *(
            Read(settlement.address, "nonceState(address,uint256)", (f.order.trader, f.order.nonce), ("uint8",))
            for f in traded
        ),
        *(Read(settlement.address, "filled(bytes32)", (call(d),)) for d in digests),
    ]
    eth_calls.clear()

    values = read_many(s.chain, reads)

    assert len(eth_calls) == 1
    assert [list(v) if isinstance(v, tuple) else v for v in values] == [
        list(e) if isinstance(e, (list, tuple)) else e for e in expected
    ]
    assert values[1] == s.fee_recipient  # addresses come back checksummed, as web3 gives them
    assert any(v for v in values[6 + len(accounts) :]), "the trades should have left positions to compare"


def test_reads_past_the_input_limit_are_split_across_calls(defi_system, defi_traders, traded, eth_calls):
    vault, chain = defi_system.vault, defi_system.chain
    accounts = [t.address for t in defi_traders]
    reads = [
        Read(vault.address, "position(address,uint32)", (accounts[i % 5], MARKET), ("int256",)) for i in range(1_000)
    ]
    expected = [chain.call(vault.functions.position(a, MARKET)) for a in accounts]
    # a record with two arguments takes 128 bytes, its one-word result 64: the input limit binds
    per_call = (MAX_INITCODE_SIZE - len(creation_code()) - 32) // 128
    assert per_call * 64 <= MAX_OUTPUT_SIZE
    eth_calls.clear()

    values = read_many(chain, reads)

    assert values == [expected[i % 5] for i in range(1_000)]
    assert len(eth_calls) == -(-1_000 // per_call) > 1


def test_results_past_the_output_limit_go_into_the_next_call(defi_system, eth_calls):
    # pool(m): 96 bytes of input and 128 of output per read, so 300 reads fit one call's input
    # (28,800 of 49,152 bytes) but not its output (24,576 bytes): the contract returns a prefix.
    read = Read(defi_system.amm.address, "pool(uint32)", (MARKET,), ("uint256", "uint256", "uint256"))
    expected = tuple(defi_system.chain.call(defi_system.amm.functions.pool(MARKET)))
    assert MAX_OUTPUT_SIZE < 300 * 128
    eth_calls.clear()

    values = read_many(defi_system.chain, [read] * 300)

    assert values == [expected] * 300
    assert len(eth_calls) == 2


def test_no_reads_make_no_call(defi_system, eth_calls):
    assert read_many(defi_system.chain, []) == []
    assert eth_calls == []


def test_a_reverting_view_surfaces_as_its_own_decoded_revert(defi_system):
    oracle, vault = defi_system.oracle.address, defi_system.vault.address
    reads = [Read(vault, "paused()", returns=("bool",)), Read(oracle, "price(uint32)", (7,))]

    with pytest.raises(ContractRevert) as info:
        read_many(defi_system.chain, reads)

    assert (info.value.contract, info.value.error_name, info.value.args_by_name) == (
        "PriceOracle",
        "UnknownMarket",
        {"market": 7},
    )
    assert any("price(7)" in note for note in info.value.__notes__)


def test_a_stale_price_read_in_a_batch_reverts_with_stale_price(defi_system):
    chain = defi_system.chain
    max_age = chain.call(defi_system.oracle.functions.maxAge())
    chain.set_next_block_timestamp(chain.timestamp() + max_age + 10)
    chain.mine()

    with pytest.raises(ContractRevert) as info:
        read_many(chain, [Read(defi_system.oracle.address, "price(uint32)", (MARKET,))])

    assert info.value.error_name == "StalePrice"
    assert info.value.args_by_name["market"] == MARKET


def test_a_read_of_an_address_without_code_reverts_with_no_code(defi_system, defi_traders):
    nobody = defi_traders[0].address
    reads = [Read(defi_system.vault.address, "paused()", returns=("bool",)), Read(nobody, "paused()", ())]

    with pytest.raises(ContractRevert) as info:
        read_many(defi_system.chain, reads)

    assert (info.value.contract, info.value.error_name) == ("BatchRead", "NoCode")
    assert info.value.args_by_name["index"] == 1
    assert info.value.args_by_name["target"].lower() == nobody.lower()
