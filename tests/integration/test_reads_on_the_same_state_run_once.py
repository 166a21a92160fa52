"""On revm, ``read_many`` runs a view once per state: a second read of the same state is answered
from ``Chain.latest_reads``, and anything that changes the state (a transaction, an empty block, a
revert to a snapshot) makes the next read run again and see the new value.

On py-evm and on a node (which others may change under us) nothing is kept: every read runs.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from defi_int.chain import Chain
from defi_int.chain.multiread import Read, read_many


@pytest.fixture
def revm() -> Iterator[Chain]:
    with Chain.open("revm") as chain:
        yield chain


def _token(chain: Chain) -> tuple[object, str]:
    owner = chain.account("memo:owner")
    token = chain.deploy(owner, "CollateralToken", "T", "T", 6, owner.address)
    return token, owner


def _counting(chain: Chain, monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The ``eth_call``s that reach the node from here on."""
    calls: list[bytes] = []
    original = chain.node.call

    def counting(call, block="latest"):  # type: ignore[no-untyped-def]
        calls.append(call.data)
        return original(call, block)

    monkeypatch.setattr(chain.node, "call", counting)
    return calls


def test_the_same_reads_on_the_same_state_run_once(revm: Chain, monkeypatch: pytest.MonkeyPatch) -> None:
    token, owner = _token(revm)
    supply = Read(token.address, "totalSupply()")
    balance = Read(token.address, "balanceOf(address)", (owner.address,))
    calls = _counting(revm, monkeypatch)

    assert read_many(revm, [supply]) == [0]
    assert read_many(revm, [supply, balance]) == [0, 0]  # only the balance runs
    assert read_many(revm, [balance, supply]) == [0, 0]  # nothing runs

    assert len(calls) == 2
    assert read_many(revm, [supply], block=revm.block_number()) == [0]  # an explicit block is never memoized
    assert len(calls) == 3


def test_a_transaction_a_block_or_a_revert_makes_the_next_read_run(
    revm: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, owner = _token(revm)
    supply = Read(token.address, "totalSupply()")
    calls = _counting(revm, monkeypatch)
    assert read_many(revm, [supply]) == [0]

    snapshot = revm.snapshot()
    revm.transact(owner, token.functions.mint(owner.address, 7), gas=100_000)
    assert read_many(revm, [supply]) == [7]
    revm.mine()
    assert read_many(revm, [supply]) == [7]
    revm.revert(snapshot)
    assert read_many(revm, [supply]) == [0]

    assert len(calls) == 4


def test_a_chain_that_does_not_version_its_state_reads_every_time() -> None:
    with Chain.open("pyevm") as chain:
        token, _ = _token(chain)
        assert chain.latest_reads() is None
        supply = Read(token.address, "totalSupply()")
        assert read_many(chain, [supply]) == read_many(chain, [supply]) == [0]
