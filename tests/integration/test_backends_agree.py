"""Every backend gives every transaction the gas, status, output and logs py-evm gives it, to the unit.

One sequence of transactions is recorded on the reference backend (py-evm through eth-tester):
the deployment and wiring, deposits, withdrawals (one refused for margin, one emptying an account,
which earns an SSTORE refund), settles (a first fill, a mixed internal/AMM batch, partial fills, a
large batch, and reverting ones: empty, forged signature, expired, stale oracle, out of gas; both
``settleCompact`` and ``settle(Fill[])``), funding (set, sampled by ``updateFunding``, settled by
the fills), a liquidation (and one refused: the account is healthy), the desk's shares (deposit,
request, claim, one refused before it matures), a liquidation the AMM closes for a drained desk
(and one refused below the minimum size),
hedges (one past its slippage limit), AMM swaps (one past its limit), cancels (one by a stranger),
token transfers and an ether transfer whose gas is set by Prague's calldata floor (EIP-7623). Its
raw signed transactions are then replayed, each at the block time it was recorded at, on the fast
in-process backend, on a second py-evm and on anvil, and every receipt is compared.

This is what allows revm to be the default of ``defi-int run``: gas per fill is a headline figure of
``summary.json`` and must not depend on the backend.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from defi_int.chain import Chain, System, codec, deploy_system
from defi_int.chain.anvil import Anvil
from defi_int.chain.views import domain
from defi_int.exceptions import NodeUnavailable, TransactionFailed
from defi_int.testing import OrderMaker
from defi_int.types import ONE


@dataclass(frozen=True)
class Sent:
    """One recorded transaction and what the reference backend made of it."""

    what: str
    timestamp: int
    raw: bytes
    status: int
    gas_used: int
    contract_address: str | None
    logs: tuple[tuple[str, tuple[bytes, ...], bytes], ...]
    output: bytes | None


@dataclass(frozen=True)
class Recording:
    chain_id: int  # the raw transactions are signed for it
    funded: tuple[str, ...]  # every sender, funded with ether before the replay
    sent: tuple[Sent, ...]


def _observed(chain: Chain, what: str, timestamp: int, raw: bytes, tx_hash: bytes) -> Sent:
    receipt = chain.node.receipt(tx_hash)
    return Sent(
        what,
        timestamp,
        raw,
        receipt.status,
        receipt.gas_used,
        receipt.contract_address,
        tuple((log.address, log.topics, log.data) for log in receipt.logs),
        chain.node.output(tx_hash),
    )


def _sequence(chain: Chain, attempt: Callable[[str, Callable[[], Any]], None]) -> None:
    """The transactions to record; ``attempt`` runs one that is expected to fail on-chain."""
    system: System = deploy_system(chain, label="diff")
    maker = OrderMaker(system, domain(system))
    unit = system.params.unit
    traders = [chain.account(f"diff:trader-{i}") for i in range(8)]
    for trader in traders:
        system.fund(trader, 1_000_000 * unit)
    arbitrageur, stranger = chain.account("diff:arbitrageur"), chain.account("diff:stranger")
    saver = chain.account("diff:saver")  # never trades: it can take everything out
    for account in (arbitrageur, saver):
        system.fund(account, 1_000_000 * unit)
    settlement, vault, token = system.settlement, system.vault, system.token

    maker.settle([maker.fill(traders[0], size=2 * ONE)])
    maker.settle(
        [
            maker.fill(traders[1], is_buy=False, size=3 * ONE),
            maker.fill(traders[2], size=4 * ONE, amm_size=ONE, fee_bps=5),
            maker.fill(traders[3], is_buy=False, size=5 * ONE, internal_size=2 * ONE),
        ]
    )
    maker.settle([maker.fill(t, is_buy=i % 2 == 0, size=(i + 1) * ONE // 4) for i, t in enumerate(traders * 3)])
    attempt("settle of no fill", lambda: maker.settle([]))
    forged = maker.fill(traders[4], signature=maker.sign(traders[5], maker.order(traders[5])))
    attempt("settle with a forged signature", lambda: maker.settle([forged]))
    attempt("settle out of gas", lambda: maker.settle([maker.fill(traders[6])], gas=60_000))

    quote_limit = 10**30
    system.hedge(0, True, ONE, quote_limit)
    attempt("hedge past its slippage limit", lambda: system.hedge(0, True, ONE, 1))
    system.swap(arbitrageur, 0, False, 3 * ONE, 0)
    attempt("swap past its limit", lambda: system.swap(arbitrageur, 0, True, ONE, 1))

    resting = maker.order(traders[6])
    chain.transact(traders[6], settlement.functions.cancel(resting.as_tuple()), gas=200_000)
    other = maker.order(traders[7])
    attempt(
        "cancel by a stranger",
        lambda: chain.transact(stranger, settlement.functions.cancel(other.as_tuple()), gas=200_000),
    )

    chain.transact(traders[0], vault.functions.withdraw(1_000 * unit), gas=200_000)
    attempt("withdraw past the margin", lambda: chain.transact(traders[0], vault.functions.withdraw(999_000 * unit)))
    chain.transact(saver, vault.functions.withdraw(1_000_000 * unit), gas=200_000)  # to zero: a refund
    chain.transact(saver, token.functions.transfer(stranger.address, 500_000 * unit), gas=100_000)
    chain.transact(saver, token.functions.approve(vault.address, 0), gas=100_000)
    # Mostly calldata, little execution: EIP-7623's floor sets the gas (py-evm applies it, revm 8 lacks it).
    chain.send(stranger, {"to": saver.address, "data": bytes(range(256)) * 8, "value": 1, "gas": 200_000})

    soon = maker.fill(traders[1], expiry=chain.timestamp() + 60)
    chain.set_next_block_timestamp(chain.timestamp() + 120)
    attempt("settle of an expired order", lambda: maker.settle([soon]))
    stale = maker.fill(traders[2], expiry=chain.timestamp() + 30 * 86_400)
    chain.set_next_block_timestamp(chain.timestamp() + system.params.oracle_max_age + 1)
    attempt("settle on a stale oracle price", lambda: maker.settle([stale]))
    system.set_price(0, 2_010 * ONE)
    maker.settle([maker.fill(traders[3], is_buy=False, size=ONE)])  # above the AMM: a sell is better

    # Protocol v2: funding accrues and is sampled, both settle entry points settle it, and a
    # leveraged account is liquidated once the price falls (refused while it is healthy). The
    # premium is measured at the mid here (impact notional 0), so these fills settle funding.
    system.set_price(0, 2_000 * ONE)
    chain.transact(system.owner_account, vault.functions.setFundingImpact(0, 0), gas=150_000)
    system.set_funding(0, 3_600, 500)
    chain.set_next_block_timestamp(chain.timestamp() + 600)
    system.update_funding(0)
    system.settle([maker.fill(traders[4], size=ONE), maker.fill(traders[5], is_buy=False, size=ONE)], compact=False)
    levered = chain.account("diff:levered")
    system.fund(levered, 2_100 * unit)
    maker.settle([maker.fill(levered, size=10 * ONE)])  # 10 % initial margin: just met
    attempt("liquidation of a healthy account", lambda: system.liquidate(stranger, levered.address, 0, 10 * ONE))
    chain.set_next_block_timestamp(chain.timestamp() + 900)
    system.set_price(0, 1_880 * ONE)
    system.liquidate(stranger, levered.address, 0, 10 * ONE)
    system.update_funding(0, stranger)

    # Protocol v3: the premium at impact prices, the desk's shares (a deposit, a request, a claim,
    # one refused before it matures), the owner's capital paid out, and a liquidation the desk
    # cannot take that the AMM closes (one refused below the minimum size).
    chain.transact(system.owner_account, vault.functions.setFundingImpact(0, 20_000 * unit), gas=150_000)
    shares = system.desk_shares
    system.deposit_shares(traders[7], 100_000 * unit)
    held = chain.call(shares.functions.sharesOf(traders[7].address))
    early, _ = system.request_withdrawal(traders[7], held // 2)
    attempt("claim before the lock-up", lambda: system.claim_withdrawal(traders[7], early))
    chain.transact(system.owner_account, shares.functions.setParams(0, 10, 10_000), gas=100_000)
    request_id, _ = system.request_withdrawal(traders[7], held // 4)
    system.claim_withdrawal(traders[7], request_id)
    flat = chain.account("diff:flat")
    system.fund(flat, 2_500 * unit)
    system.set_price(0, 2_000 * ONE)
    chain.transact(flat, system.amm.functions.swap(0, True, 8 * ONE, 10**30), gas=300_000)
    desk = system.desk
    free = chain.call(vault.functions.equity(desk)) - chain.call(vault.functions.marginRequired(desk, 1_000))
    owner_shares = chain.call(shares.functions.sharesOf(system.owner_account.address))
    nav, total = chain.call(vault.functions.deskNav()), chain.call(shares.functions.totalShares())
    drain, _ = system.request_withdrawal(system.owner_account, min(owner_shares, free * (total + 10**6) // (nav + 1)))
    system.claim_withdrawal(system.owner_account, drain)
    system.set_price(0, 1_700 * ONE)
    attempt("liquidation below the minimum size", lambda: system.liquidate(stranger, flat.address, 0, 1))
    system.liquidate(stranger, flat.address, 0, 8 * ONE)


def record() -> Recording:
    """Runs ``_sequence`` on py-evm and keeps every raw transaction with its receipt and output."""
    chain = Chain.pyevm()
    captured: list[tuple[str, int, bytes, bytes]] = []
    what = ["transaction"]
    send = chain.node.send_raw_transaction

    def capture(raw: bytes) -> bytes:
        tx_hash = send(raw)
        captured.append((what[0], chain.next_timestamp(), raw, tx_hash))
        return tx_hash

    def attempt(label: str, action: Callable[[], Any]) -> None:
        what[0] = label
        try:
            with pytest.raises(TransactionFailed):
                action()
        finally:
            what[0] = "transaction"

    chain.node.send_raw_transaction = capture  # type: ignore[method-assign]
    _sequence(chain, attempt)
    sent = tuple(_observed(chain, w, ts, raw, tx_hash) for w, ts, raw, tx_hash in captured)
    senders = {chain.node.receipt(tx_hash).sender for *_, tx_hash in captured}
    return Recording(chain.chain_id, tuple(sorted(senders)), sent)


def replay(chain: Chain, recording: Recording) -> list[Sent]:
    """The recording's transactions sent raw to ``chain``, each at its recorded block time."""
    for address in recording.funded:
        chain.fund(address)
    replayed = []
    for sent in recording.sent:
        chain.set_next_block_timestamp(sent.timestamp)
        receipt = chain.send_raw(sent.raw, label=sent.what)
        replayed.append(_observed(chain, sent.what, sent.timestamp, sent.raw, receipt.transaction_hash))
    return replayed


