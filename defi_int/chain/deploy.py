"""Deployment of the whole protocol: ``deploy_system(chain, params) -> System``.

Order of work: token, oracle, vault, AMM, settlement; then roles (settlement and AMM become vault
operators, the vault and the AMM learn each other and the AMM its settlement, the keeper is
allow-listed, the liquidation parameters are set); then each market (oracle price, vault listing
with the desk's cap, AMM pool, funding when enabled); then capital (the AMM's book and the desk
are funded with freshly minted collateral). Every account is derived from a label, so the same
parameters give the same addresses on every backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.logs import DISCARD

from defi_int.chain.backend import Chain
from defi_int.chain.encoding import pack_fills
from defi_int.exceptions import ConfigError, TransactionFailed
from defi_int.market.funding import MAX_PERIOD, MIN_PERIOD
from defi_int.orders.model import Fill
from defi_int.types import BPS, ONE

#: Gas given to ``settle``: a base plus a per-fill allowance that covers a first-ever fill with
#: both legs (the measured figures are in tests/gas_snapshot.json); unused gas is not paid.
SETTLE_BASE_GAS = 200_000
SETTLE_GAS_PER_FILL = 130_000
HEDGE_GAS = 200_000
SWAP_GAS = 200_000
LIQUIDATE_GAS = 600_000
#: Market 2^32 - 1 is reserved ("no market"): the Vault refuses to list it.
MAX_MARKET_ID = 2**32 - 2
#: The oracle refuses a longer ``maxAge`` (``PriceOracle.MAX_AGE_LIMIT``).
MAX_ORACLE_AGE = 365 * 86_400


@dataclass(frozen=True)
class MarketParams:
    """One market: index price, AMM virtual reserves and fee, the desk's inventory cap, funding."""

    market_id: int = 0
    price: int = 2_000 * ONE  # USD per base unit, 1e18
    amm_base: int = 1_000 * ONE  # virtual base reserve, 1e18 base units
    amm_fee_bps: int = 30
    inventory_cap: int = 100 * ONE  # base units
    funding_period: int = 0  # seconds over which the AMM-oracle premium is paid in full; 0: off
    funding_cap_bps: int = 0  # the premium's clamp, in bps of the oracle price


