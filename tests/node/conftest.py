"""Fixtures for the node tests: one local anvil for the session and a system deployed on it.

Everything in this folder is marked ``node`` (``-m "not node"`` leaves it out). A missing anvil
binary fails the tests with the reason, it never skips them: ``npm ci`` in ``contracts/`` installs
it. Each test starts from the deployed state, by snapshot and revert like the shipped plugin.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eth_account.signers.local import LocalAccount

from defi_int.chain import Chain, System
from defi_int.chain.anvil import Anvil
from defi_int.chain.views import domain
from defi_int.exceptions import NodeUnavailable
from defi_int.testing import OrderMaker, build_session, isolated


@pytest.fixture(scope="session")
def anvil() -> Iterator[Anvil]:
    """A local anvil on 127.0.0.1 for the whole session, stopped at the end."""
    try:
        node = Anvil().start()
    except NodeUnavailable as exc:
        missing = exc.detail
    else:
        missing = None
    if missing is not None:
        pytest.fail(f"the node tests need anvil: {missing}", pytrace=False)
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="session")
def _anvil_deployment(anvil: Anvil) -> tuple[System, list[LocalAccount]]:
    return build_session(Chain.connect(anvil.url))


@pytest.fixture
def anvil_chain(_anvil_deployment: tuple[System, list[LocalAccount]]) -> Iterator[Chain]:
    """The anvil ``Chain``, reverted to the deployed state after the test."""
    with isolated(_anvil_deployment[0].chain) as chain:
        yield chain


@pytest.fixture
def anvil_system(_anvil_deployment: tuple[System, list[LocalAccount]], anvil_chain: Chain) -> System:
    """The protocol deployed on anvil with market 0 live (what ``defi_system`` is on eth-tester)."""
    return _anvil_deployment[0]


@pytest.fixture
def anvil_traders(_anvil_deployment: tuple[System, list[LocalAccount]], anvil_chain: Chain) -> list[LocalAccount]:
    """Five funded traders with margin deposited on anvil."""
    return list(_anvil_deployment[1])


@pytest.fixture
def anvil_orders(anvil_system: System) -> OrderMaker:
    """Builds, signs and settles orders on anvil."""
    return OrderMaker(anvil_system, domain(anvil_system))


@pytest.fixture
def own_anvil() -> Iterator[Anvil]:
    """An anvil of the test's own, on its wall clock, stopped at the end: the keeper bot's tests
    never share a node whose clock the session fixtures set (its age checks read that clock)."""
    try:
        node = Anvil().start()
    except NodeUnavailable as exc:
        pytest.fail(f"the node tests need anvil: {exc.detail}", pytrace=False)
    try:
        yield node
    finally:
        node.stop()
