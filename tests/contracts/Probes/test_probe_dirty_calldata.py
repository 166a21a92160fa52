"""Probe: no function of any shipped contract accepts a value with bits beyond its type (issue 8:
`cancel` accepted dirty high bits and emitted a digest that was not the order's).

For every function of every deployed contract whose inputs hold a value narrower than a word
(address, bool, uintN and intN below 256, an `Order` tuple's fields), the probe finds a sender for
whom the call with clean arguments succeeds (as an `eth_call`), then sets the top bit of each such
word in turn: every one of those calls must revert. Functions no probe sender can call cleanly are
listed, and a set of functions the probe must reach guards against it quietly probing nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_tester.exceptions import TransactionFailed as EthTesterTransactionFailed
from web3.exceptions import ContractLogicError, Web3RPCError

from defi_int.types import ONE

#: Functions the probe must reach with clean arguments (so their dirty variants were tried).
MUST_PROBE = {
    "Settlement.cancel",
    "Settlement.hashOrder",
    "Settlement.remaining",
    "Settlement.nonceState",
    "Settlement.hedge",
    "Settlement.setKeeper",
    "Vault.position",
    "Vault.depositFor",
    "Vault.withdrawAmm",
    "Vault.trade",
    "Vault.updateFunding",
    "Vault.setFunding",
    "Vault.listMarket",
    "Vault.setOperator",
    "Vault.pendingFunding",
    "PerpAmm.swap",
    "PerpAmm.swapFor",
    "PerpAmm.liquidationSwap",
    "PerpAmm.quoteBuy",
    "PriceOracle.setPrice",
    "PriceOracle.price",
    "CollateralToken.transfer",
}
#: Arguments for calls the per-type values cannot make succeed.
SPECIAL_ARGS: dict[str, list[Any]] = {"setFunding": [0, 3_600, 100], "listMarket": [5, ONE]}
REVERTS = (ContractLogicError, EthTesterTransactionFailed, Web3RPCError, ValueError)


def _narrow(abi_type: str) -> bool:
    if abi_type in ("address", "bool"):
        return True
    for prefix in ("uint", "int"):
        if abi_type.startswith(prefix) and abi_type[len(prefix) :].isdigit():
            return int(abi_type[len(prefix) :]) < 256
    return abi_type.startswith("bytes") and abi_type[5:].isdigit() and int(abi_type[5:]) < 32


def _words(inputs: list[dict[str, Any]]) -> list[bool] | None:
    """Per head word of the encoded inputs, whether it holds a narrow value; None for dynamic inputs."""
    words: list[bool] = []
    for param in inputs:
        if param["type"] == "tuple":
            inner = _words(param["components"])
            if inner is None:
                return None
            words += inner
        elif param["type"] in ("bytes", "string") or param["type"].endswith("]"):
            return None
        else:
            words.append(_narrow(param["type"]))
    return words


def _succeeds(w3: Any, sender: str, to: str, data: bytes) -> bool:
    try:
        w3.eth.call({"from": sender, "to": to, "data": data, "gas": 3_000_000})
    except REVERTS:
        return False
    return True


@pytest.fixture
def probe_args(defi_system, defi_traders, defi_orders, stranger):
    """A clean value per ABI type, the senders tried for every call, and the contracts probed.

    Calls reserved to a contract are made by ``stranger``: a Vault operator, the Settlement of a
    second PerpAmm (``swapFor``) and the "vault" of a third (``liquidationSwap``), same bytecode.
    """
    s, trader = defi_system, defi_traders[0]
    order = defi_orders.order(trader, nonce=10**9)
    s.chain.transact(s.owner, s.vault.functions.setOperator(stranger.address, True), gas=80_000)
    routed = s.chain.deploy(s.owner, "PerpAmm", s.vault.address, s.owner.address)
    s.chain.transact(s.owner, routed.functions.setSettlement(stranger.address), gas=80_000)
    s.chain.transact(s.owner, s.vault.functions.setOperator(routed.address, True), gas=80_000)
    unbooked = s.chain.deploy(s.owner, "PerpAmm", stranger.address, s.owner.address)
    for amm in (routed, unbooked):
        s.chain.transact(s.owner, amm.functions.initializePool(0, 1_000 * ONE, 2_000_000 * 10**6, 30), gas=100_000)
    s.deposit_for(routed.address, 1_000_000 * 10**6)
    s.mint(trader.address, 10**9)
    s.chain.transact(trader, s.token.functions.approve(s.vault.address, 10**9), gas=60_000)
    values = {
        "address": trader.address,
        "bool": True,
        "uint32": 0,
        "uint16": 30,
        "uint64": order.expiry,
        "uint128": ONE,
        "uint256": 10**6,
        "int256": ONE,
        "bytes32": b"\x01" * 32,
        "tuple": order.as_tuple(),
    }
    senders = [trader.address, s.owner.address, s.keeper.address, stranger.address]
    contracts = {
        "Settlement": [s.settlement],
        "Vault": [s.vault],
        "PerpAmm": [s.amm, routed, unbooked],
        "PriceOracle": [s.oracle],
        "CollateralToken": [s.token],
    }
    return values, senders, contracts


def test_no_function_accepts_a_value_with_bits_beyond_its_type(defi_system, probe_args):
    s = defi_system
    values, senders, contracts = probe_args
    w3 = s.chain.w3
    probed: set[str] = set()
    accepted_dirty: list[str] = []
    for name, instances in contracts.items():
        for contract, item in ((c, item) for c in instances for item in c.abi):
            if item["type"] != "function" or not item["inputs"] or f"{name}.{item['name']}" in probed:
                continue
            narrow = _words(item["inputs"])
            if narrow is None or not any(narrow):
                continue
            args = [values[p["type"]] if p["type"] in values else values["uint256"] for p in item["inputs"]]
            args = SPECIAL_ARGS.get(item["name"], args)
            data = bytes.fromhex(contract.get_function_by_name(item["name"])(*args)._encode_transaction_data()[2:])
            sender = next((x for x in senders if _succeeds(w3, x, contract.address, data)), None)
            if sender is None:
                continue
            probed.add(f"{name}.{item['name']}")
            for index, is_narrow in enumerate(narrow):
                if not is_narrow:
                    continue
                offset = 4 + 32 * index
                dirty = bytearray(data)
                dirty[offset] |= 0x80
                if _succeeds(w3, sender, contract.address, bytes(dirty)):
                    accepted_dirty.append(f"{name}.{item['name']} word {index}")
    assert accepted_dirty == []
    assert probed >= MUST_PROBE, f"not probed: {sorted(MUST_PROBE - probed)}"
