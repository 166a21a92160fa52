"""The liquidator's watch: which accounts ``Keeper.liquidate`` reads on chain, from an exact mirror.

Reading the book of every account that ever traded, every step, cost half of a simulator run. The
watch keeps, off-chain, each account's books as the Vault holds them (cash; per market the
position and the funding mark it last settled at) and re-judges them at every call with the
Vault's margin rule (``ledger.book_margin``, pending funding by ``funding.charge`` at the index the
snapshot's funding state gives for its time): only the accounts whose mirrored equity is within
``margin_bps`` of their maintenance requirement, and those it cannot vouch for, are read on chain
and handed to ``liquidator.plan_liquidations``. Since a close never changes another account's
liquidatability (it moves the desk's room, the pools and the funding premium, not an account's
book or the index at this time), planning on that subset in the watched order gives the same
closes, in the same order, as planning on every account.

Each call (``Keeper.liquidation_orders``) reads the markets and the books the watch does not hold
(``unknown``), judges every watched account on that read (``candidates``), and only when some are
near maintenance reads their books again with the house books, to plan on.

Where the books come from, in the order they happen:

- a read: the liquidator's read of its candidates, and each batch's snapshot, which holds the books
  of the batch's traders as they stood just before the settle (``learn``);
- the keeper's settles (``settled``): each ``FillEvent`` moves its trader's book by its legs (the
  internal notional rounded against the trader, ``ledger.notional``; the AMM quote), its fee and
  the funding it settled, the receipt's ``FundingSettled`` words the funding of AMM legs; every book
  a settle writes takes the market's funding mark at the settle's time (the snapshot's index
  brought to that time, as the Vault's ``_accrue`` does);
- oracle moves and funding accrual: nothing to book; the next judgement prices them;
- anything else that writes an account's book (an arbitrageur's swap the runner sends, a
  liquidation) makes the watch forget the account (``touched``): it is read on the next call.

An account whose market is stale cannot be valued, so it cannot be liquidated (the liquidator's own
rule): it is not read until the market is fresh again. Pure: no chain, no web3.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from defi_int.keeper.plan import PlannedFill
from defi_int.keeper.venue import SettleReceipt
from defi_int.market.books import book_margin
from defi_int.market.funding import MARK_MODULUS, charge, mark_of
from defi_int.market.ledger import FUNDING_POOL, INSURANCE_FUND, Ledger, notional
from defi_int.orders.validation import BatchView
from defi_int.types import BPS

#: An account is read while its mirrored equity is below (1 + this) times its maintenance
#: requirement: a margin against anything the mirror missed.
WATCH_MARGIN_BPS = 2_500


@dataclass
class _Book:
    """One account in the Vault ledger: cash, and per market its position and funding mark."""

    cash: int
    positions: dict[int, int]  # nonzero positions only
    marks: dict[int, int]  # market -> the funding mark the book last settled at (nonzero only)
    #: (the rules it was judged by, per market (market, lowest and highest price, lowest and highest
    #: funding mark, funding unit)): where the book stays clear of maintenance; None: judge it
    band: tuple[tuple[int, int, int], tuple[tuple[int, int, int, int, int, int], ...]] | None = None


@dataclass
class WatchStats:
    """What the watch did over its calls: accounts judged off-chain, and those it had read."""

    calls: int = 0
    judged: int = 0  # accounts asked about, summed over calls
    read: int = 0  # of those, the ones read on chain (near maintenance or not vouched for)


@dataclass
class MarginWatch:
    """The exact books of the accounts the liquidator watches; see the module docstring."""

    margin_bps: int = WATCH_MARGIN_BPS
    stats: WatchStats = field(default_factory=WatchStats)
    _books: dict[str, _Book] = field(default_factory=dict)

    # ------------------------------------------------------------------ books

    def book(self, account: str) -> tuple[int, dict[int, int], dict[int, int]] | None:
        """The mirrored (cash, positions, funding marks) of ``account``; None when not vouched for."""
        book = self._books.get(account)
        return None if book is None else (book.cash, dict(book.positions), dict(book.marks))

    def unknown(self, accounts: Iterable[str]) -> list[str]:
        """Of ``accounts`` (their order kept, each once), those whose books the watch does not hold."""
        books = self._books
        unknown = [a for a in dict.fromkeys(accounts) if a not in books]
        self.stats.read += len(unknown)
        return unknown

    def touched(self, *accounts: str) -> None:
        """Transactions the watch did not see wrote these accounts' books: read them before judging."""
        for account in accounts:
            self._books.pop(account, None)

    def learn(self, ledger: Ledger, accounts: Iterable[str] | None = None) -> None:
        """Takes the books of ``accounts`` (default: every account ``ledger`` holds but the house's)
        as read on chain."""
        house = {ledger.desk, ledger.amm, ledger.fee_recipient, INSURANCE_FUND, FUNDING_POOL}
        for account in ledger.cash if accounts is None else accounts:
            if account in house:
                continue
            positions = {m: p for m in ledger.markets if (p := ledger.position(account, m))}
            marks = {m: k for m in ledger.markets if (k := ledger.marks.get((account, m), 0))}
            self._books[account] = _Book(ledger.cash.get(account, 0), positions, marks)

    def settled(self, view: BatchView, fills: Sequence[PlannedFill], receipt: SettleReceipt | None) -> None:
        """A batch planned on ``view`` settled ``fills`` (in batch order) as ``receipt`` (None:
        nothing settled): its traders' books as read for it, moved by the settle's fills and funding."""
        self.learn(view.ledger)
        if receipt is None:
            return
        ledger, scale = view.ledger, view.price_scale
        marks = {m: mark_of(f.index_at(receipt.time), f.unit) for m, f in ledger.funding.items()}
        for planned, event in zip(fills, receipt.events, strict=True):
            book = self._books.get(event.trader)
            if book is None:  # pragma: no cover - the snapshot holds every trader of its batch
                continue
            market = planned.order.market
            side = 1 if event.is_buy else -1
            cash = -side * event.amm_quote - event.fee - event.funding
            if event.internal_size:
                cash -= side * notional(event.internal_size, event.internal_price, scale, is_buy=event.is_buy)
            book.cash += cash
            position = book.positions.get(market, 0) + side * (event.internal_size + event.amm_size)
            self._set(book, market, position, marks.get(market, 0))
        for funding in receipt.funding:
            book = self._books.get(funding.account)
            if book is not None:
                book.cash -= funding.amount
                self._mark(book, funding.market, marks.get(funding.market, 0))

    # -------------------------------------------------------------- judgement

    def candidates(self, accounts: Iterable[str], view: BatchView) -> list[str]:
        """Of ``accounts`` (their order kept, each once), those to read on chain now and plan on: not
        vouched for, or holding a position in fresh markets only with mirrored equity under
        ``1 + margin_bps`` times maintenance at ``view``'s prices and funding.

        An account judged clear keeps a band of prices and funding marks per market inside which it
        stays clear whatever its markets do (half its slack to prices, half to funding, rounding
        counted): while its book and the markets stay inside, it is not judged again."""
        ledger, now = view.ledger, view.now
        rules = (ledger.price_scale, ledger.maintenance_margin_bps, self.margin_bps)
        fresh = {}  # market -> (oracle price, funding mark now, funding unit), fresh markets only
        for market, price in view.prices.items():
            f = ledger.funding.get(market)
            fresh[market] = (price, 0, 0) if f is None else (price, mark_of(f.index_at(now), f.unit), f.unit)
        books, chosen, judged = self._books, [], 0
        for account in dict.fromkeys(accounts):
            judged += 1
            book = books.get(account)
            if book is None:
                chosen.append(account)
                continue
            if not book.positions or (book.band is not None and book.band[0] == rules and _inside(book.band[1], fresh)):
                continue
            if _judge(book, fresh, rules):
                chosen.append(account)
        self.stats.calls += 1
        self.stats.judged += judged
        self.stats.read += len(chosen)
        return chosen

    # -------------------------------------------------------------- internals

    @staticmethod
    def _set(book: _Book, market: int, position: int, mark: int) -> None:
        book.band = None
        if position:
            book.positions[market] = position
        else:
            book.positions.pop(market, None)
        MarginWatch._mark(book, market, mark)

    @staticmethod
    def _mark(book: _Book, market: int, mark: int) -> None:
        book.band = None
        if mark:
            book.marks[market] = mark
        else:
            book.marks.pop(market, None)


