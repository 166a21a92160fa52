"""The venue: the small interface through which the keeper reads and changes the world.

The keeper decides; a venue carries its decisions out. Five calls, in the package's own plain types:

- ``snapshot(orders, accounts)`` -> ``Snapshot``: what ``settle`` would see for these orders (the
  ``BatchView``: time, fresh oracle prices, pools, the ledger of the orders' traders and of
  ``accounts``, funding included, nonce states, partial fills), every market's state, the block,
  and how many fills one settle may carry under the block gas limit;
- ``simulate(fills)``: runs ``settle`` without sending it; a revert raises ``ContractRevert``;
- ``settle(fills)`` -> ``SettleReceipt``: one transaction, one ``FillEvent`` per fill in batch
  order (both legs, the fee, the funding the trader's book settled) and the funding every other
  book settled; a revert raises ``ContractRevert`` (the batch did nothing);
- ``hedge(order)`` -> ``HedgeReceipt``: the desk trades its own book on the AMM;
- ``liquidate(order)`` -> ``LiquidationReceipt``: the venue's ``liquidator`` closes an account
  below maintenance margin (``Vault.liquidate``).

``defi_int.chain.venue.ChainVenue`` implements it on a deployed system (the bot and the
simulator); ``defi_int.keeper.mirror.MirrorVenue`` on the Python mirrors of the contracts, so the
keeper's decisions are tested without an EVM. Reverts are ``ContractRevert``s on both, named by
the contract's custom error (``args_by_name["digest"]`` when the error names the order).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from defi_int.keeper.hedging import HedgeOrder
from defi_int.keeper.liquidator import LiquidationOrder
from defi_int.keeper.plan import PlannedFill
from defi_int.market.amm import Pool
from defi_int.orders.booking import FillEvent
from defi_int.orders.eip712 import Domain
from defi_int.orders.model import Order
from defi_int.orders.validation import BatchView


@dataclass(frozen=True)
class MarketState:
    """One listed market: its oracle price, AMM pool and the desk's inventory."""

    market: int
    oracle_price: int  # the last posted price, 1e18 USD per base unit, stale or not
    updated_at: int  # when it was posted (0: never)
    max_age: int  # seconds a price stays readable
    fresh: bool  # readable through ``price`` at the time the state was read for
    pool: Pool | None  # None: no AMM pool
    inventory: int  # the desk's position, base units
    inventory_cap: int  # the most |inventory| the vault lets the desk hold


@dataclass(frozen=True)
class Snapshot:
    """One read of the venue, for one batch."""

    view: BatchView  # what settle would see for the orders asked about, at ``view.now``
    markets: dict[int, MarketState]  # every listed market
    block: int  # the latest block when read
    gas_limit: int  # that block's gas limit
    max_fills: int  # the most fills one settle may carry within ``gas_limit``


@dataclass(frozen=True)
class FundingCharge:
    """Funding one book settled outside a fill's internal leg (one word of the Vault's
    ``FundingSettled``): the desk's net run, an AMM leg's, a liquidation's; +: the account paid."""

    account: str
    market: int
    amount: int
    block: int


@dataclass(frozen=True)
class LiquidationEvent:
    """One ``Liquidated`` log, with the bad debt it realized (``BadDebtRealized``), if any."""

    account: str
    market: int
    liquidator: str
    size: int  # signed as the position was
    to_desk: int  # taken by the desk at ``mark``
    to_amm: int  # closed on the AMM for ``amm_quote``
    amm_quote: int
    mark: int  # the oracle price of the close
    penalty: int  # what the account paid, liquidator's share and insurance fund's together
    bad_debt: int  # what the insurance fund paid for the account (0: none)
    uncovered: int  # the part of the bad debt beyond what the fund held
    block: int


@dataclass(frozen=True)
class SettleReceipt:
    """A settle transaction that went through: one ``FillEvent`` per fill, in batch order, and the
    funding the other books it wrote settled (the desk's, the AMM's, the fee recipient's)."""

    tx_hash: str | None
    block: int
    time: int  # the block's timestamp
    gas_used: int
    events: list[FillEvent]
    funding: list[FundingCharge] = field(default_factory=list)


@dataclass(frozen=True)
class HedgeReceipt:
    """A hedge that went through: the quote the desk's AMM trade was done for, the funding it settled."""

    quote: int
    gas_used: int
    block: int
    funding: list[FundingCharge] = field(default_factory=list)
    time: int = 0  # the block's timestamp


@dataclass(frozen=True)
class LiquidationReceipt:
    """A liquidation that went through: what it closed and the funding the books it wrote settled."""

    event: LiquidationEvent
    gas_used: int
    block: int
    funding: list[FundingCharge] = field(default_factory=list)


class Venue(Protocol):
    """Where the keeper's batches settle; see the module docstring."""

    @property
    def domain(self) -> Domain:
        """The EIP-712 domain orders for this venue are signed in."""
        ...

    @property
    def liquidator(self) -> str:
        """The account ``liquidate`` sends from (it receives the liquidator's share of penalties)."""
        ...

    def snapshot(self, orders: Mapping[bytes, Order], accounts: Iterable[str] = (), *, house: bool = True) -> Snapshot:
        """The state a batch of ``orders`` (by digest) would settle against, with the books of
        ``accounts`` too, read once. Without ``house`` the ledger may lack the house books (desk,
        AMM, fee recipient, insurance fund, funding pool): a look at the markets, not a view to
        settle on (the liquidator's first look, ``Keeper.liquidation_orders``)."""
        ...

    def simulate(self, fills: Sequence[PlannedFill]) -> None:
        """Runs ``settle(fills)`` without changing anything; a revert raises ``ContractRevert``."""
        ...

    def settle(self, fills: Sequence[PlannedFill]) -> SettleReceipt:
        """Settles ``fills`` in one transaction; a revert raises ``ContractRevert``."""
        ...

    def hedge(self, order: HedgeOrder) -> HedgeReceipt:
        """The desk trades its own book on the AMM; a revert raises ``ContractRevert``."""
        ...

    def liquidate(self, order: LiquidationOrder) -> LiquidationReceipt:
        """``liquidator`` closes up to ``order.size`` of the account's position; a revert raises ``ContractRevert``."""
        ...