@dataclass(frozen=True)
class SystemParams:
    """Everything ``deploy_system`` needs; the defaults give a small live market 0."""

    decimals: int = 6
    oracle_max_age: int = 3_600
    initial_margin_bps: int = 1_000
    maintenance_margin_bps: int = 500
    max_deviation_bps: int = 100
    desk_capital: int = 2_000_000  # whole collateral tokens
    amm_capital: int = 5_000_000  # whole collateral tokens
    markets: tuple[MarketParams, ...] = field(default_factory=lambda: (MarketParams(),))
    liquidation_penalty_bps: int = 250  # of the liquidated notional
    liquidator_share_bps: int = 5_000  # of the penalty; the insurance fund gets the rest
    liquidation_slippage_bps: int = 200  # an AMM close's most distance from the oracle price

    def __post_init__(self) -> None:
        if not 0 < self.maintenance_margin_bps <= self.initial_margin_bps <= BPS:
            raise ConfigError(
                f"margin ratios must satisfy 0 < maintenance ({self.maintenance_margin_bps}) "
                f"<= initial ({self.initial_margin_bps}) <= {BPS} bps"
            )
        if not 0 <= self.max_deviation_bps <= BPS:
            raise ConfigError(f"max_deviation_bps must be within 0..{BPS}, got {self.max_deviation_bps}")
        if not 0 <= self.decimals <= 36:
            raise ConfigError(f"decimals must be within 0..36, got {self.decimals}")
        if not 0 <= self.oracle_max_age <= MAX_ORACLE_AGE:
            raise ConfigError(f"oracle_max_age must be within 0..{MAX_ORACLE_AGE} s, got {self.oracle_max_age}")
        for name in ("liquidation_penalty_bps", "liquidator_share_bps", "liquidation_slippage_bps"):
            if not 0 <= getattr(self, name) <= BPS:
                raise ConfigError(f"{name} must be within 0..{BPS}, got {getattr(self, name)}")
        ids = [m.market_id for m in self.markets]
        if len(set(ids)) != len(ids):
            raise ConfigError(f"market ids must be distinct, got {ids}")
        for m in self.markets:
            if not 0 <= m.market_id <= MAX_MARKET_ID:
                raise ConfigError(f"market id {m.market_id} must be within 0..{MAX_MARKET_ID} (2^32 - 1 is reserved)")
            if m.price <= 0 or m.amm_base <= 0:
                raise ConfigError(f"market {m.market_id}: price and amm_base must be positive")
            if not 0 <= m.amm_fee_bps < BPS:
                raise ConfigError(f"market {m.market_id}: amm_fee_bps must be within 0..{BPS - 1}")
            if m.funding_period and not MIN_PERIOD <= m.funding_period <= MAX_PERIOD:
                raise ConfigError(
                    f"market {m.market_id}: funding_period must be 0 (off) or within {MIN_PERIOD}..{MAX_PERIOD} s"
                )
            if not 0 <= m.funding_cap_bps <= BPS:
                raise ConfigError(f"market {m.market_id}: funding_cap_bps must be within 0..{BPS}")

    @property
    def unit(self) -> int:
        """One whole collateral token in its smallest units."""
        return int(10**self.decimals)

    @property
    def price_scale(self) -> int:
        """size (1e18) x price (1e18) / price_scale = collateral units."""
        return int(10 ** (36 - self.decimals))

    def amm_quote(self, market: MarketParams) -> int:
        """Virtual quote reserve (collateral units) that puts the AMM mid at the index price."""
        return market.amm_base * market.price // self.price_scale


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
    owner: LocalAccount
    keeper: LocalAccount
    fee_recipient: str

    @property
    def desk(self) -> str:
        """The desk's account in the vault ledger: the vault's own address."""
        return str(self.vault.address)

    def mint(self, to: str, amount: int) -> None:
        """Mints ``amount`` collateral units to ``to`` (owner)."""
        self.chain.transact(self.owner, self.token.functions.mint(to, amount), gas=100_000)

    def fund(self, account: LocalAccount, amount: int) -> None:
        """Mints ``amount`` collateral units to ``account``, which deposits them as margin."""
        self.mint(account.address, amount)
        self.chain.transact(account, self.token.functions.approve(self.vault.address, amount), gas=60_000)
        self.chain.transact(account, self.vault.functions.deposit(amount), gas=150_000)

    def deposit_for(self, account: str, amount: int) -> None:
        """Mints ``amount`` to the owner and deposits it into ``account``'s cash."""
        self.mint(self.owner.address, amount)
        self.chain.transact(self.owner, self.token.functions.approve(self.vault.address, amount), gas=60_000)
        self.chain.transact(self.owner, self.vault.functions.depositFor(account, amount), gas=150_000)

    def set_price(self, market: int, price: int) -> None:
        """Posts an oracle price for ``market`` (owner is an updater)."""
        self.chain.transact(self.owner, self.oracle.functions.setPrice(market, price), gas=80_000)

    def swap(self, account: LocalAccount, market: int, is_buy: bool, size: int, limit_quote: int) -> int:
        """``account`` trades ``size`` base on the AMM directly (an arbitrageur); returns the quote traded."""
        fn = self.amm.functions.swap(market, is_buy, size, limit_quote)
        receipt = self.chain.transact(account, fn, gas=SWAP_GAS)
        logs = self.amm.events.Swap().process_receipt(receipt, errors=DISCARD)
        if len(logs) != 1:
            raise TransactionFailed(f"swap emitted {len(logs)} Swap events, expected 1")
        return int(logs[0].args.quote)

    def settle(self, fills: Sequence[Fill], *, gas: int | None = None, compact: bool = True) -> Any:
        """Sends the batch from the keeper, packed (``settleCompact``) unless ``compact=False``
        (``settle(Fill[])``); returns the receipt (a revert raises ``ContractRevert``)."""
        gas = gas or settle_gas(len(fills))
        return self.chain.transact(self.keeper, self.settle_function(fills, compact=compact), gas=gas)

    def simulate_settle(self, fills: Sequence[Fill], *, compact: bool = True) -> None:
        """Runs the batch as a call on the latest state; a revert raises ``ContractRevert``."""
        self.chain.call(self.settle_function(fills, compact=compact), sender=self.keeper.address)

    def settle_function(self, fills: Sequence[Fill], *, compact: bool = True) -> ContractFunction:
        """The settlement call for ``fills``: ``settleCompact(packed)``, or ``settle(Fill[])``."""
        if compact:
            return self.settlement.functions.settleCompact(pack_fills(fills))
        return self.settlement.functions.settle([f.as_tuple() for f in fills])

    def liquidate(self, liquidator: LocalAccount, account: str, market: int, size: int) -> tuple[Any, Any]:
        """``liquidator`` liquidates up to ``size`` of ``account``'s position in ``market``; returns
        the ``Liquidated`` event's args and the receipt (a revert raises ``ContractRevert``)."""
        fn = self.vault.functions.liquidate(account, market, size)
        receipt = self.chain.transact(liquidator, fn, gas=LIQUIDATE_GAS)
        logs = self.vault.events.Liquidated().process_receipt(receipt, errors=DISCARD)
        if len(logs) != 1:
            raise TransactionFailed(f"liquidate emitted {len(logs)} Liquidated events, expected 1")
        return logs[0].args, receipt

    def update_funding(self, market: int) -> Any:
        """Brings ``market``'s funding index up to now and samples its premium (the owner sends it)."""
        return self.chain.transact(self.owner, self.vault.functions.updateFunding(market), gas=150_000)

    def set_funding(self, market: int, period: int, cap_bps: int) -> Any:
        """Sets ``market``'s funding parameters (owner); ``period`` 0 turns funding off."""
        return self.chain.transact(self.owner, self.vault.functions.setFunding(market, period, cap_bps), gas=200_000)

    def hedge(self, market: int, is_buy: bool, size: int, limit_quote: int) -> tuple[int, Any]:
        """The desk trades its own book on the AMM (keeper); returns the quote traded and the receipt."""
        fn = self.settlement.functions.hedge(market, is_buy, size, limit_quote)
        receipt = self.chain.transact(self.keeper, fn, gas=HEDGE_GAS)
        logs = self.settlement.events.Hedged().process_receipt(receipt, errors=DISCARD)
        if len(logs) != 1:
            raise TransactionFailed(f"hedge emitted {len(logs)} Hedged events, expected 1")
        return int(logs[0].args.quote), receipt


