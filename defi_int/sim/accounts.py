"""The addresses of one trader population: derived from labels, funded with margin, named by population.

Address ``i`` of population ``name`` is the account derived from the label ``trader:<name>:<i>``.
Trader ``i`` starts on address ``i``; a population that rotates (``rotate_every``) moves its traders
on to addresses ``count``, ``count + 1`` ... as ``sim.agents`` decides, order by order.

Funding: the runner funds ``TraderSpec.addresses(steps)`` addresses before the run (``count``, and
for a rotating population room for every order it is likely to send), so no funding transaction
falls inside a step; the fresh addresses get their margin from the owner (``depositFor``), in one
pass. The rare run whose flow needs more funds each extra address when an order
first asks for it (:meth:`PopulationAccounts.account`); since which address an order uses depends
only on the seed, so does when that happens, whatever the keeper does. Every funded address is
written into ``types`` (lower-case address -> population name), which the recorder reads to put
each fill's ``trader_type``, so a rotated address still counts as its population's.
"""

from __future__ import annotations

from eth_account.signers.local import LocalAccount

from defi_int.chain.deploy import System
from defi_int.sim.scenario import TraderSpec


class PopulationAccounts:
    """The funded addresses of one population, in index order."""

    def __init__(self, system: System, spec: TraderSpec, unit: int, types: dict[str, str]) -> None:
        self.system = system
        self.spec = spec
        self.margin = spec.margin * unit  # collateral units per address
        self.types = types
        self.funded: list[LocalAccount] = []

    def fund(self, n: int) -> None:
        """Derives the next ``n`` addresses and deposits each one's margin.

        The first ``count`` (one per trader) get ether and deposit their own margin, as every account
        of the simulation does; the fresh ones a rotation moves to only sign orders, so the owner
        deposits for them in one pass (``System.deposit_for_each``: a mint and an approval for all).
        """
        chain, start, count = self.system.chain, len(self.funded), self.spec.count
        own = [chain.account(f"trader:{self.spec.name}:{i}") for i in range(start, min(start + n, count))]
        for account in own:
            self.system.fund(account, self.margin)
        first = start + len(own)
        fresh = [chain.account(f"trader:{self.spec.name}:{i}", fund=False) for i in range(first, start + n)]
        self.system.deposit_for_each([account.address for account in fresh], self.margin)
        for account in (*own, *fresh):
            self.types[account.address.lower()] = self.spec.name
        self.funded.extend((*own, *fresh))

    def account(self, index: int) -> LocalAccount:
        """Address ``index``, funded first if the run has not yet needed it."""
        if index >= len(self.funded):
            self.fund(index + 1 - len(self.funded))
        return self.funded[index]