def _inside(band: tuple[tuple[int, int, int, int, int, int], ...], fresh: dict[int, tuple[int, int, int]]) -> bool:
    """Whether every market of a clear account's ``band`` is where it keeps the account clear (a
    stale market: the account cannot be valued, hence not liquidated, either)."""
    for market, low, high, mark_low, mark_high, unit in band:
        known = fresh.get(market)
        if known is None:
            continue
        price, mark, now_unit = known
        if not (low <= price <= high and mark_low <= mark <= mark_high and now_unit == unit):
            return False
    return True


def _judge(book: _Book, fresh: dict[int, tuple[int, int, int]], rules: tuple[int, int, int]) -> bool:
    """Whether ``book`` is near maintenance now (False also when a market it holds is stale); a clear
    book gets its band (see ``MarginWatch.candidates``)."""
    scale, ratio, margin_bps = rules
    bound = BPS + margin_bps
    equity, required = book.cash, 0
    held = []
    for market, position in book.positions.items():
        known = fresh.get(market)
        if known is None:  # a stale market: it cannot be valued, nor liquidated
            return False
        price, mark, unit = known
        value, needed = book_margin(position, price, ratio, scale)
        equity += value - charge(position, book.marks.get(market, 0), mark, unit, scale)
        required += needed
        held.append((market, abs(position), price, mark, unit))
    slack = equity * BPS - required * bound
    if slack < 0:
        return True
    # Per market, a move of the price by dp costs the slack at most |pos|·dp·(BPS² + bound·ratio)/(scale·BPS)
    # and of the funding mark by dk at most BPS·|pos|·dk·unit/scale, each rounding 2·BPS + bound:
    # each gets a share of the slack, so that together they never use it up.
    budget = slack // (2 * len(held)) - (2 * BPS + bound)
    if budget > 0:
        band = []
        for market, size, price, mark, unit in held:
            dp = budget * scale * BPS // (size * (BPS * BPS + bound * ratio))
            dk = budget * scale // (BPS * size * unit) if unit else MARK_MODULUS
            band.append((market, price - dp, price + dp, mark - dk, mark + dk, unit))
        book.band = (rules, tuple(band))
    return False
