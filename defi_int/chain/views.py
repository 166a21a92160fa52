"""Reads the chain into the plain snapshots the pure core works on (``BatchView``, ``Ledger`` ...).

This is the seam between web3 and the rest: validation, the ghost ledger in the tests, the keeper
and the scenario runner take these snapshots and never touch a contract object themselves.

Every snapshot is one batch of reads sent through ``multiread.read_many``: one ``eth_call``
whatever the number of accounts or orders (past ~380 reads the batch is split into more calls).
Most reads depend on the vault's market list and fee recipient; a batch is built for those the
system was deployed with, ``markets()`` and ``feeRecipient()`` are read in the same call, and the
batch is read again for the chain's own in the rare case they changed (a market listed later, a
new fee recipient). ``batch_view`` needs a second round only for orders already filled in part:
their running total is keyed by the order's digest, read once their nonce state is known.
``read_batch`` returns the same view with every market's state built from the same reads: the
keeper's snapshot (``defi_int.chain.venue``).

Events: ``settle_fills`` is the one decoder of settled fills (``FillsSettled``, several fills a
log) into one ``FillEvent`` per fill, for a receipt (``fill_events``) or a block range
(``fill_events_between``); ``funding_events`` and ``liquidation_events`` decode the Vault's;
``contract_events`` scans a block range for the shipped contracts' other logs (a keeper bot's
cancels and hedges since it last looked), and
``ledger_accounts`` finds every account that ever held cash or a position (who deposited, who
traded on the AMM, who was filled), the accounts ``check_invariants`` sums over on a live node.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar

from eth_utils.address import to_checksum_address

from defi_int.chain import codec
from defi_int.chain.codec import decode_abi
from defi_int.chain.deploy import System
from defi_int.chain.encoding import unpack_fills
from defi_int.chain.multiread import Read, read_many
from defi_int.chain.node import BlockId, Log, Receipt, checksum
from defi_int.exceptions import ChainError
from defi_int.keeper.venue import FundingCharge, LiquidationEvent, MarketState
from defi_int.market.amm import Pool
from defi_int.market.funding import Funding
from defi_int.market.ledger import FUNDING_POOL, INSURANCE_FUND, Env, Ledger, LedgerViolation, fee_for, notional
from defi_int.market.shares import Request, Shares
from defi_int.orders.booking import FillEvent
from defi_int.orders.eip712 import Domain, order_digest
from defi_int.orders.model import Fill, Order
from defi_int.orders.validation import PARTIAL, BatchView

#: How many times a batch is read again because the vault's listing changed under it.
_ATTEMPTS = 3
_T = TypeVar("_T")


def domain(system: System) -> Domain:
    """The EIP-712 domain orders for ``system`` are signed in."""
    return Domain(system.chain.chain_id, str(system.settlement.address))


# --------------------------------------------------------------------------- snapshots


def read_ledger(system: System, accounts: Iterable[str]) -> Ledger:
    """The Vault ledger restricted to ``accounts`` (plus the desk, the AMM and the fee recipient)."""
    accounts = list(accounts)
    listing, values = _read_listed(system, lambda batch, listing: _ask_ledger(batch, system, listing, accounts))
    return _ledger(system, listing, values, accounts)


def fresh_prices(system: System, markets: Iterable[int], now: int) -> dict[int, int]:
    """Oracle prices still readable at time ``now`` (stale markets are left out)."""
    markets = list(markets)
    batch = _Batch(system)
    _ask_prices(batch, system, markets)
    return _fresh_prices(batch.run(), markets, now)


def read_pools(system: System, markets: Iterable[int]) -> dict[int, Pool]:
    """The AMM pools of ``markets`` (markets without a pool are left out)."""
    markets = list(markets)
    batch = _Batch(system)
    _ask_pools(batch, system, markets)
    return _pools(batch.run(), markets)


def batch_view(
    system: System, orders: Iterable[Order], *, now: int | None = None, digests: Iterable[bytes] | None = None
) -> BatchView:
    """Everything ``validate_batch`` needs to judge ``orders`` in a batch landing at ``now``.

    ``digests`` (one per order, in the same order) saves computing them again when the caller has.
    """
    return read_batch(system, orders, now=now, digests=digests)[0]


def read_batch(
    system: System,
    orders: Iterable[Order],
    *,
    now: int | None = None,
    digests: Iterable[bytes] | None = None,
    accounts: Iterable[str] = (),
    block: BlockId = "latest",
    house: bool = True,
) -> tuple[BatchView, dict[int, MarketState]]:
    """``batch_view`` and every listed market's state, from the same reads at ``block`` (the keeper's
    snapshot); the ledger holds ``accounts``' books too (the accounts a liquidator watches). Without
    ``house`` the house books (desk, AMM, fee recipient, insurance fund, funding pool) are not read: a
    look at the markets (the desk's inventory comes from ``Vault.inventory``), not a view to settle on."""
    orders = list(orders)
    chain = system.chain
    if now is None:
        now = chain.next_timestamp()
    dom = domain(system)
    traders = list(dict.fromkeys([*(o.trader for o in orders), *accounts]))
    nonces = list(dict.fromkeys((o.trader, o.nonce) for o in orders))
    order_markets = list(dict.fromkeys(o.market for o in orders))  # listed or not: the chain reads them
    settlement = str(system.settlement.address)

    def ask(batch: _Batch, listing: _Listing) -> None:
        _ask_ledger(batch, system, listing, traders, house=house)
        if not house:
            for m in listing.markets:
                batch.add(("inventory", m), str(system.vault.address), "inventory(uint32)", (m,), ("int256",))
        _ask_prices(batch, system, [*listing.markets, *order_markets])
        _ask_pools(batch, system, [*listing.markets, *order_markets])
        batch.add("maxDeviationBps", settlement, "maxDeviationBps()")
        batch.add("paused", str(system.vault.address), "paused()", returns=("bool",))
        for trader, nonce in nonces:
            batch.add(
                ("nonceState", trader, nonce), settlement, "nonceState(address,uint256)", (trader, nonce), ("uint8",)
            )

    listing, values = _read_listed(system, ask, block)
    ledger = _ledger(system, listing, values, traders, house=house)
    markets = list(dict.fromkeys([*listing.markets, *order_markets]))
    view = BatchView(
        domain=dom,
        now=now,
        price_scale=ledger.price_scale,
        max_deviation_bps=values["maxDeviationBps"],
        ledger=ledger,
        prices=_fresh_prices(values, markets, now),
        pools=_pools(values, markets),
        desk=system.desk,
        amm=str(system.amm.address),
        paused=values["paused"],
        unknown_markets=frozenset(m for m in markets if not values[("latest", m)][1]),
    )
    for trader, nonce in nonces:
        view.nonce_states[(trader.lower(), nonce)] = values[("nonceState", trader, nonce)]
    known = list(digests) if digests is not None else [order_digest(o, dom) for o in orders]
    if len(known) != len(orders):
        raise ChainError(f"{len(known)} digests given for {len(orders)} orders")
    partial = [d for o, d in zip(orders, known, strict=True) if view.nonce_state(o.trader, o.nonce) == PARTIAL]
    if partial:
        batch = _Batch(system)
        for digest in partial:
            batch.add(digest, settlement, "filled(bytes32)", (digest,))
        filled = batch.run(block)
        for digest in partial:
            view.filled[digest] = filled[digest]
    if house:
        inventory = {m: ledger.position(system.desk, m) for m in listing.markets}
    else:
        inventory = {m: values[("inventory", m)] for m in listing.markets}
    return view, _market_states(values, listing, now, inventory, _pools(values, listing.markets))


@dataclass(frozen=True)
class AccountHealth:
    """An account's margin as a liquidator sees it (the Vault's rules, from the mirror)."""

    equity: int | None  # cash less pending funding plus positions marked; None: a position's market is stale
    maintenance: int | None  # the margin it needs at the maintenance ratio
    liquidatable: bool  # holds a position and equity < maintenance (False when it cannot be valued)
    pending_funding: dict[int, int]  # market -> what the book settles when next touched (+: pays)


def account_health(system: System, accounts: Iterable[str], *, now: int | None = None) -> dict[str, AccountHealth]:
    """Equity, maintenance margin, liquidatability and pending funding of ``accounts`` at ``now``
    (default: the next block's time), in one read; what a liquidator scans every block."""
    accounts = list(dict.fromkeys(accounts))
    if now is None:
        now = system.chain.next_timestamp()

    def ask(batch: _Batch, listing: _Listing) -> None:
        _ask_ledger(batch, system, listing, accounts)
        _ask_prices(batch, system, listing.markets)
        _ask_pools(batch, system, listing.markets)

    listing, values = _read_listed(system, ask)
    ledger = _ledger(system, listing, values, accounts)
    env = Env(now, _fresh_prices(values, listing.markets, now), _pools(values, listing.markets))
    health = {}
    for account in accounts:
        pending = {m: ledger.pending_funding(account, m, now) for m in listing.markets}
        try:
            equity, maintenance = ledger.margin_state(account, env, ledger.maintenance_margin_bps)
        except LedgerViolation:
            health[account] = AccountHealth(None, None, False, pending)
            continue
        has_position = any(ledger.position(account, m) for m in listing.markets)
        liquidatable = has_position and (equity < 0 or equity < maintenance)
        health[account] = AccountHealth(equity, maintenance, liquidatable, pending)
    return health


def read_shares(system: System, holders: Iterable[str] = (), requests: Iterable[int] | None = None) -> Shares:
    """The desk's shares contract as the mirror holds it: totals, ``holders``' shares, the
    parameters, the day's outflow and the open requests (``requests``: these ids; None: all)."""
    shares = str(system.desk_shares.address)
    holders = list(dict.fromkeys(holders))
    batch = _Batch(system)
    batch.add("totalShares", shares, "totalShares()")
    batch.add("requestCount", shares, "requestCount()")
    batch.add("params", shares, "params()", returns=("uint256", "uint256", "uint256"))
    batch.add("outflow", shares, "outflow()", returns=("uint256", "uint256", "uint256"))
    for holder in holders:
        batch.add(("held", holder), shares, "sharesOf(address)", (holder,))
    values = batch.run()
    ids = list(range(values["requestCount"])) if requests is None else list(requests)
    batch = _Batch(system)
    for request_id in ids:
        batch.add(("request", request_id), shares, "request(uint256)", (request_id,), ("address", "uint256", "uint256"))
    found = batch.run() if ids else {}
    lockup, fee_bps, daily = values["params"]
    day, claimed, cap = values["outflow"]
    mirror = Shares(lockup, fee_bps, daily, values["totalShares"], count=values["requestCount"])
    mirror.day, mirror.claimed, mirror.cap = day, claimed, cap
    mirror.held = {h: values[("held", h)] for h in holders if values[("held", h)]}
    for request_id in ids:
        owner, held, matures_at = found[("request", request_id)]
        if held:
            mirror.requests[request_id] = Request(to_checksum_address(owner), held, matures_at)
    return mirror


class AccountState(NamedTuple):
    """One account in the Vault ledger: its cash and its position in every listed market."""

    cash: int  # collateral units
    positions: dict[int, int]  # market -> base units (1e18), zero included


def read_accounts(system: System, accounts: Iterable[str]) -> dict[str, AccountState]:
    """Cash and positions of ``accounts``, keyed as given (the desk, the AMM, traders ...)."""
    accounts = list(dict.fromkeys(accounts))

    def ask(batch: _Batch, listing: _Listing) -> None:
        _ask_books(batch, system, listing.markets, accounts)

    listing, values = _read_listed(system, ask)
    return _books(values, listing, accounts)


def check_invariants(system: System, accounts: Iterable[str]) -> dict[str, bool]:
    """The ledger invariants, over ``accounts`` plus the house accounts (desk, AMM, fee recipient,
    owner, keeper, insurance fund, funding pool).

    ``"cash_sum_equals_vault_balance"``: ``token.balanceOf(vault) == Σ cash``, to the unit, and
    ``"positions_sum_to_zero[<market>]"`` for every listed market. The sums hold only over every
    account that ever held cash or a position: pass all of them (each counts once, whatever its
    spelling).
    """
    owner = [] if system.owner is None else [system.owner.address]
    keeper = [] if system.keeper is None else [system.keeper.address]  # the liquidator's share of penalties
    named = [
        *accounts,
        system.desk,
        str(system.amm.address),
        system.fee_recipient,
        *owner,
        *keeper,
        INSURANCE_FUND,
        FUNDING_POOL,
    ]
    vault = str(system.vault.address)

    def everyone(listing: _Listing) -> list[str]:
        return list(dict.fromkeys(to_checksum_address(a) for a in [*named, listing.fee_recipient]))

    def ask(batch: _Batch, listing: _Listing) -> None:
        batch.add("balance", str(system.token.address), "balanceOf(address)", (vault,))
        _ask_books(batch, system, listing.markets, everyone(listing))

    listing, values = _read_listed(system, ask)
    held = everyone(listing)
    checks = {"cash_sum_equals_vault_balance": sum(values[("cash", a)] for a in held) == values["balance"]}
    for m in listing.markets:
        checks[f"positions_sum_to_zero[{m}]"] = sum(values[("position", a, m)] for a in held) == 0
    return checks


def market_state(system: System, *, now: int | None = None) -> dict[int, MarketState]:
    """Every listed market's state; ``fresh`` is judged at ``now`` (default: the next block's time)."""
    return market_and_accounts(system, (), now=now)[0]


def market_and_accounts(
    system: System, accounts: Iterable[str], *, now: int | None = None, block: BlockId = "latest"
) -> tuple[dict[int, MarketState], dict[str, AccountState]]:
    """``market_state`` and ``read_accounts(accounts)`` in the same single ``eth_call``, at ``block``."""
    states, books, _ = market_accounts_and_desk(system, accounts, now=now, desk=False, block=block)
    return states, books


@dataclass(frozen=True)
class DeskValue:
    """The desk's NAV and its shares: ``nav`` is ``Vault.deskNav()`` computed from the books at the
    oracle's last prices (stale or not, so a report has a value at every step: equal to the view
    whenever it answers), ``total_shares`` the shares outstanding."""

    nav: int
    total_shares: int


def market_accounts_and_desk(
    system: System,
    accounts: Iterable[str],
    *,
    now: int | None = None,
    desk: bool = True,
    block: BlockId = "latest",
) -> tuple[dict[int, MarketState], dict[str, AccountState], DeskValue | None]:
    """``market_and_accounts`` and (``desk``) the desk's ``DeskValue``, in the same single ``eth_call``."""
    if now is None:
        now = system.chain.next_timestamp()
    vault = str(system.vault.address)
    accounts = list(dict.fromkeys([*accounts, *([system.desk] if desk else [])]))

    def ask(batch: _Batch, listing: _Listing) -> None:
        _ask_prices(batch, system, listing.markets)
        _ask_pools(batch, system, listing.markets)
        for m in listing.markets:
            batch.add(("inventory", m), vault, "inventory(uint32)", (m,), ("int256",))
            batch.add(("cap", m), vault, "inventoryCap(uint32)", (m,))
        _ask_books(batch, system, listing.markets, accounts)
        if desk:
            batch.add("priceScale", vault, "priceScale()")
            batch.add("totalShares", str(system.desk_shares.address), "totalShares()")
            for m in listing.markets:
                batch.add(("mark", system.desk, m), vault, "fundingMarkOf(address,uint32)", (system.desk, m))
                batch.add(("fundingParams", m), vault, "fundingParams(uint32)", (m,), ("uint256", "uint256", "uint256"))
                batch.add(("fundingState", m), vault, "fundingState(uint32)", (m,), ("int256", "int256", "uint256"))

    listing, values = _read_listed(system, ask, block)
    inventory = {m: values[("inventory", m)] for m in listing.markets}
    states = _market_states(values, listing, now, inventory, _pools(values, listing.markets))
    books = _books(values, listing, accounts)
    if not desk:
        return states, books, None
    ledger = Ledger(values["priceScale"], 1, 1, system.desk, listing.fee_recipient, markets=list(listing.markets))
    ledger.cash[system.desk] = books[system.desk].cash
    for m in listing.markets:
        ledger.positions[(system.desk, m)] = books[system.desk].positions[m]
        ledger.marks[(system.desk, m)] = values[("mark", system.desk, m)]
        ledger.funding[m] = Funding(*values[("fundingParams", m)], *values[("fundingState", m)])
    prices = {m: values[("latest", m)][0] for m in listing.markets if values[("latest", m)][0]}
    latest = system.chain.timestamp()  # a view's time: the latest block's
    nav = ledger.margin_state(system.desk, Env(latest, prices), 0)[0]
    return states, books, DeskValue(nav, values["totalShares"])


def _market_states(
    values: dict[Hashable, Any], listing: _Listing, now: int, inventory: dict[int, int], pools: dict[int, Pool]
) -> dict[int, MarketState]:
    """Every listed market's state from a batch that read its prices and caps (``_ask_prices``, caps)."""
    states = {}
    for m in listing.markets:
        price, updated_at = values[("latest", m)]
        states[m] = MarketState(
            market=m,
            oracle_price=price,
            updated_at=updated_at,
            max_age=values["maxAge"],
            fresh=_is_fresh(updated_at, values["maxAge"], now),
            pool=pools.get(m),
            inventory=inventory[m],
            inventory_cap=values[("cap", m)],
        )
    return states


# --------------------------------------------------------------------------- batches


class _Batch:
    """Reads gathered under keys and sent together; a key added twice is read once."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.reads: dict[Hashable, Read] = {}

    def add(
        self,
        key: Hashable,
        target: str,
        signature: str,
        args: tuple[Any, ...] = (),
        returns: tuple[str, ...] = ("uint256",),
    ) -> None:
        self.reads[key] = Read(target, signature, args, returns)

    def run(self, block: BlockId = "latest") -> dict[Hashable, Any]:
        return dict(zip(self.reads, read_many(self.system.chain, self.reads.values(), block=block), strict=True))


@dataclass(frozen=True)
class _Listing:
    """What most reads depend on: the vault's markets, in listing order, and its fee recipient."""

    markets: tuple[int, ...]
    fee_recipient: str


def _read_listed(
    system: System, ask: Callable[[_Batch, _Listing], None], block: BlockId = "latest"
) -> tuple[_Listing, dict[Hashable, Any]]:
    """Reads what ``ask`` adds for the vault's listing at ``block``, guessed from the deployment then checked."""
    vault = str(system.vault.address)
    listing = _Listing(tuple(m.market_id for m in system.params.markets), system.fee_recipient)
    for _ in range(_ATTEMPTS):
        batch = _Batch(system)
        batch.add("markets", vault, "markets()", returns=("uint32[]",))
        batch.add("feeRecipient", vault, "feeRecipient()", returns=("address",))
        ask(batch, listing)
        values = batch.run(block)
        actual = _Listing(tuple(values["markets"]), values["feeRecipient"])
        if actual == listing:
            return listing, values
        listing = actual
    raise ChainError(f"the vault's markets or fee recipient changed during each of {_ATTEMPTS} reads")


def _ask_books(batch: _Batch, system: System, markets: Iterable[int], accounts: Iterable[str]) -> None:
    vault = str(system.vault.address)
    markets = list(markets)
    for a in accounts:
        batch.add(("cash", a), vault, "cash(address)", (a,), ("int256",))
        for m in markets:
            batch.add(("position", a, m), vault, "position(address,uint32)", (a, m), ("int256",))


def _books(values: dict[Hashable, Any], listing: _Listing, accounts: Iterable[str]) -> dict[str, AccountState]:
    return {
        a: AccountState(values[("cash", a)], {m: values[("position", a, m)] for m in listing.markets}) for a in accounts
    }


def _ledger_accounts(system: System, listing: _Listing, accounts: Iterable[str], *, house: bool = True) -> list[str]:
    books = [system.desk, str(system.amm.address), listing.fee_recipient, INSURANCE_FUND, FUNDING_POOL] if house else []
    return list(dict.fromkeys([*books, *accounts]))


def _ask_ledger(
    batch: _Batch, system: System, listing: _Listing, accounts: Iterable[str], *, house: bool = True
) -> None:
    vault = str(system.vault.address)
    for name in ("priceScale", "initialMarginBps", "maintenanceMarginBps", "badDebt"):
        batch.add(name, vault, f"{name}()")
    batch.add("liquidationParams", vault, "liquidationParams()", returns=("uint256", "uint256", "uint256"))
    batch.add("closeFactor", vault, "closeFactor()", returns=("uint256", "uint256", "uint256"))
    for m in listing.markets:
        batch.add(("fundingImpact", m), vault, "fundingImpact(uint32)", (m,))
        batch.add(("cap", m), vault, "inventoryCap(uint32)", (m,))
        batch.add(("fundingParams", m), vault, "fundingParams(uint32)", (m,), ("uint256", "uint256", "uint256"))
        batch.add(("fundingState", m), vault, "fundingState(uint32)", (m,), ("int256", "int256", "uint256"))
    ledger_accounts = _ledger_accounts(system, listing, accounts, house=house)
    _ask_books(batch, system, listing.markets, ledger_accounts)
    for a in ledger_accounts:
        for m in listing.markets:
            batch.add(("mark", a, m), vault, "fundingMarkOf(address,uint32)", (a, m))


def _ledger(
    system: System, listing: _Listing, values: dict[Hashable, Any], accounts: Iterable[str], *, house: bool = True
) -> Ledger:
    penalty, share, slippage = values["liquidationParams"]
    buffer, full, least = values["closeFactor"]
    ledger = Ledger(
        price_scale=values["priceScale"],
        initial_margin_bps=values["initialMarginBps"],
        maintenance_margin_bps=values["maintenanceMarginBps"],
        desk=system.desk,
        fee_recipient=listing.fee_recipient,
        amm=str(system.amm.address),
        markets=list(listing.markets),
        caps={m: values[("cap", m)] for m in listing.markets},
        penalty_bps=penalty,
        liquidator_share_bps=share,
        max_slippage_bps=slippage,
        liquidation_buffer_bps=buffer,
        full_liquidation_bps=full,
        min_liquidation_notional=least,
        bad_debt=values["badDebt"],
    )
    for m in listing.markets:
        period, cap_bps, unit = values[("fundingParams", m)]
        index, premium, updated_at = values[("fundingState", m)]
        ledger.funding[m] = Funding(period, cap_bps, unit, index, premium, updated_at, values[("fundingImpact", m)])
    for account in _ledger_accounts(system, listing, accounts, house=house):
        ledger.cash[account] = values[("cash", account)]
        for m in listing.markets:
            pos = values[("position", account, m)]
            if pos:
                ledger.positions[(account, m)] = pos
            mark = values[("mark", account, m)]
            if mark:
                ledger.marks[(account, m)] = mark
    return ledger


def _ask_prices(batch: _Batch, system: System, markets: Iterable[int]) -> None:
    oracle = str(system.oracle.address)
    batch.add("maxAge", oracle, "maxAge()")
    for m in markets:
        batch.add(("latest", m), oracle, "latest(uint32)", (m,), ("uint256", "uint256"))


def _is_fresh(updated_at: int, max_age: int, now: int) -> bool:
    """Whether ``PriceOracle.price`` answers at ``now`` (it reverts for unknown or stale markets)."""
    return bool(updated_at) and now <= updated_at + max_age


def _fresh_prices(values: dict[Hashable, Any], markets: Iterable[int], now: int) -> dict[int, int]:
    prices = {}
    for m in markets:
        price, updated_at = values[("latest", m)]
        if _is_fresh(updated_at, values["maxAge"], now):
            prices[m] = price
    return prices


def _ask_pools(batch: _Batch, system: System, markets: Iterable[int]) -> None:
    amm = str(system.amm.address)
    for m in markets:
        batch.add(("pool", m), amm, "pool(uint32)", (m,), ("uint256", "uint256", "uint256"))


def _pools(values: dict[Hashable, Any], markets: Iterable[int]) -> dict[int, Pool]:
    pools = {}
    for m in markets:
        base, quote, fee = values[("pool", m)]
        if base:
            pools[m] = Pool(base, quote, fee)
    return pools


# --------------------------------------------------------------------------- events


_LOW112 = 2**112 - 1
_ADDRESS = 2**160 - 1


def _int96(value: int) -> int:
    return value - 2**96 if value >= 2**95 else value


def _address(value: int) -> str:
    return checksum("0x" + (value & _ADDRESS).to_bytes(20, "big").hex())


@dataclass(frozen=True)
class ChainEvent:
    """One decoded log of a shipped contract and where it was mined."""

    contract: str
    name: str
    args: dict[str, Any]
    block_number: int
    block_hash: bytes
    tx_hash: bytes
    log_index: int


def contract_events(
    system: System, names: Iterable[tuple[str, str]], *, from_block: int, to_block: int | None = None
) -> list[ChainEvent]:
    """The logs of events ``names`` ((contract, event) pairs) in blocks ``from_block..to_block``, in chain order."""
    names = list(names)
    return decode_events(system, names, contract_logs(system, names, from_block=from_block, to_block=to_block))


def contract_logs(
    system: System, names: Iterable[tuple[str, str]], *, from_block: int, to_block: int | None = None
) -> list[Log]:
    """The raw logs of events ``names`` ((contract, event) pairs) in blocks ``from_block..to_block``, in
    chain order, in one ``eth_getLogs``: what ``decode_events``, ``settle_fills``, ``funding_logged`` and
    ``liquidations_logged`` each read their own events from (a keeper bot's scan asks once for all)."""
    addresses = _addresses(system)
    wanted = [(contract, codec.event(contract, name)) for contract, name in names]
    logs = system.chain.node.logs(
        from_block=from_block,
        to_block=to_block,
        address=sorted({addresses[contract] for contract, _ in wanted}),
        topics=[sorted({event.topic for _, event in wanted})],
    )
    return sorted(logs, key=lambda log: (log.block_number, log.log_index))


def decode_events(system: System, names: Iterable[tuple[str, str]], logs: Iterable[Log]) -> list[ChainEvent]:
    """The events ``names`` among ``logs`` (others are skipped), decoded, in the order given."""
    addresses = _addresses(system)
    wanted = [(contract, codec.event(contract, name)) for contract, name in names]
    found = []
    for log in logs:
        for contract, event in wanted:
            if log.address == addresses[contract] and event.matches(log):
                found.append(
                    ChainEvent(
                        contract,
                        event.name,
                        event.decode(log),
                        log.block_number,
                        log.block_hash,
                        log.transaction_hash,
                        log.log_index,
                    )
                )
                break
    found.sort(key=lambda e: (e.block_number, e.log_index))
    return found


def _addresses(system: System) -> dict[str, str]:
    return {
        "Settlement": str(system.settlement.address),
        "Vault": str(system.vault.address),
        "PerpAmm": str(system.amm.address),
        "PriceOracle": str(system.oracle.address),
        "CollateralToken": str(system.token.address),
        **({} if system.shares is None else {"DeskShares": str(system.shares.address)}),
    }


def ledger_accounts(system: System, *, from_block: int = 0, to_block: int | None = None) -> list[str]:
    """Every account that received cash or traded in the block range: depositors, AMM traders, filled
    traders, and liquidators (their share of the penalties)."""
    events = contract_events(
        system,
        (("Vault", "Deposited"), ("PerpAmm", "Swap"), ("Vault", "Liquidated")),
        from_block=from_block,
        to_block=to_block,
    )
    fills = fill_events_between(system, from_block=from_block, to_block=to_block)
    accounts = [to_checksum_address(e.args["liquidator" if e.name == "Liquidated" else "account"]) for e in events]
    return list(dict.fromkeys([*accounts, *(f.trader for f in fills)]))


def settle_fills(system: System, logs: Iterable[Log]) -> list[FillEvent]:
    """Every fill the Settlement logged in ``logs``, in chain order, as ``FillEvent``s: the one
    decoder of settled fills, for a receipt (``fill_events``) or a block range
    (``fill_events_between``); other logs are skipped.

    A ``FillsSettled`` entry holds what only the chain knew (the funding a fill's internal leg
    settled, the quote of its AMM leg: ``settled_entries``); the rest of each fill is its settle
    transaction's calldata, read once per transaction (``settleCompact``'s packing or
    ``settle(Fill[])``'s ABI), which also tells how long each fill's entry is. A fill's ``index`` is
    its position in the batch, so a fill reads the same from its receipt and from a scan. The
    digest is the order's, in the system's domain; the fee is recomputed with the chain's rounding
    (``notional`` and ``fee_for``, the ledger mirror's one home of those rules).
    """
    scale = system.params.price_scale
    settlement = system.settlement.address
    dom = domain(system)
    by_tx: dict[bytes, list[Log]] = {}
    for log in logs:
        if _FILLS_SETTLED.matches(log) and log.address == settlement:
            by_tx.setdefault(log.transaction_hash, []).append(log)
    events = []
    for tx_hash, tx_logs in by_tx.items():
        fills = _settled_calldata(system, tx_hash)
        index = 0
        for log in sorted(tx_logs, key=lambda entry: entry.log_index):
            for funding, amm_quote in settled_entries(log, fills[index:]):
                fill = fills[index]
                order = fill.order
                size, price = fill.internal_size, fill.internal_price if fill.internal_size else 0
                fee = fee_for(notional(size, price, scale, is_buy=order.is_buy), fill.fee_bps) if size else 0
                fee += fee_for(amm_quote, fill.fee_bps) if fill.amm_size else 0
                events.append(
                    FillEvent(
                        digest=order_digest(order, dom),
                        trader=checksum(order.trader),
                        internal_size=size,
                        internal_price=price,
                        amm_size=fill.amm_size,
                        amm_quote=amm_quote,
                        fee=fee,
                        block=log.block_number,
                        funding=funding,
                        is_buy=order.is_buy,
                        fee_bps=fill.fee_bps,
                        index=index,
                        log_index=log.log_index,
                        tx_hash=log.transaction_hash,
                    )
                )
                index += 1
    events.sort(key=lambda e: (e.block, e.log_index, e.index))
    return events


#: The bytes of a fill's entry in ``FillsSettled``: int96 funding (with an internal leg), then
#: uint112 AMM quote (with an AMM leg).
FUNDING_BYTES, QUOTE_BYTES = 12, 14


def settled_entries(log: Log, fills: Sequence[Fill]) -> list[tuple[int, int]]:
    """A ``FillsSettled`` log's ``(funding, amm_quote)`` per fill, in batch order: the log covers
    the first fills of ``fills`` (the settle transaction's fills from the log's first one on), each
    entry as long as the fill's legs say (zero for a leg it does not have)."""
    data = bytes(_FILLS_SETTLED.decode(log)["fills"])
    out: list[tuple[int, int]] = []
    at = 0
    while at < len(data):
        if len(out) == len(fills):
            raise ChainError(
                f"FillsSettled in 0x{log.transaction_hash.hex()} holds more fills than its transaction's calldata: "
                "it is read beside the calldata of a direct call to the Settlement"
            )
        fill = fills[len(out)]
        if not (fill.internal_size or fill.amm_size):
            raise ChainError(f"settle transaction 0x{log.transaction_hash.hex()} logs an empty fill")
        funding = quote = 0
        if fill.internal_size:
            funding = _int96(int.from_bytes(data[at : at + FUNDING_BYTES], "big"))
            at += FUNDING_BYTES
        if fill.amm_size:
            quote = int.from_bytes(data[at : at + QUOTE_BYTES], "big")
            at += QUOTE_BYTES
        if at > len(data):
            raise ChainError(f"FillsSettled in 0x{log.transaction_hash.hex()} ends inside a fill's entry")
        out.append((funding, quote))
    return out


def _settled_calldata(system: System, tx_hash: bytes) -> list[Fill]:
    """The fills a settle transaction sent, from its calldata."""
    data = system.chain.node.transaction_input(tx_hash)
    if data is None:
        raise ChainError(f"{system.chain.node.name} does not know settle transaction 0x{tx_hash.hex()}")
    compact, abi = codec.function("Settlement", "settleCompact"), codec.function("Settlement", "settle")
    if data[:4] == compact.selector:
        (packed,) = decode_abi(compact.inputs, data[4:])
        return unpack_fills(bytes(packed))
    if data[:4] == abi.selector:
        (raw,) = decode_abi(abi.inputs, data[4:])
        return [Fill(Order(checksum(order[0]), *order[1:]), bytes(signature), *legs) for order, signature, *legs in raw]
    raise ChainError(f"transaction 0x{tx_hash.hex()} is not a call of settleCompact or settle")


def fill_events(system: System, receipt: Receipt) -> list[FillEvent]:
    """The fills of a settle receipt, in batch order (``settle_fills``)."""
    return settle_fills(system, receipt.logs)


def fill_events_between(system: System, *, from_block: int, to_block: int | None = None) -> list[FillEvent]:
    """Every fill settled in blocks ``from_block..to_block`` (default: the latest), in chain order."""
    logs = system.chain.node.logs(
        from_block=from_block,
        to_block=to_block,
        address=[str(system.settlement.address)],
        topics=[[_FILLS_SETTLED.topic]],
    )
    return settle_fills(system, sorted(logs, key=lambda log: (log.block_number, log.log_index)))


@dataclass(frozen=True)
class Logged(Generic[_T]):
    """A decoded event item and where the chain logged it: its transaction, block and log, and its
    ``position`` among the items of that log (a ``FundingSettled`` carries several charges)."""

    item: _T
    tx_hash: bytes
    block_number: int
    block_hash: bytes
    log_index: int
    position: int = 0


def funding_events(system: System, receipt: Receipt) -> list[FundingCharge]:
    """Every ``FundingSettled`` charge of a receipt, in order (a fill's own funding is on its ``FillEvent``)."""
    return [logged.item for logged in funding_logged(system, receipt.logs)]


def funding_logged(system: System, logs: Iterable[Log]) -> list[Logged[FundingCharge]]:
    """Every ``FundingSettled`` charge among ``logs`` (a receipt's or a block range's), in order, with
    where it was logged: the one decoder of the Vault's funding words."""
    event = codec.event("Vault", "FundingSettled")
    vault = system.vault.address
    found = []
    for log in logs:
        if not event.matches(log) or log.address != vault:
            continue
        args = event.decode(log)
        for position, word in enumerate(args["charges"]):
            value = int.from_bytes(word, "big")
            charge = FundingCharge(_address(value), args["market"], _int96(value >> 160), log.block_number)
            found.append(
                Logged(charge, log.transaction_hash, log.block_number, log.block_hash, log.log_index, position)
            )
    return found


def liquidation_events(system: System, receipt: Receipt) -> list[LiquidationEvent]:
    """The liquidations of a receipt, in order, each with the bad debt it realized."""
    return [logged.item for logged in liquidations_logged(system, receipt.logs)]


def liquidations_logged(system: System, logs: Iterable[Log]) -> list[Logged[LiquidationEvent]]:
    """The ``Liquidated`` logs among ``logs`` (a receipt's or a block range's), in order, each with the
    bad debt its transaction realized for the account (``BadDebtRealized``) and where it was logged."""
    vault = system.vault.address
    logs = [log for log in logs if log.address == vault]
    bad_debt = codec.event("Vault", "BadDebtRealized")
    liquidated = codec.event("Vault", "Liquidated")
    debts = {
        (log.transaction_hash, args["account"]): (args["amount"], args["uncovered"])
        for log in logs
        if bad_debt.matches(log)
        for args in (bad_debt.decode(log),)
    }
    found = []
    for log in logs:
        if not liquidated.matches(log):
            continue
        args = liquidated.decode(log)
        debt, uncovered = debts.get((log.transaction_hash, args["account"]), (0, 0))
        event = LiquidationEvent(
            account=args["account"],
            market=args["market"],
            liquidator=args["liquidator"],
            size=args["size"],
            to_desk=args["toDesk"],
            to_amm=args["toAmm"],
            amm_quote=args["ammQuote"],
            mark=args["mark"],
            penalty=args["penalty"],
            bad_debt=debt,
            uncovered=uncovered,
            block=log.block_number,
        )
        found.append(Logged(event, log.transaction_hash, log.block_number, log.block_hash, log.log_index))
    return found


_FILLS_SETTLED = codec.event("Settlement", "FillsSettled")
