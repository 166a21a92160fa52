"""Helpers shared by every contract folder: revert and event checks, fresh funded accounts, a second
market, time travel, and the hostile-input check every rejection test uses.

- ``expect_rejection(fills, "ErrorName", **args)`` — off-chain validation (``validate_batch`` on a
  ``batch_view`` of the chain) must refuse the culprit fill with a reason whose custom errors
  (``Reason.errors``) name ``ErrorName``, the other fills of the batch must pass, and then
  ``settle`` must revert with that same custom error and arguments. ``replay_in_mined_block=True``
  is for reverts that depend on the block's time (OrderExpired, StalePrice): ``Chain`` decodes a
  failed transaction by replaying it on the block *before* the one it was mined in, whose
  timestamp is earlier, so those come back as a bare ``TransactionFailed``; the helper then
  replays it in the block it was mined in.
- ``expect_revert(sender, fn, "ErrorName", **args)`` — the same for a call that is not a batch.
- ``read_book(trader=..., ...)`` — a snapshot of the ledger by role (named traders plus the desk,
  the AMM and the fee recipient), the vault's token balance and the AMM reserves; subtracting two
  snapshots gives exact deltas to assert on.
- ``defi_orders`` settles through ``settleCompact`` (the ``entry`` fixture; the Settlement folder
  parametrizes it over both entry points).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from web3.contract.contract import ContractFunction
from web3.logs import DISCARD

from defi_int.chain.deploy import settle_calldata
from defi_int.chain.views import batch_view, domain
from defi_int.exceptions import ContractRevert, TransactionFailed
from defi_int.orders.model import Fill
from defi_int.orders.validation import validate_batch
from defi_int.testing import OrderMaker


def _norm(args: dict[str, Any]) -> dict[str, Any]:
    return {k: v.lower() if isinstance(v, str) else v for k, v in args.items()}


@pytest.fixture
def reverts() -> Callable[..., Any]:
    """``with reverts("Name", arg=value, ...)``: the block must revert with exactly that custom error."""

    @contextmanager
    def check(error_name: str, **args: Any) -> Iterator[pytest.ExceptionInfo[ContractRevert]]:
        with pytest.raises(ContractRevert) as info:
            yield info
        assert info.value.error_name == error_name, str(info.value)
        assert _norm(info.value.args_by_name) == _norm(args), str(info.value)

    return check


@pytest.fixture
def events() -> Callable[[Any, Any, str], list[dict[str, Any]]]:
    """``events(contract, receipt, "Name")``: the args of every such event ``contract`` emitted, in order."""

    def decode(contract: Any, receipt: Any, name: str) -> list[dict[str, Any]]:
        logs = getattr(contract.events, name)().process_receipt(receipt, errors=DISCARD)
        return [dict(log.args) for log in logs if log.address == contract.address]

    return decode


@pytest.fixture
def account(defi_chain) -> Callable[[str], LocalAccount]:
    """``account(name)``: a funded account derived from ``name`` (fresh ether in every test)."""
    return lambda name: defi_chain.account(f"contract-tests:{name}")


@pytest.fixture
def stranger(account) -> LocalAccount:
    return account("stranger")


@pytest.fixture
def alice(account) -> LocalAccount:
    return account("alice")


@pytest.fixture
def bob(account) -> LocalAccount:
    return account("bob")


@pytest.fixture
def carol(account) -> LocalAccount:
    return account("carol")


MARKET_B = 7
PRICE_B = 50 * 10**18


@pytest.fixture
def market_b(defi_system) -> int:
    """A second market, listed after deployment: oracle 50 USD, AMM 100 base against 5,000 USD, desk cap 10."""
    s = defi_system
    s.set_price(MARKET_B, PRICE_B)
    s.chain.transact(s.owner, s.vault.functions.listMarket(MARKET_B, 10 * 10**18), gas=150_000)
    s.chain.transact(s.owner, s.amm.functions.initializePool(MARKET_B, 100 * 10**18, 5_000 * 10**6, 30), gas=100_000)
    return MARKET_B


@pytest.fixture
def later(defi_system) -> Callable[[int], int]:
    """``later(seconds)``: the next block comes ``seconds`` after the latest; returns its time."""

    def move(seconds: int) -> int:
        when = defi_system.chain.timestamp() + seconds
        defi_system.chain.set_next_block_timestamp(when)
        return when

    return move


MARKET = 0


@dataclass
class EntryOrderMaker(OrderMaker):
    """The plugin's ``OrderMaker``, settling through one chosen entry point."""

    compact: bool = True

    def settle(self, fills: Sequence[Fill], *, gas: int | None = None) -> Any:
        return self.system.settle(fills, gas=gas, compact=self.compact)


