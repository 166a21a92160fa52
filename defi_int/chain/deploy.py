"""Deployment of the whole protocol: ``deploy_system(chain, params) -> System``.

Order of work: token, oracle, the vault's module (its cold half, run by delegatecall), vault, AMM,
settlement, the desk's shares; then roles (settlement and
AMM become vault operators, the vault and the AMM learn each other and the AMM its settlement, the
vault its shares contract, the keeper is
allow-listed, the liquidation parameters and the close factor are set); then each market (oracle
price, vault listing with the desk's cap, AMM pool, the funding premium's impact notional, funding
when enabled); then capital (the AMM's book and the insurance fund are funded with freshly minted
collateral, the desk by the owner's first deposit of shares: the owner's capital is shares like
anyone's). Every account is derived from a
label, so the same parameters give the same addresses on every backend.

``SystemParams`` and ``MarketParams`` are declared, with every default, range and unit, in
``defi_int.params`` (re-exported here); building one checks what the contracts will take.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from defi_int.chain import codec
from defi_int.chain.backend import Chain
from defi_int.chain.encoding import pack_fills
from defi_int.chain.node import Receipt
from defi_int.exceptions import ChainError, TransactionFailed
from defi_int.market.ledger import INSURANCE_FUND
from defi_int.orders.model import Fill
from defi_int.params import MarketParams as MarketParams  # re-exported: declared once in defi_int.params
from defi_int.params import SystemParams as SystemParams

#: Gas given to ``settle``: a base plus a per-fill allowance that covers a first-ever fill with
#: both legs (the measured figures are in tests/gas_snapshot.json); unused gas is not paid.
SETTLE_BASE_GAS = 200_000
SETTLE_GAS_PER_FILL = 130_000
HEDGE_GAS = 200_000
SWAP_GAS = 200_000
LIQUIDATE_GAS = 600_000
FUNDING_GAS = 150_000
SHARES_GAS = 250_000


@dataclass
class System:
    """A deployed protocol: web3 contract objects and the accounts that run it."""

    chain: Chain
    params: SystemParams
    token: Contract
    oracle: Contract
    vault: Contract
    amm: Contract
    settlement: Contract
    owner: LocalAccount | None  # None: attached without the owner's key (a keeper bot needs only its own)
    keeper: LocalAccount | None  # None: attached without the keeper's key (a traders client)
    fee_recipient: str
    shares: Contract | None = None  # the desk's depositors' shares (``DeskShares``)

    @property
    def desk(self) -> str:
        """The desk's account in the vault ledger: the vault's own address."""
        return str(self.vault.address)

    @property
    def owner_account(self) -> LocalAccount:
        """The owner's account; a system attached without the owner's key cannot act as the owner."""
        if self.owner is None:
            raise ChainError("this deployment was attached without the owner's key (DEFI_INT_OWNER_KEY)")
        return self.owner

    @property
    def keeper_account(self) -> LocalAccount:
        """The keeper's account; a system attached without the keeper's key cannot settle."""
        if self.keeper is None:
            raise ChainError("this deployment was attached without the keeper's key (DEFI_INT_KEEPER_KEY)")
        return self.keeper

    def mint(self, to: str, amount: int) -> None:
        """Mints ``amount`` collateral units to ``to`` (owner)."""
        self.chain.transact(self.owner_account, self.token.functions.mint(to, amount), gas=100_000)

    def fund(self, account: LocalAccount, amount: int) -> None:
        """Mints ``amount`` collateral units to ``account``, which deposits them as margin."""
        self.mint(account.address, amount)
        self.chain.transact(account, self.token.functions.approve(self.vault.address, amount), gas=60_000)
        self.chain.transact(account, self.vault.functions.deposit(amount), gas=150_000)

    def deposit_for(self, account: str, amount: int) -> None:
        """Mints ``amount`` to the owner and deposits it into ``account``'s cash."""
        owner = self.owner_account
        self.mint(owner.address, amount)
        self.chain.transact(owner, self.token.functions.approve(self.vault.address, amount), gas=60_000)
        self.chain.transact(owner, self.vault.functions.depositFor(account, amount), gas=150_000)

    @property
    def desk_shares(self) -> Contract:
        """The desk's shares contract."""
        if self.shares is None:
            raise ChainError("this system has no DeskShares contract")
        return self.shares

    def deposit_shares(self, account: LocalAccount, amount: int, *, mint: bool = True) -> Receipt:
        """``account`` deposits ``amount`` collateral units into the desk for shares (minted to it first)."""
        if mint:
            self.mint(account.address, amount)
        self.chain.transact(account, self.token.functions.approve(self.vault.address, amount), gas=60_000)
        data = codec.function("DeskShares", "deposit").encode(amount)
        tx = {"to": self.desk_shares.address, "data": data, "gas": SHARES_GAS}
        return self.chain.send(account, tx, label="deposit shares")

    def request_withdrawal(self, account: LocalAccount, shares: int) -> tuple[int, Receipt]:
        """``account`` asks to withdraw ``shares``; returns the request's id and the receipt."""
        data = codec.function("DeskShares", "requestWithdrawal").encode(shares)
        tx = {"to": self.desk_shares.address, "data": data, "gas": SHARES_GAS}
        receipt = self.chain.send(account, tx, label="request withdrawal")
        (event,) = _events(receipt, "DeskShares", "WithdrawalRequested", self.desk_shares.address)
        return int(event["id"]), receipt

    def claim_withdrawal(self, account: LocalAccount, request_id: int) -> tuple[dict[str, Any], Receipt]:
        """``account`` claims its request ``request_id``; returns the ``WithdrawalClaimed`` event's arguments."""
        data = codec.function("DeskShares", "claim").encode(request_id)
        tx = {"to": self.desk_shares.address, "data": data, "gas": SHARES_GAS * 2}
        receipt = self.chain.send(account, tx, label="claim withdrawal")
        (event,) = _events(receipt, "DeskShares", "WithdrawalClaimed", self.desk_shares.address)
        return event, receipt

    def deposit_for_each(self, accounts: Sequence[str], amount: int) -> None:
        """Deposits ``amount`` into the cash of each of ``accounts``: the owner mints and approves once
        for all of them, then sends one ``depositFor`` each (the accounts need no ether)."""
        if not accounts:
            return
        owner = self.owner_account
        total = amount * len(accounts)
        self.mint(owner.address, total)
        self.chain.transact(owner, self.token.functions.approve(self.vault.address, total), gas=60_000)
        deposit = codec.function("Vault", "depositFor")
        for account in accounts:
            tx = {"to": self.vault.address, "data": deposit.encode(account, amount), "gas": 150_000}
            self.chain.send(owner, tx, label="depositFor")

    def set_price(self, market: int, price: int) -> None:
        """Posts an oracle price for ``market`` (owner is an updater)."""
        data = codec.function("PriceOracle", "setPrice").encode(market, price)
        self.chain.send(self.owner_account, {"to": self.oracle.address, "data": data, "gas": 80_000}, label="setPrice")

    def swap(self, account: LocalAccount, market: int, is_buy: bool, size: int, limit_quote: int) -> int:
        """``account`` trades ``size`` base on the AMM directly (an arbitrageur); returns the quote traded."""
        data = codec.function("PerpAmm", "swap").encode(market, is_buy, size, limit_quote)
        receipt = self.chain.send(account, {"to": self.amm.address, "data": data, "gas": SWAP_GAS}, label="swap")
        (swap,) = _events(receipt, "PerpAmm", "Swap", self.amm.address)
        return int(swap["quote"])

    def settle(self, fills: Sequence[Fill], *, gas: int | None = None, compact: bool = True) -> Receipt:
        """Sends the batch from the keeper, packed (``settleCompact``) unless ``compact=False``
        (``settle(Fill[])``); returns the receipt (a revert raises ``ContractRevert``)."""
        gas = gas or settle_gas(len(fills))
        tx = {"to": self.settlement.address, "data": settle_calldata(fills, compact=compact), "gas": gas}
        return self.chain.send(self.keeper_account, tx, label="settle")

    def simulate_settle(self, fills: Sequence[Fill], *, compact: bool = True) -> None:
        """Runs the batch as a call on the latest state; a revert raises ``ContractRevert``."""
        data = settle_calldata(fills, compact=compact)
        self.chain.eth_call(data, to=self.settlement.address, sender=self.keeper_account.address)

    def liquidate(
        self, liquidator: LocalAccount, account: str, market: int, size: int
    ) -> tuple[dict[str, Any], Receipt]:
        """``liquidator`` liquidates up to ``size`` of ``account``'s position in ``market``; returns
        the ``Liquidated`` event's arguments and the receipt (a revert raises ``ContractRevert``)."""
        data = codec.function("Vault", "liquidate").encode(account, market, size)
        receipt = self.chain.send(
            liquidator, {"to": self.vault.address, "data": data, "gas": LIQUIDATE_GAS}, label="liquidate"
        )
        (liquidated,) = _events(receipt, "Vault", "Liquidated", self.vault.address)
        return liquidated, receipt

    def update_funding(self, market: int, sender: LocalAccount | None = None) -> Receipt:
        """Brings ``market``'s funding index up to now and samples its premium (anyone; the owner by default)."""
        data = codec.function("Vault", "updateFunding").encode(market)
        tx = {"to": self.vault.address, "data": data, "gas": FUNDING_GAS}
        return self.chain.send(sender or self.owner_account, tx, label="updateFunding")

    def set_funding(self, market: int, period: int, cap_bps: int) -> Receipt:
        """Sets ``market``'s funding parameters (owner); ``period`` 0 turns funding off."""
        data = codec.function("Vault", "setFunding").encode(market, period, cap_bps)
        tx = {"to": self.vault.address, "data": data, "gas": 200_000}
        return self.chain.send(self.owner_account, tx, label="setFunding")

    def hedge(self, market: int, is_buy: bool, size: int, limit_quote: int) -> tuple[int, Receipt]:
        """The desk trades its own book on the AMM (keeper); returns the quote traded and the receipt."""
        data = codec.function("Settlement", "hedge").encode(market, is_buy, size, limit_quote)
        receipt = self.chain.send(
            self.keeper_account, {"to": self.settlement.address, "data": data, "gas": HEDGE_GAS}, label="hedge"
        )
        (hedged,) = _events(receipt, "Settlement", "Hedged", self.settlement.address)
        return int(hedged["quote"]), receipt


