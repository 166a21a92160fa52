"""The venue: the small interface through which the keeper reads and changes the world.

The keeper decides; a venue carries its decisions out. Four calls, in the package's own plain types:

- ``snapshot(orders)`` -> ``Snapshot``: what ``settle`` would see for these orders (the
  ``BatchView``: time, fresh oracle prices, pools, ledger, nonce states, partial fills), every
  market's state, the block, and how many fills one settle may carry under the block gas limit;
- ``simulate(fills)``: runs ``settle`` without sending it; a revert raises ``ContractRevert``;
- ``settle(fills)`` -> ``SettleReceipt``: one transaction, its ``OrderFilled`` events in batch
  order; a revert raises ``ContractRevert`` (the batch did nothing);
- ``hedge(order)`` -> ``HedgeReceipt``: the desk trades its own book on the AMM.

``defi_int.chain.venue.ChainVenue`` implements it on a deployed system (the bot and the
simulator); ``defi_int.keeper.mirror.MirrorVenue`` on the Python mirrors of the contracts, so the
keeper's decisions are tested without an EVM. Reverts are ``ContractRevert``s on both, named by
the contract's custom error (``args_by_name["digest"]`` when the error names the order).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from defi_int.keeper.plan import PlannedFill
from defi_int.keeper.risk import HedgeOrder
from defi_int.market.amm import Pool
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
class FillEvent:
    """One ``OrderFilled`` log: both legs of a fill as the chain booked them."""

    digest: bytes
    trader: str
    internal_size: int
    internal_price: int
    amm_size: int
    amm_quote: int
    fee: int
    block: int
    log_index: int = 0  # the log's index in its block


@dataclass(frozen=True)
class SettleReceipt:
    """A settle transaction that went through: its ``OrderFilled`` events, in batch order."""

    tx_hash: str | None
    block: int
    time: int  # the block's timestamp
    gas_used: int
    events: list[FillEvent]


@dataclass(frozen=True)
class HedgeReceipt:
    """A hedge that went through: the quote the desk's AMM trade was done for."""

    quote: int
    gas_used: int
    block: int


class Venue(Protocol):
    """Where the keeper's batches settle; see the module docstring."""

    @property
    def domain(self) -> Domain:
        """The EIP-712 domain orders for this venue are signed in."""
        ...

    def snapshot(self, orders: Mapping[bytes, Order]) -> Snapshot:
        """The state a batch of ``orders`` (by digest) would settle against, read once."""
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