@pytest.fixture
def entry() -> str:
    """The settlement entry point ``defi_orders`` uses: ``settleCompact``, what ``System.settle``
    sends (the Settlement folder runs every test through ``settle(Fill[])`` as well)."""
    return "compact"


@pytest.fixture
def defi_orders(defi_system, entry) -> EntryOrderMaker:
    return EntryOrderMaker(defi_system, domain(defi_system), compact=entry == "compact")


def _same(actual: Any, expected: Any) -> bool:
    """Equality that ignores address checksum case (eth-abi decodes addresses in lower case)."""
    if isinstance(actual, str) and isinstance(expected, str) and actual.startswith("0x"):
        return actual.lower() == expected.lower()
    return bool(actual == expected)


def _check_args(revert: ContractRevert, expected: dict[str, Any]) -> None:
    for name, value in expected.items():
        assert name in revert.args_by_name, f"{revert.error_name} has no argument {name!r}: {revert.args_by_name}"
        assert _same(revert.args_by_name[name], value), (
            f"{revert.error_name}.{name} is {revert.args_by_name[name]!r}, expected {value!r}"
        )


@pytest.fixture
def expect_rejection(defi_system, defi_orders) -> Callable[..., ContractRevert]:
    def check(
        fills: Fill | Sequence[Fill],
        error: str,
        *,
        culprit: Fill | None = None,
        alone: bool = True,
        now: int | None = None,
        replay_in_mined_block: bool = False,
        **args: Any,
    ) -> ContractRevert:
        """Off-chain rejection of ``culprit`` (default: the last fill), then the same revert on-chain.

        ``alone=False``: other fills of the batch may be refused too (the chain reverts on the first
        fault it meets, the culprit; validation reports every fault)."""
        batch = [fills] if isinstance(fills, Fill) else list(fills)
        culprit = batch[-1] if culprit is None else culprit

        outcome = validate_batch(batch, batch_view(defi_system, [f.order for f in batch], now=now))
        reasons = [reason for fill, reason in outcome.rejected if fill is culprit]
        assert reasons, f"off-chain validation accepted a fill the chain rejects with {error}"
        assert error in reasons[0].reason.errors, (
            f"off-chain reason {reasons[0].reason.code!r} ({reasons[0].detail}) names "
            f"{reasons[0].reason.errors}, not {error}"
        )
        assert reasons[0].detail, "an off-chain rejection must say why"
        assert reasons[0].digest == defi_orders.digest(culprit.order)
        if alone:
            assert [f for f in batch if f is not culprit] == outcome.accepted, "only the culprit should be refused"

        with pytest.raises(TransactionFailed) as caught:
            defi_orders.settle(batch)
        revert = caught.value
        if replay_in_mined_block and not isinstance(revert, ContractRevert) and revert.tx_hash:
            revert = _replay_in_mined_block(defi_system, defi_orders.compact, batch, revert.tx_hash)
        assert isinstance(revert, ContractRevert), f"settle failed without a decoded custom error: {revert}"
        assert revert.error_name == error, f"chain reverted with {revert}, expected {error}"
        if "digest" in revert.args_by_name:
            assert revert.args_by_name["digest"] == defi_orders.digest(culprit.order), "the error names another order"
        _check_args(revert, args)
        return revert

    return check


