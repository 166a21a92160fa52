"""Deployment of the whole protocol: ``deploy_system(chain, params) -> System``.

Order of work: token, oracle, vault, AMM, settlement; then roles (settlement and AMM become vault
operators, the AMM learns its settlement, the keeper is allow-listed); then each market (oracle
price, vault listing with the desk's cap, AMM pool); then capital (the AMM's book and the desk are
funded with freshly minted collateral). Every account is derived from a label, so the same
parameters give the same addresses on every backend.

``SystemParams`` and ``MarketParams`` are declared, with every default, range and unit, in
``defi_int.params`` (re-exported here); building one checks what the contracts will take.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from web3.contract import Contract
from web3.logs import DISCARD

from defi_int.chain.backend import Chain
from defi_int.exceptions import TransactionFailed
from defi_int.orders.model import Fill
from defi_int.params import MarketParams as MarketParams  # re-exported: declared once in defi_int.params
from defi_int.params import SystemParams as SystemParams

#: Gas given to ``settle``: a base plus a per-fill allowance that covers a first-ever fill with
#: both legs (the measured figures are in tests/gas_snapshot.json); unused gas is not paid.
SETTLE_BASE_GAS = 200_000
SETTLE_GAS_PER_FILL = 130_000
HEDGE_GAS = 200_000
SWAP_GAS = 200_000


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
        self.chain.transact(account, self.vault.functions.deposit(amount), gas=100_000)

    def deposit_for(self, account: str, amount: int) -> None:
        """Mints ``amount`` to the owner and deposits it into ``account``'s cash."""
        self.mint(self.owner.address, amount)
        self.chain.transact(self.owner, self.token.functions.approve(self.vault.address, amount), gas=60_000)
        self.chain.transact(self.owner, self.vault.functions.depositFor(account, amount), gas=100_000)

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

    def settle(self, fills: Sequence[Fill], *, gas: int | None = None) -> Any:
        """Sends ``settle(fills)`` from the keeper; returns the receipt (a revert raises ``ContractRevert``)."""
        gas = gas or settle_gas(len(fills))
        fn = self.settlement.functions.settle([f.as_tuple() for f in fills])
        return self.chain.transact(self.keeper, fn, gas=gas)

    def simulate_settle(self, fills: Sequence[Fill]) -> None:
        """Runs ``settle(fills)`` as a call on the latest state; a revert raises ``ContractRevert``."""
        fn = self.settlement.functions.settle([f.as_tuple() for f in fills])
        self.chain.call(fn, sender=self.keeper.address)

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


def settle_capacity(block_gas_limit: int) -> int:
    """The most fills one ``settle`` may carry: its ``settle_gas`` must fit in the next block.

    A block's gas limit may be 1/1024 below its parent's, so the latest block's limit is taken
    less that much.
    """
    usable = block_gas_limit - block_gas_limit // 1024
    return max(0, (usable - SETTLE_BASE_GAS) // SETTLE_GAS_PER_FILL)


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
    send(owner, settlement.functions.setKeeper(keeper.address, True), gas=80_000)
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
    if params.amm_capital:
        system.deposit_for(amm.address, params.amm_capital * params.unit)
    if params.desk_capital:
        system.deposit_for(vault.address, params.desk_capital * params.unit)
    return system