def assert_same(reference: Recording, replayed: list[Sent], backend: str) -> None:
    assert len(replayed) == len(reference.sent)
    for index, (want, got) in enumerate(zip(reference.sent, replayed, strict=True)):
        where = f"{backend}, transaction {index} ({want.what})"
        assert (got.status, got.gas_used) == (want.status, want.gas_used), f"{where}: status and gas differ"
        assert got.contract_address == want.contract_address, f"{where}: created another address"
        assert got.logs == want.logs, f"{where}: logs differ"
        assert got.output == want.output, f"{where}: output or revert data differ"


@pytest.fixture(scope="module")
def recording() -> Recording:
    return record()


def test_the_recorded_sequence_covers_every_kind_of_transaction(recording):
    whats = {s.what for s in recording.sent if s.status == 0}
    assert whats == {
        "settle of no fill",
        "settle with a forged signature",
        "settle out of gas",
        "hedge past its slippage limit",
        "swap past its limit",
        "cancel by a stranger",
        "withdraw past the margin",
        "settle of an expired order",
        "settle on a stale oracle price",
        "liquidation of a healthy account",
        "claim before the lock-up",
        "liquidation below the minimum size",
    }
    assert sum(s.contract_address is not None for s in recording.sent) >= 5
    topics = {log[1][0] for s in recording.sent for log in s.logs if log[1]}
    expected = (
        ("Vault", "Liquidated"),
        ("Vault", "FundingSettled"),
        ("Settlement", "FillsSettled"),
        ("DeskShares", "SharesDeposited"),
        ("DeskShares", "WithdrawalClaimed"),
        ("PerpAmm", "Swap"),
    )
    for contract, name in expected:
        assert codec.event(contract, name).topic in topics, name
    assert len(recording.sent) > 60
    assert all(s.output is not None for s in recording.sent)


def test_revm_gives_every_transaction_the_gas_status_output_and_logs_of_py_evm(recording):
    with Chain.revm(genesis_time=recording.sent[0].timestamp - 10_000) as chain:
        assert_same(recording, replay(chain, recording), "revm")


def test_a_second_py_evm_chain_replays_the_recording_identically(recording):
    with Chain.pyevm(genesis_time=recording.sent[0].timestamp - 10_000) as chain:
        assert_same(recording, replay(chain, recording), "pyevm")


@pytest.mark.node
def test_anvil_gives_every_transaction_the_gas_status_output_and_logs_of_py_evm(recording):
    try:
        node = Anvil(chain_id=recording.chain_id).start()
    except NodeUnavailable as exc:
        pytest.fail(f"this test needs anvil: {exc.detail}", pytrace=False)
    try:
        with Chain.connect(node.url) as chain:
            assert_same(recording, replay(chain, recording), "anvil")
    finally:
        node.stop()