def _replay_in_mined_block(defi_system: Any, compact: bool, batch: Sequence[Fill], tx_hash: str) -> ContractRevert:
    chain = defi_system.chain
    block = chain.w3.eth.get_transaction_receipt(tx_hash)["blockNumber"]
    data = settle_calldata(batch, compact=compact)
    with pytest.raises(ContractRevert) as caught:
        chain.eth_call(data, to=defi_system.settlement.address, sender=defi_system.keeper.address, block=block)
    return caught.value


@pytest.fixture
def expect_revert(defi_system) -> Callable[..., ContractRevert]:
    def check(sender: Any, fn: ContractFunction, error: str, **args: Any) -> ContractRevert:
        """``fn`` sent by ``sender`` reverts with custom error ``error`` and the given arguments."""
        with pytest.raises(ContractRevert) as caught:
            defi_system.chain.transact(sender, fn, gas=1_000_000)
        assert caught.value.error_name == error, f"reverted with {caught.value}, expected {error}"
        _check_args(caught.value, args)
        return caught.value

    return check


@dataclass(frozen=True)
class Book:
    """Cash and market-0 positions by role, the vault's token balance and the AMM reserves."""

    cash: dict[str, int]
    position: dict[str, int]
    vault_tokens: int
    reserves: tuple[int, int]

    def __sub__(self, earlier: Book) -> Book:
        return Book(
            {k: v - earlier.cash[k] for k, v in self.cash.items()},
            {k: v - earlier.position[k] for k, v in self.position.items()},
            self.vault_tokens - earlier.vault_tokens,
            (self.reserves[0] - earlier.reserves[0], self.reserves[1] - earlier.reserves[1]),
        )


@pytest.fixture
def read_book(defi_system) -> Callable[..., Book]:
    vault = defi_system.vault

    def call(fn: ContractFunction) -> Any:
        # An explicit `from` spares eth-tester's provider from listing every account to guess one.
        return defi_system.chain.call(fn, sender=defi_system.owner.address)

    def read(**traders: str) -> Book:
        accounts = {
            **traders,
            "desk": defi_system.desk,
            "amm": str(defi_system.amm.address),
            "fees": defi_system.fee_recipient,
        }
        return Book(
            {name: call(vault.functions.cash(addr)) for name, addr in accounts.items()},
            {name: call(vault.functions.position(addr, MARKET)) for name, addr in accounts.items()},
            call(defi_system.token.functions.balanceOf(vault.address)),
            tuple(call(defi_system.amm.functions.reserves(MARKET))),
        )

    return read


@pytest.fixture
def holder(defi_system, account) -> Callable[[str, int], LocalAccount]:
    """``holder(name, amount)``: a fresh account holding ``amount`` tokens, the vault approved for them."""

    def make(name: str, amount: int) -> LocalAccount:
        acct = account(name)
        defi_system.mint(acct.address, amount)
        defi_system.chain.transact(
            acct, defi_system.token.functions.approve(defi_system.vault.address, amount), gas=60_000
        )
        return acct

    return make


@pytest.fixture
def drain_desk(defi_system) -> Callable[[], None]:
    """Pays all of the desk's free cash (its equity above initial margin) out to the owner through
    its shares (no lock-up, no fee, no daily cap for the occasion): the desk can then take no
    position that grows its book."""
    s = defi_system

    def drain() -> None:
        desk, shares = s.desk, s.desk_shares
        equity = s.chain.call(s.vault.functions.equity(desk))
        required = s.chain.call(s.vault.functions.marginRequired(desk, s.params.initial_margin_bps))
        free = min(equity - required, s.chain.call(s.vault.functions.cash(desk)))
        if free <= 0:
            return
        s.chain.transact(s.owner, shares.functions.setParams(0, 0, 10_000), gas=100_000)
        total = s.chain.call(shares.functions.totalShares())
        held = s.chain.call(shares.functions.sharesOf(s.owner.address))
        worth = min(free * (total + 10**6) // (equity + 1), held)
        request_id, _ = s.request_withdrawal(s.owner, worth)
        s.claim_withdrawal(s.owner, request_id)

    return drain
