"""Runs a scenario on a chain: ``run_scenario(scenario) -> RunResult``.

Setup: open the chain (``--backend``, ``--rpc-url`` or the scenario's ``[chain]``; revm in process
by default), deploy the protocol with the scenario's parameters, derive and fund every trader and
arbitrageur from labels (a population's addresses: ``sim.accounts``), draw every market's price
path from the scenario's one ``numpy.random.Generator``.

The clock is the scenario's on every backend: ``Chain`` sets every block's timestamp, setup starts
``SETUP_SECONDS`` before ``start_time`` and step ``t`` at ``start_time + t·block_time``. A node
whose clock is already past the setup's start (a previous run's blocks are there) runs the whole
scenario that much later, everything relative to its own deployment, so the fills are the same.

Each step ``t`` (one keeper batch) runs, at the scenario clock ``start_time + t·block_time``:

1. the oracle posts the path's price (every ``cadence`` steps, not during a stale window), the
   price of ``oracle.lag`` steps ago: the path is the reference, the real market now;
2. arbitrageurs trade the AMM back toward the oracle, or toward the reference
   (``arbitrage.anchor``; real ``PerpAmm.swap`` transactions);
3. the keeper's liquidator closes the traders and arbitrageurs below maintenance margin (of those
   that ever traded: ``Keeper.liquidate``; its ``MarginWatch`` mirrors their books from the
   batches and the arbitrageurs' swaps, so only those near maintenance are read; the pure
   decision of ``keeper.liquidator``, ``Vault.liquidate``);
4. noise, informed and fast traders sign orders (EIP-712) and hand them to the keeper's intake,
   population by population, or in a random order (``shuffle_arrivals``);
5. the keeper runs its loop on the chain venue (``ChainVenue``), the same keeper as the bot's: one
   ``settle`` transaction, reverts isolated, hedges;
6. the recorder stores fills, liquidations, desk events (the desk's funding included) and the
   state of every market, with the desk's NAV per share.

The scenario's depositors (``[[depositors]]``, ``sim.depositors``) deposit into the desk's shares,
ask to withdraw and claim, after the oracle and before the arbitrageurs.

Agents decide at the scenario's clock (``start_time + t·block_time + 1``), so the orders of a
scenario and seed do not depend on the keeper; ``RunResult.flow_digest`` hashes every order sent,
in order, so two runs can be shown to have had the same flow.

Transactions inside a step get consecutive block times (one second apart), so a step must hold
fewer transactions than ``block_time``; the clock catches up when a step overflows. At the end the
invariants are read from the chain and the result goes to ``defi_int.metrics`` for the report; a
run in which nothing filled and every order was rejected raises ``RunFailed`` naming the reasons.
The keeper's configuration is derived from the scenario's declared ``[keeper]`` parameters
(``KeeperConfig.from_params``).
"""

from __future__ import annotations

import gc
import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
from eth_account.signers.local import LocalAccount

from defi_int.chain import Chain, deploy_system
from defi_int.chain.deploy import System
from defi_int.chain.venue import ChainVenue
from defi_int.chain.views import check_invariants, market_accounts_and_desk, read_accounts
from defi_int.exceptions import ContractRevert, OrderRejected, RunFailed
from defi_int.keeper.config import KeeperConfig
from defi_int.keeper.keeper import Keeper
from defi_int.keeper.venue import MarketState
from defi_int.keeper.watch import MarginWatch
from defi_int.market.ledger import INSURANCE_FUND
from defi_int.market.paths import price_path
from defi_int.metrics.records import AuditSettings, BookState, RunResult, TimePoint
from defi_int.orders.model import Order
from defi_int.orders.signing import sign_order
from defi_int.reasons import Reason
from defi_int.sim.accounts import PopulationAccounts
from defi_int.sim.agents import (
    FastTraders,
    InformedTraders,
    IntensityTraders,
    NoiseTraders,
    OrderIntent,
    arbitrage_trade,
)
from defi_int.sim.depositors import Depositors
from defi_int.sim.recorder import Recorder
from defi_int.sim.scenario import Scenario, choose_backend

#: Setup (deployment, funding) starts this long before ``start_time``, one block a second.
SETUP_SECONDS = 86_400
Progress = Callable[[int, int], None]  # (steps done, steps total)


Agent = NoiseTraders | InformedTraders | FastTraders | IntensityTraders


class _Population:
    def __init__(self, accounts: PopulationAccounts, agent: Agent) -> None:
        self.accounts = accounts
        self.agent = agent


