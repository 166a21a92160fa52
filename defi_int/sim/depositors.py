"""The scenario's depositors of the desk's shares (``[[depositors]]``), on the chain.

``Depositors`` derives each population's accounts from labels (``depositor:<name>:<i>``) and mints
their deposits at setup; ``step(step)`` then sends, at each step, what is due: the deposits of
``deposit_step`` (``DeskShares.deposit``), the withdrawal requests of ``withdraw_step``
(``withdraw_share`` of the shares held), and a claim of every request past its lock-up, again at
every step while the day's outflow cap holds part of it back. Each operation's cash is returned
to the runner, which records it as the desk's capital (not PnL). What the chain refuses (a stale
oracle, the cap) is counted by reason and tried again at the next due step; ``counts`` holds every
outcome (``deposit``, ``request``, ``claim``, ``claim:DailyOutflowExceeded`` ...), which the report
shows beside the NAV per share the runner records at every step.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount

from defi_int.chain import Chain
from defi_int.chain.deploy import System
from defi_int.exceptions import ContractRevert
from defi_int.sim.scenario import DepositorSpec, Scenario


@dataclass
class _Depositor:
    account: LocalAccount
    spec: DepositorSpec
    deposited: bool = False
    withdrawn: bool = False  # its withdrawal was asked for (and may still be claimed)
    request: int | None = None  # the open withdrawal request's id
    matures_at: int = 0
    left: int = 0  # shares still in the request


class Depositors:
    """The depositors of a run; see the module docstring."""

    def __init__(self, scenario: Scenario, system: System, chain: Chain) -> None:
        self.system = system
        self.chain = chain
        self.unit = scenario.protocol.unit
        self.counts: Counter[str] = Counter()
        self.depositors = [
            _Depositor(chain.account(f"depositor:{spec.name}:{i}"), spec)
            for spec in scenario.depositors
            for i in range(spec.count)
        ]
        for d in self.depositors:
            amount = d.spec.deposit * self.unit
            system.mint(d.account.address, amount)
            chain.transact(d.account, system.token.functions.approve(system.vault.address, amount), gas=60_000)
        self.lockup = chain.call(system.desk_shares.functions.params())[0] if self.depositors else 0

    def step(self, step: int) -> list[int]:
        """Sends what is due at ``step``; returns the cash each operation moved into (+) or out of
        (-) the desk, in order (capital, not PnL)."""
        self.flows: list[int] = []
        for d in self.depositors:
            if not d.deposited and step >= d.spec.deposit_step:
                d.deposited = self._send("deposit", self._deposit, d)
            due = d.spec.withdraw_step is not None and step >= d.spec.withdraw_step
            if d.deposited and not d.withdrawn and due:
                d.withdrawn = self._send("request", self._request, d)
            if d.request is not None and self.chain.next_timestamp() >= d.matures_at:
                self._send("claim", self._claim, d)
        return self.flows

    def _send(self, kind: str, action: Callable[[_Depositor], None], depositor: _Depositor) -> bool:
        try:
            action(depositor)
        except ContractRevert as exc:
            self.counts[f"{kind}:{exc.error_name}"] += 1
            return False
        self.counts[kind] += 1
        return True

    def _deposit(self, d: _Depositor) -> None:
        self.system.deposit_shares(d.account, d.spec.deposit * self.unit, mint=False)
        self.flows.append(d.spec.deposit * self.unit)

    def _request(self, d: _Depositor) -> None:
        held = self.chain.call(self.system.desk_shares.functions.sharesOf(d.account.address))
        shares = int(held * d.spec.withdraw_share)
        if shares == 0:
            return
        request_id, _ = self.system.request_withdrawal(d.account, shares)
        d.request, d.left, d.matures_at = request_id, shares, self.chain.timestamp() + self.lockup

    def _claim(self, d: _Depositor) -> None:
        assert d.request is not None
        event, _ = self.system.claim_withdrawal(d.account, d.request)
        self.flows.append(-int(event["amount"]))
        d.left -= int(event["shares"])
        if d.left == 0:
            d.request = None