def settle_calldata(fills: Sequence[Fill], *, compact: bool = True) -> bytes:
    """The calldata settling ``fills``: ``settleCompact(packed)`` (``chain.encoding``), or ``settle(Fill[])``."""
    if compact:
        return codec.function("Settlement", "settleCompact").encode(pack_fills(fills))
    return codec.function("Settlement", "settle").encode([f.as_tuple() for f in fills])


def _events(receipt: Receipt, contract: str, name: str, address: str) -> list[dict[str, Any]]:
    """The arguments of the one ``name`` event ``address`` emitted in ``receipt``."""
    found = codec.event(contract, name).in_logs(receipt.logs, address)
    if len(found) != 1:
        raise TransactionFailed(f"{contract}.{name}: {len(found)} such events in the receipt, expected 1")
    return found


def settle_gas(fills: int) -> int:
    """The gas limit ``System.settle`` gives a batch of ``fills``."""
    return SETTLE_BASE_GAS + SETTLE_GAS_PER_FILL * fills


def settle_capacity(block_gas_limit: int) -> int:
    """The most fills one ``settle`` may carry: its ``settle_gas`` must fit in the next block.

    A block's gas limit may be 1/1024 below its parent's, so the latest block's limit is taken
    less that much.
    """
    usable = block_gas_limit - block_gas_limit // 1024
    return max(0, (usable - SETTLE_BASE_GAS) // SETTLE_GAS_PER_FILL)


def deploy_system(
    chain: Chain,
    params: SystemParams | None = None,
    *,
    label: str = "defi",
    owner: LocalAccount | None = None,
    keeper: LocalAccount | None = None,
) -> System:
    """Deploys and wires the protocol on ``chain``; see the module docstring for the steps.

    ``owner`` and ``keeper`` default to accounts derived from ``label``; given ones (keys from an
    operator) are funded with ether only when they lack it and the node has an account to fund from.
    """
    params = params or SystemParams()
    if owner is None:
        owner = chain.account(f"{label}:owner")
    else:
        chain.fund(owner.address)
    if keeper is None:
        keeper = chain.account(f"{label}:keeper")
    else:
        chain.fund(keeper.address)
    fee_recipient = chain.account(f"{label}:fees", fund=False).address

    token = chain.deploy(owner, "CollateralToken", "Defi-Int USD", "dUSD", params.decimals, owner.address)
    oracle = chain.deploy(owner, "PriceOracle", owner.address, params.oracle_max_age)
    module = chain.deploy(owner, "VaultModule", token.address, oracle.address, owner.address)
    vault = chain.deploy(
        owner,
        "Vault",
        token.address,
        oracle.address,
        owner.address,
        fee_recipient,
        params.initial_margin_bps,
        params.maintenance_margin_bps,
        module.address,
    )
    amm = chain.deploy(owner, "PerpAmm", vault.address, owner.address)
    settlement = chain.deploy(owner, "Settlement", vault.address, amm.address, owner.address, params.max_deviation_bps)
    share_params = (params.share_lockup, params.share_fee_bps, params.share_daily_outflow_bps)
    shares = chain.deploy(owner, "DeskShares", vault.address, owner.address, *share_params)
    system = System(chain, params, token, oracle, vault, amm, settlement, owner, keeper, fee_recipient, shares)

    send = chain.transact
    send(owner, vault.functions.setOperator(settlement.address, True), gas=80_000)
    send(owner, vault.functions.setOperator(amm.address, True), gas=80_000)
    send(owner, amm.functions.setSettlement(settlement.address), gas=80_000)
    send(owner, vault.functions.setAmm(amm.address), gas=80_000)
    send(owner, vault.functions.setShares(shares.address), gas=80_000)
    send(owner, settlement.functions.setKeeper(keeper.address, True), gas=80_000)
    liquidation = (params.liquidation_penalty_bps, params.liquidator_share_bps, params.liquidation_slippage_bps)
    send(owner, vault.functions.setLiquidationParams(*liquidation), gas=80_000)
    close_factor = (
        params.liquidation_buffer_bps,
        params.full_liquidation_bps,
        params.min_liquidation_notional * params.unit,
    )
    send(owner, vault.functions.setCloseFactor(*close_factor), gas=80_000)
    for market in params.markets:
        system.set_price(market.market_id, market.price)
        send(owner, vault.functions.listMarket(market.market_id, market.inventory_cap), gas=150_000)
        send(
            owner,
            amm.functions.initializePool(
                market.market_id, market.amm_base, params.amm_quote(market), market.amm_fee_bps
            ),
            gas=100_000,
        )
        if market.funding_impact_notional:
            impact = market.funding_impact_notional * params.unit
            send(owner, vault.functions.setFundingImpact(market.market_id, impact), gas=150_000)
        if market.funding_period:
            system.set_funding(market.market_id, market.funding_period, market.funding_cap_bps)
    if params.amm_capital:
        system.deposit_for(amm.address, params.amm_capital * params.unit)
    if params.desk_capital:
        system.deposit_shares(owner, params.desk_capital * params.unit)
    if params.insurance_capital:
        system.deposit_for(INSURANCE_FUND, params.insurance_capital * params.unit)
    return system