def run_scenario(
    scenario: Scenario,
    *,
    backend: str | None = None,
    rpc_url: str | None = None,
    chain: Chain | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Runs ``scenario`` and returns what it recorded; see the module docstring.

    The chain is ``chain`` if given (left open), else one opened for the run and closed after it:
    ``rpc_url`` (a node), else ``backend`` (one of ``chain.BACKENDS``), else the scenario's.
    """
    started = time.perf_counter()
    owned = chain is None
    if chain is None:
        chain = open_chain(scenario, backend=backend, rpc_url=rpc_url)
    try:
        run = _Run(scenario, chain)
        with run.timed("setup"):
            run.setup()
        with _heap_set_aside():
            for step in range(scenario.steps):
                run.step(step)
                if progress is not None:
                    progress(step + 1, scenario.steps)
        with run.timed("finish"):
            run.finish()
    finally:
        if owned:
            chain.close()
    run.result.phase_seconds = dict(run.phases)
    run.result.wall_seconds = time.perf_counter() - started
    return run.result


@contextmanager
def _heap_set_aside() -> Iterator[None]:
    """The steps run with every object alive before them (the libraries, the deployed system, the
    agents: ~150,000 on ``bench_10k``) set aside from the cyclic garbage collector (``gc.freeze``),
    and handed back after (``gc.unfreeze``): each full collection then scans what the run made,
    not them as well (two or three a run, ~70 ms each before). Objects are freed as before (by
    reference counts; a cycle among the set-aside ones waits for the next collection after the run)."""
    frozen = gc.get_freeze_count()
    gc.freeze()
    try:
        yield
    finally:
        if not frozen:  # a caller that froze the heap itself keeps it frozen
            gc.unfreeze()


def setup_start(scenario: Scenario) -> int:
    """The time of the scenario's first setup block (before any time shift on a used node)."""
    return max(scenario.start_time - SETUP_SECONDS, 1)


def open_chain(scenario: Scenario, *, backend: str | None = None, rpc_url: str | None = None) -> Chain:
    """The chain a run of ``scenario`` uses (see ``choose_backend``); in-process chains start just
    before the scenario's setup."""
    name, url = choose_backend(scenario, backend, rpc_url)
    return Chain.open(name, url=url, genesis_time=setup_start(scenario) - 1)


class _Run:
    """The state of one run; ``run_scenario`` drives it."""

    def __init__(self, scenario: Scenario, chain: Chain) -> None:
        self.scenario = scenario
        self.chain = chain
        self.rng = np.random.default_rng(scenario.seed)
        self.markets = tuple(m.id for m in scenario.markets)
        self.phases: dict[str, float] = {}

    @contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        """Adds the wall time spent inside to ``phase`` (reported as ``phase_seconds``)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.phases[phase] = self.phases.get(phase, 0.0) + time.perf_counter() - started

    # ------------------------------------------------------------------ setup

    def setup(self) -> None:
        scenario, chain = self.scenario, self.chain
        params = scenario.system_params()
        self._start_clock()
        self.system: System = deploy_system(chain, params)
        system = self.system
        unit = params.unit
        self.populations: list[_Population] = []
        #: Every trader address funded so far -> its population (the recorder's ``trader_type``).
        self.trader_types: dict[str, str] = {}
        self.paths = {
            m.id: price_path(m, m.price, scenario.steps, scenario.block_time, self.rng) for m in scenario.markets
        }
        for spec in scenario.traders:
            accounts = PopulationAccounts(system, spec, unit, self.trader_types)
            accounts.fund(spec.addresses(scenario.steps))
            agent: Agent
            if spec.type == "informed":
                agent = InformedTraders(spec, self.markets, self.paths)
            elif spec.type == "fast":
                agent = FastTraders(spec, self.markets, self.paths)
            elif spec.type == "intensity":
                agent = IntensityTraders(spec, self.markets)
            else:
                agent = NoiseTraders(spec, self.markets)
            self.populations.append(_Population(accounts, agent))
        self.arbs = [chain.account(f"arbitrageur:{i}") for i in range(scenario.arbitrage.count)]
        for arb in self.arbs:
            system.fund(arb, scenario.arbitrage.margin * unit)
        self.depositors = Depositors(scenario, system, chain)
        #: The accounts that ever traded (a fill or a swap): the only ones that can hold a position,
        #: so the only ones the liquidator watches, in the order they first traded.
        self.holders: dict[str, None] = {}
        volatility = {m.id: m.volatility for m in scenario.markets}
        shift = self.time_shift  # a used node runs the whole scenario later: the session too
        session = (scenario.start_time + shift, scenario.time_of(scenario.steps) + shift)
        config = KeeperConfig.from_params(scenario.keeper, params, volatility, session, seed=scenario.seed)
        self.watch = MarginWatch()  # the liquidator's: told of the arbitrageurs' swaps
        self.keeper = Keeper(ChainVenue(system), config, watch=self.watch)
        # each trader signs a market's orders with that market's consecutive nonces (m << 224 | 0, 1,
        # 2 ...): the Vault records such a nonce in the trader's book word, one storage word a fill
        self.nonces: dict[tuple[str, int], int] = {}
        self.flow = hashlib.sha256()  # every order the agents sent, in order: the run's flow
        self.marks = {m.id: m.price for m in scenario.markets}  # what the oracle posted last
        self.posted_at: dict[int, int] = {}
        self.result = RunResult(
            scenario=scenario.name,
            seed=scenario.seed,
            backend=chain.name,
            contracts={
                "CollateralToken": str(system.token.address),
                "PriceOracle": str(system.oracle.address),
                "Vault": str(system.vault.address),
                "PerpAmm": str(system.amm.address),
                "Settlement": str(system.settlement.address),
                "DeskShares": str(system.desk_shares.address),
            },
            price_scale=params.price_scale,
            decimals=params.decimals,
            block_time=scenario.block_time,
            markout_horizons=scenario.keeper.markout_horizons,
            closing_prices={m: path[scenario.steps] for m, path in self.paths.items()},
            trader_types=self.trader_types,  # the same dict: addresses funded later join it
            amm_fee_bps={m.market_id: m.amm_fee_bps for m in params.markets},
            audit=AuditSettings.from_params(scenario.keeper),
        )
        self.recorder = Recorder(self.result)
        self._read_state()
        self.result.start = self._book_state()

    @property
    def accounts(self) -> list[str]:
        """Every trader address funded so far and every arbitrageur."""
        return [*self.trader_types, *(arb.address for arb in self.arbs)]

    def _start_clock(self) -> None:
        """Puts the first setup block at ``setup_start``, or shifts the run past a used node's clock."""
        start = setup_start(self.scenario)
        now = self.chain.next_timestamp()
        self.time_shift = max(0, now - start)
        if now < start:
            self.chain.set_next_block_timestamp(start)

    def _read_state(self) -> None:
        """One read of every market and of the desk's and fee account's books (end of a step); the
        insurance fund's is read once, at the end."""
        system = self.system
        self.states: dict[int, MarketState]
        self.states, books, desk = market_accounts_and_desk(system, [system.desk, system.fee_recipient])
        self.desk_book, self.fee_book = books[system.desk], books[system.fee_recipient]
        assert desk is not None
        self.desk_value = desk  # its NAV and shares, for the NAV per share

    def _book_state(self) -> BookState:
        return BookState(self.desk_book.cash, self.fee_book.cash, dict(self.desk_book.positions), dict(self.marks))

    # ------------------------------------------------------------------- step

    def step(self, step: int) -> None:
        scenario, chain = self.scenario, self.chain
        target = scenario.start_time + self.time_shift + step * scenario.block_time
        with self.timed("clock"):
            if target > chain.next_timestamp():
                chain.set_next_block_timestamp(target)
        with self.timed("oracle"):
            self._oracle(step)
        with self.timed("depositors"):
            for amount in self.depositors.step(step):
                self.recorder.capital(step, amount)
        with self.timed("arbitrage"):
            self._arbitrage(step)
        with self.timed("liquidations"):
            for receipt in self.keeper.liquidate(list(self.holders), step=step):
                self.recorder.liquidation(step, self.system.desk, receipt)
        with self.timed("orders"):
            self._orders(step)
        with self.timed("keeper"):
            outcome = self.keeper.step(step)
        with self.timed("record"):
            self.recorder.batch(outcome)
            self.holders.update(dict.fromkeys(event.trader for event in outcome.events))
            self.recorder.labelled(self.keeper.observe_marks(step, dict(self.marks)))
            self._record_state(step)

    def _oracle(self, step: int) -> None:
        if not self.scenario.oracle.posts_at(step):
            return
        source = self.scenario.oracle.source_step(step)
        for market in self.markets:
            price = self.paths[market][source]
            self.system.set_price(market, price)
            self.marks[market] = price
            self.posted_at[market] = self.chain.timestamp()
            self.recorder.mark(step, market, price)

    def _arbitrage(self, step: int) -> None:
        if not self.arbs:
            return
        arb = self.arbs[step % len(self.arbs)]
        reference = self.scenario.arbitrage.anchor == "reference"
        for market in self.markets:
            # Nothing moved the pools since the end of the last step; the oracle may just have.
            pool = self.states[market].pool
            if pool is None or not self._fresh(market):
                continue
            target = self.paths[market][step] if reference else self.marks[market]
            trade = arbitrage_trade(market, pool, target, self.result.price_scale, self.scenario.arbitrage)
            if trade is None:
                continue
            try:
                self.system.swap(arb, market, trade.is_buy, trade.size, trade.limit_quote)
            except ContractRevert as exc:
                self.recorder.arbitrage_reverted(exc.error_name)
            else:
                self.holders[arb.address] = None
                self.watch.touched(arb.address)  # the liquidator reads its book again

    def _fresh(self, market: int) -> bool:
        """Whether the oracle price of ``market`` is still readable in the next block."""
        state = self.states[market]
        posted = self.posted_at.get(market, state.updated_at)
        return self.chain.next_timestamp() <= posted + state.max_age

    def _orders(self, step: int) -> None:
        # Agents decide on the scenario's clock, never on the chain's: how many transactions the
        # keeper and the arbitrageurs sent before them must not move an order's expiry (identical
        # flow, ``defi_int.sim.agents``). The keeper receives them at the chain's time. On a used
        # node the scenario's clock is shifted past its earlier blocks (``time_shift``).
        decided = self.scenario.time_of(step) + self.time_shift + 1
        now = self.chain.next_timestamp()
        bt = self.scenario.block_time
        arrivals = [
            (population, intent)
            for population in self.populations
            for intent in population.agent.intents(self.rng, self.marks, decided, bt, step)
        ]
        if self.scenario.shuffle_arrivals:  # one draw, after the agents': the flow stays the seed's
            arrivals = [arrivals[i] for i in self.rng.permutation(len(arrivals)).tolist()]
        for population, intent in arrivals:
            self._submit(step, now, population.accounts.account(intent.trader), intent)

    def _nonce(self, trader: str, market: int) -> int:
        """The trader's next nonce in ``market``'s namespace (``IVault``'s notes on nonces)."""
        count = self.nonces.get((trader, market), 0)
        self.nonces[(trader, market)] = count + 1
        return market << 224 | count

    def _submit(self, step: int, now: int, account: LocalAccount, intent: OrderIntent) -> None:
        order = Order(
            account.address,
            intent.market,
            intent.is_buy,
            intent.size,
            intent.limit_price,
            intent.expiry,
            self._nonce(account.address, intent.market),
            intent.max_fee_bps,
            intent.allow_amm,
        )
        signature = sign_order(account, order, self.keeper.domain)
        self.flow.update(repr(order.as_tuple()).encode())
        self.result.orders_total += 1
        try:
            admission = self.keeper.intake(order, signature, step=step, now=now)
        except OrderRejected as rejection:
            if rejection.digest is not None:
                self.recorder.received(step, now, order, rejection.digest, None)
            self.recorder.rejected(rejection.reason, rejection.digest)
            return
        self.recorder.received(step, now, order, admission.entry.digest, admission.entry)
        for out in admission.evicted:
            self.recorder.rejected(Reason.EVICTED, out.digest)

    def _record_state(self, step: int) -> None:
        self._read_state()
        block = self.chain.block_number()
        now = self.chain.timestamp()
        for market in self.markets:
            state = self.states[market]
            self.result.timeseries.append(
                TimePoint(
                    step=step,
                    block=block,
                    time=now,
                    market=market,
                    index_price=self.paths[market][step],
                    oracle_price=state.oracle_price,
                    amm_mid=state.pool.mid(self.result.price_scale) if state.pool else 0,
                    inventory=state.inventory,
                    desk_cash=self.desk_book.cash,
                    fee_cash=self.fee_book.cash,
                    desk_nav=self.desk_value.nav,
                    total_shares=self.desk_value.total_shares,
                )
            )

    # ----------------------------------------------------------------- finish

    def finish(self) -> None:
        system = self.system
        self.recorder.close()
        self.result.end = self._book_state()
        self.result.flow_digest = self.flow.hexdigest()
        self.result.orders_open = len(self.keeper.book)
        self.result.insurance_fund = read_accounts(system, [INSURANCE_FUND])[INSURANCE_FUND].cash
        self.result.depositors = dict(self.depositors.counts)
        # Every trader, arbitrageur and depositor; check_invariants adds the desk, AMM, fee account and owner.
        depositors = [d.account.address for d in self.depositors.depositors]
        self.result.invariants = check_invariants(system, [*self.accounts, *depositors])
        failure = nothing_filled(self.result)
        if failure is not None:
            raise RunFailed(failure, self.result.rejections)


def nothing_filled(result: RunResult) -> str | None:
    """Why a run failed as a whole, when no order filled and every order decided on was rejected.

    A scenario the chain cannot play (say, every fill reverting with the same error) otherwise
    ends with "0 filled, invariants ok". Orders that expired, or still rest when the run ends,
    were not rejected; the arbitrageurs' own reverted swaps are not orders (nor counted as such).
    """
    reasons = result.rejections
    rejected = sum(reasons.values())
    if result.orders_filled or not rejected or rejected < result.orders_total - result.orders_open:
        return None
    if len(reasons) == 1:
        (reason,) = reasons
        return f"no order was filled: all {rejected} orders were rejected with {reason}"
    counts = ", ".join(f"{r} x{n}" for r, n in sorted(reasons.items(), key=lambda item: -item[1]))
    return f"no order was filled: all {rejected} orders were rejected ({counts})"
