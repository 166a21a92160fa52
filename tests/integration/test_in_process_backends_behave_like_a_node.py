"""Both in-process backends behave like a node: nonces, creation addresses, refusals, blocks, time,
``eth_call`` at the latest block, snapshots, receipts and logs, through ``Chain`` and through web3.

Each test runs on revm (the fast backend) and on py-evm (the reference) and expects the same.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import rlp
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from defi_int.chain import Chain, transactions
from defi_int.chain.backend import MAX_FEE_PER_GAS
from defi_int.exceptions import ChainError, TransactionFailed

#: Creation code that returns the block's TIMESTAMP and NUMBER as two words.
CLOCK_READER = bytes.fromhex("425f52436020526040" + "5ff3")
OLD_BLOCKS = 10_000


@pytest.fixture(params=["revm", "pyevm"])
def chain(request: pytest.FixtureRequest) -> Iterator[Chain]:
    with Chain.open(request.param) as opened:
        yield opened


def _clock(chain: Chain) -> tuple[int, int]:
    output = chain.eth_call(CLOCK_READER)
    return int.from_bytes(output[:32], "big"), int.from_bytes(output[32:], "big")


def test_a_transaction_with_a_used_nonce_is_refused_and_nothing_is_mined(chain: Chain) -> None:
    owner = chain.account("node:owner")
    token = chain.deploy(owner, "CollateralToken", "T", "T", 6, owner.address)
    block = chain.block_number()
    chain._nonces[owner.address] = 0  # as if this sender had lost count

    with pytest.raises(TransactionFailed, match="nonce"):
        chain.transact(owner, token.functions.mint(owner.address, 1), gas=100_000)

    assert chain.block_number() == block
    chain.transact(owner, token.functions.mint(owner.address, 1), gas=100_000)  # counted again from the node
    assert chain.call(token.functions.totalSupply()) == 1


def test_a_created_contract_lives_at_the_address_its_senders_nonce_gives(chain: Chain) -> None:
    owner = chain.account("node:creator")
    first = chain.deploy(owner, "CollateralToken", "A", "A", 6, owner.address)
    chain.transact(owner, first.functions.mint(owner.address, 5), gas=100_000)
    second = chain.deploy(owner, "CollateralToken", "B", "B", 6, owner.address)

    expected = [keccak(rlp.encode([bytes.fromhex(owner.address[2:]), nonce]))[12:] for nonce in (0, 2)]
    assert [first.address, second.address] == [to_checksum_address(a) for a in expected]


def test_a_transaction_mostly_of_calldata_pays_its_calldata_floor(chain: Chain) -> None:
    sender = chain.account("node:sender")
    data = b"\x01" * 1_000  # standard cost 37,000; Prague's floor (EIP-7623) 61,000

    receipt = chain.send(sender, {"to": sender.address, "data": data, "gas": 70_000})

    assert receipt.gas_used == 21_000 + 10 * 4 * 1_000


def test_every_block_carries_the_time_it_was_given_and_then_one_second_more(chain: Chain) -> None:
    sender = chain.account("node:clock")
    target = chain.timestamp() + 3_600
    chain.set_next_block_timestamp(target)

    first = chain.send(sender, {"to": sender.address, "gas": 21_000})
    chain.mine()
    second = chain.send(sender, {"to": sender.address, "gas": 21_000})

    times = [chain.w3.eth.get_block(r.block_number)["timestamp"] for r in (first, second)]
    assert times == [target, target + 2]
    assert second.block_number == first.block_number + 2
    assert chain.next_timestamp() == target + 3


def test_eth_call_at_the_latest_block_sees_its_time_and_number(chain: Chain) -> None:
    chain.set_next_block_timestamp(chain.timestamp() + 100)
    chain.mine()

    assert _clock(chain) == (chain.timestamp(), chain.block_number())


def test_a_snapshot_restores_balances_storage_nonces_blocks_and_the_clock(chain: Chain) -> None:
    owner, holder = chain.account("node:snap-owner"), chain.account("node:holder")
    token = chain.deploy(owner, "CollateralToken", "S", "S", 6, owner.address)
    chain.transact(owner, token.functions.mint(holder.address, 7), gas=100_000)
    before = (chain.block_number(), chain.timestamp(), chain.node.balance(owner.address))
    snapshot = chain.snapshot()

    chain.set_next_block_timestamp(chain.timestamp() + 50_000)
    receipt = chain.transact(owner, token.functions.mint(holder.address, 1_000), gas=100_000)
    chain.revert(snapshot)

    assert (chain.block_number(), chain.timestamp(), chain.node.balance(owner.address)) == before
    assert chain.call(token.functions.balanceOf(holder.address)) == 7
    assert chain.node.find_receipt(receipt.transaction_hash) is None
    chain.transact(owner, token.functions.mint(holder.address, 1), gas=100_000)  # the nonce was rewound too
    assert chain.call(token.functions.balanceOf(holder.address)) == 8


def test_receipts_and_logs_read_the_same_through_web3(chain: Chain) -> None:
    owner = chain.account("node:logs")
    token = chain.deploy(owner, "CollateralToken", "L", "L", 6, owner.address)
    receipt = chain.transact(owner, token.functions.mint(owner.address, 42), gas=100_000)

    (event,) = token.events.Transfer().process_receipt(receipt)
    from_web3 = chain.w3.eth.get_transaction_receipt(receipt.transaction_hash)
    logs = token.events.Transfer.get_logs(from_block=receipt.block_number)

    assert event.args.value == 42 and event.address == token.address
    assert (from_web3["status"], from_web3["gasUsed"], from_web3["blockNumber"]) == (
        1,
        receipt.gas_used,
        receipt.block_number,
    )
    assert [log.args.value for log in logs] == [42]


def test_a_reverting_transaction_is_mined_with_status_0_and_its_reason_decoded(chain: Chain) -> None:
    owner, stranger = chain.account("node:revert-owner"), chain.account("node:stranger")
    token = chain.deploy(owner, "CollateralToken", "R", "R", 6, owner.address)
    block = chain.block_number()

    with pytest.raises(TransactionFailed) as caught:
        chain.transact(stranger, token.functions.mint(stranger.address, 1), gas=100_000)

    assert getattr(caught.value, "error_name", None) == "NotOwner"
    assert chain.block_number() == block + 1
    assert chain.w3.eth.get_transaction_receipt(caught.value.tx_hash)["status"] == 0


def test_a_transaction_with_less_gas_than_its_calldata_floor_is_refused_before_it_is_sent(chain: Chain) -> None:
    # Sent anyway, py-evm 0.12 mines it charging 61,000 gas against a limit of 50,000, and anvil
    # takes it and never mines it.
    sender = chain.account("node:sender")
    block = chain.block_number()

    with pytest.raises(TransactionFailed, match="below the 61000 it needs"):
        chain.send(sender, {"to": sender.address, "data": b"\x01" * 1_000, "gas": 50_000})

    assert chain.block_number() == block


def test_revm_refuses_a_raw_transaction_with_less_gas_than_its_calldata_floor() -> None:
    with Chain.revm() as chain:
        sender = chain.account("node:sender")
        raw, _ = transactions.sign(
            bytes(sender.key),
            chain_id=chain.chain_id,
            nonce=0,
            gas=50_000,
            max_fee=MAX_FEE_PER_GAS,
            priority_fee=0,
            to=sender.address,
            data=b"\x01" * 1_000,
        )
        with pytest.raises(TransactionFailed, match="intrinsic gas too low"):
            chain.send_raw(raw)


def test_revm_refuses_to_read_an_older_block_and_says_why() -> None:
    with Chain.revm() as chain:
        chain.mine()
        with pytest.raises(ChainError, match="only the latest state"):
            chain.eth_call(CLOCK_READER, block=0)