def settle_gas(fills: int) -> int:
    """The gas limit ``System.settle`` gives a batch of ``fills``."""
    return SETTLE_BASE_GAS + SETTLE_GAS_PER_FILL * fills


def deploy_system(chain: Chain, params: SystemParams | None = None, *, label: str = "defi") -> System:
    """Deploys and wires the protocol on ``chain``; see the module docstring for the steps."""
    params = params or SystemParams()
    owner = chain.account(f"{label}:owner")
    keeper = chain.account(f"{label}:keeper")
    fee_recipient = chain.account(f"{label}:fees", fund=False).address

    token = chain.deploy(owner, "CollateralToken", "Defi-Int USD", "dUSD", params.decimals, owner.address)
    oracle = chain.deploy(owner, "PriceOracle", owner.address, params.oracle_max_age)
    vault = chain.deploy(
        owner,
        "Vault",
        token.address,
        oracle.address,
        owner.address,
        fee_recipient,
        params.initial_margin_bps,
        params.maintenance_margin_bps,
    )
    amm = chain.deploy(owner, "PerpAmm", vault.address, owner.address)
    settlement = chain.deploy(owner, "Settlement", vault.address, amm.address, owner.address, params.max_deviation_bps)
    system = System(chain, params, token, oracle, vault, amm, settlement, owner, keeper, fee_recipient)

    send = chain.transact
    send(owner, vault.functions.setOperator(settlement.address, True), gas=80_000)
    send(owner, vault.functions.setOperator(amm.address, True), gas=80_000)
    send(owner, amm.functions.setSettlement(settlement.address), gas=80_000)
    send(owner, vault.functions.setAmm(amm.address), gas=80_000)
    send(owner, settlement.functions.setKeeper(keeper.address, True), gas=80_000)
    liquidation = (params.liquidation_penalty_bps, params.liquidator_share_bps, params.liquidation_slippage_bps)
    send(owner, vault.functions.setLiquidationParams(*liquidation), gas=80_000)
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
        if market.funding_period:
            system.set_funding(market.market_id, market.funding_period, market.funding_cap_bps)
    if params.amm_capital:
        system.deposit_for(amm.address, params.amm_capital * params.unit)
    if params.desk_capital:
        system.deposit_for(vault.address, params.desk_capital * params.unit)
    return system
